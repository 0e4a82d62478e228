#!/bin/sh
# init of the default guest: mounts the basics, loads the virtio modules, gives a shell on the console.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
echo "vireo-guest: init started"
while read -r m; do insmod "/lib/modules/$m" 2>/dev/null; done < /etc/modules.order
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
hostname vireo-guest
echo "vireo-guest: ready"
cmdline=" $(cat /proc/cmdline) "
# Benchmarks boot with vireo.poweroff on the command line: power off as soon as the guest is up.
case "$cmdline" in *" vireo.poweroff "*) poweroff -f ;; esac
# vireo.shell=hvc0: the shell runs on the first virtio console instead of the serial one. Guest
# tests that type a lot use it: a virtio console moves a buffer per exit, a UART one byte.
case "$cmdline" in
  *" vireo.shell=hvc0 "*)
    if [ -c /dev/hvc0 ]; then
      # Held open so that what the host types before the shell opens it is kept, not dropped.
      exec 3<> /dev/hvc0
      echo "vireo-guest: ready" >&3
      while true; do
        # A session leader that opens a tty makes it its controlling terminal (job control, ^C).
        setsid sh -c 'exec sh -l <> /dev/hvc0 >&0 2>&0'
      done
    fi
    echo "vireo-guest: no /dev/hvc0; the shell stays on the serial console" ;;
esac
while true; do
  setsid cttyhack sh -l
done
