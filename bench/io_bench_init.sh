#!/bin/sh
# init of the benchmark guest (bench/make_bench_initrd.sh puts it at /init): loads the virtio modules
# like scripts/guest-init.sh, runs the job named on the kernel command line, prints each result
# between markers on the console and powers off. Nothing waits for input.
#
# Kernel command line:
#   bench.job=NAME[,NAME...]  jobs, in order (see run_job below); "script" runs the shell script
#                             stored at the start of the script disk (NUL-padded), so any job fits
#   bench.script=DEV          the script disk (default /dev/vdb)
#   bench.runtime=SECONDS     length of each fio/iperf3 job (default 10)
#   bench.ip=ADDR/PREFIX      address of eth0 (default 192.168.77.2/24)
#   bench.server=ADDR         iperf3 server (default 192.168.77.1)
#   bench.dev=DEV             fio target (default /dev/vda)
#   bench.shell               drop to a shell instead of powering off (debugging)
#
# Console protocol, one line each:
#   BENCH-START <job>      the job starts now (the host may sample the VMM's CPU time here)
#   BENCH-STOP <job> rc=N  the job has finished; its output follows
#   BENCH-BEGIN <job>      ... the job's output (fio/iperf3 JSON) ...  BENCH-END <job>
#   BENCH-ALL-DONE         every job ran; poweroff follows
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "vireo-guest: init started"
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done < /etc/modules.order
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp
ip link set lo up 2>/dev/null

jobs=""; runtime=10; ip_addr=192.168.77.2/24; server=192.168.77.1; dev=/dev/vda; script_dev=/dev/vdb; shell=0
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    bench.job=*) jobs=$(echo "${arg#bench.job=}" | tr , ' ') ;;
    bench.runtime=*) runtime=${arg#bench.runtime=} ;;
    bench.ip=*) ip_addr=${arg#bench.ip=} ;;
    bench.server=*) server=${arg#bench.server=} ;;
    bench.dev=*) dev=${arg#bench.dev=} ;;
    bench.script=*) script_dev=${arg#bench.script=} ;;
    bench.shell) shell=1 ;;
  esac
done
echo "vireo-guest: ready"

# Waits (up to 10 s) for a path to appear: the drivers probe asynchronously.
wait_for() { i=0; while [ ! -e "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; }

net_up() {
  [ -n "$net_is_up" ] && return 0
  wait_for /sys/class/net/eth0
  ip addr add "$ip_addr" dev eth0 && ip link set eth0 up || return 1
  # the first packets can race the link coming up: wait until the server answers
  i=0; while ! ping -c 1 -W 1 "$server" >/dev/null 2>&1 && [ $i -lt 20 ]; do i=$((i + 1)); done
  net_is_up=1
}

# fio NAME RW BS: one job against $dev, libaio, O_DIRECT, queue depth 32, time-based
fio_job() {
  wait_for "$dev"
  fio --name="$1" --filename="$dev" --rw="$2" --bs="$3" --ioengine=libaio --direct=1 --iodepth=32 \
      --numjobs=1 --time_based --runtime="$runtime" --randrepeat=0 --norandommap \
      --output-format=json --output=/tmp/out
}

# iperf3 [-R]: the guest is the client; -R makes the server send (host -> guest)
iperf_job() {
  net_up || return 1
  iperf3 -c "$server" -t "$runtime" -J "$@" > /tmp/out
}

run_job() {
  case "$1" in
    fio-randread) fio_job randread randread 4k ;;
    fio-randwrite) fio_job randwrite randwrite 4k ;;
    fio-seqread) fio_job seqread read 1M ;;
    fio-seqwrite) fio_job seqwrite write 1M ;;
    iperf3-tx) iperf_job ;;        # guest -> host
    iperf3-rx) iperf_job -R ;;     # host -> guest
    script)
      wait_for "$script_dev"
      tr -d '\000' < "$script_dev" > /tmp/job.sh
      sh /tmp/job.sh > /tmp/out 2>&1 ;;
    *) echo "unknown job $1" > /tmp/out; return 2 ;;
  esac
}

for job in $jobs; do
  : > /tmp/out
  echo "BENCH-START $job"
  run_job "$job"; rc=$?
  echo "BENCH-STOP $job rc=$rc"
  echo "BENCH-BEGIN $job"
  cat /tmp/out
  echo "BENCH-END $job"
done
echo "BENCH-ALL-DONE"
if [ $shell = 1 ]; then
  mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
  while true; do setsid cttyhack sh -l; done
fi
poweroff -f
