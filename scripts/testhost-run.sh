#!/usr/bin/env bash
# Runs a command inside the nested test host: QEMU (TCG, -cpu max with SVM) booting Debian's generic
# kernel with kvm-amd, this machine's root shared read-only over 9p. Inside, /dev/kvm is real KVM.
# The command runs chrooted into the shared root, in the current directory, on the test host's console.
# Exit status: the command's; 125 when the test host died without reporting one (retried twice).
# A test host that locks up (it has, in its own KVM: see FACTS.md) is killed: its kernel panics on a
# soft lockup, and a non-interactive run that reports nothing within VIREO_TESTHOST_TIMEOUT seconds
# (default 600) is stopped, and so is one whose heartbeat stops (within seconds: watch_heartbeat
# below); all count as "died". A hang is reported with its shape: "spinning" (the
# test host's QEMU busy, its kernel reporting soft lockups or RCU stalls) or "silent" (QEMU idle,
# as if the test host's timer interrupts had stopped).
# Usage: scripts/testhost-run.sh [-i] COMMAND...   (-i: interactive, the terminal is the console)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
interactive=0
[ "${1:-}" = "-i" ] && { interactive=1; shift; }
cache=$("$repo/scripts/fetch-guest.sh" 2>/dev/null | tail -n1) || { echo "testhost: cannot fetch the test host's kernel" >&2; exit 125; }
# The unpacked kernel package it boots (System.map and modules: scripts/testhost-where.py).
kernel_pkg=$(ls -d "$cache"/pkgs/linux-image-*[0-9]-amd64 2>/dev/null | head -n1)
mem=${VIREO_TESTHOST_MEM:-6144}
limit=${VIREO_TESTHOST_TIMEOUT:-600}
# Parameters for the test host's kvm-amd, comma-separated (e.g. npt=1,vgif=0); the init passes them
# to insmod. npt=0 by default: with nested paging, which TCG emulates for the test host's KVM, inner
# guests with a busy console triple-faulted or stopped in 4 of 4 rounds (QEMU's as well as vireo's);
# with shadow paging 0 of 4 (README, known problems).
kvm_amd_params=${VIREO_TESTHOST_KVM_AMD-npt=0}

# The test host's own QEMU: the installed one, or an unpacked tree (VIREO_TESTHOST_QEMU=DIR with
# DIR/usr/bin/qemu-system-x86_64 and its data files under DIR/usr/share/qemu).
testhost_qemu=(qemu-system-x86_64)
if [ -n "${VIREO_TESTHOST_QEMU:-}" ]; then
  testhost_qemu=(env QEMU_MODULE_DIR="$VIREO_TESTHOST_QEMU/usr/lib/x86_64-linux-gnu/qemu"
    "$VIREO_TESTHOST_QEMU/usr/bin/qemu-system-x86_64" -L "$VIREO_TESTHOST_QEMU/usr/share/qemu")
fi

# The test host's init rewrites WORK/heartbeat every 2 s once it is up. A hang is declared in
# seconds, in one of two shapes: "silent" when the heartbeat is $quiet s late and the test host's
# QEMU sits idle (no CPU time, no thread waiting to run: its guest's timers stopped), "spinning"
# (or silent) when it is $stale s late whatever QEMU does; a test host whose init never wrote a
# heartbeat is stopped after $boot s. Waiting for the overall limit would only lose time.
watch_heartbeat() {
  local work=$1 stale=${VIREO_TESTHOST_HEARTBEAT:-60} quiet=${VIREO_TESTHOST_QUIET:-8}
  local boot=${VIREO_TESTHOST_BOOT_LIMIT:-180} started latest=0 beating=0; started=$(date +%s)
  while sleep 1; do
    [ -s "$work/qemu.pid" ] && [ ! -s "$work/rc" ] || continue
    local pid now age shape=""; pid=$(cat "$work/qemu.pid"); now=$(date +%s)
    # Each beat truncates the file before it writes the time: once one was seen, an empty file
    # is a beat in progress, not a test host still booting.
    [ -s "$work/heartbeat" ] && beating=1
    if [ "$beating" = 1 ]; then
      age=$(( now - $(stat -c %Y "$work/heartbeat" 2>/dev/null || echo "$now") ))
      # The latest heartbeat of a healthy run, for the margin of the limits above.
      [ "$age" -gt "$latest" ] && { latest=$age; echo "$latest" > "$work/latest-heartbeat"; }
      if [ "$age" -gt "$stale" ]; then shape=$(hang_shape "$pid" "$work")
      elif [ "$age" -gt "$quiet" ] && qemu_idle "$pid"; then shape="silent: its QEMU idle"
      fi
    else
      age=$(( now - started ))
      [ "$age" -gt "$boot" ] && shape="$(hang_shape "$pid" "$work"), before its first heartbeat"
    fi
    if [ -n "$shape" ]; then
      echo "testhost: no heartbeat from the test host for ${age} s; it hung ($shape)" >&2
      python3 "$repo/scripts/testhost-where.py" "$work" "$kernel_pkg" "$cache/testhost/kallsyms" >&2
      echo "testhost: the test host was stopped" >&2
      : > "$work/hung"
      kill -9 "$pid" 2>/dev/null
      return
    fi
  done
}

# CPU ticks (user + system) of a process, all threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# How many of a process's threads are running or waiting to run.
runnable_threads() { cat /proc/"$1"/task/*/stat 2>/dev/null | awk '$3 == "R" {n++} END {print n + 0}'; }

# Whether QEMU did nothing over 2 s: under 5% of a CPU, and none of its threads runnable at
# either look (a QEMU starved by a busy machine waits to run; an idle one sleeps).
qemu_idle() {
  local pid=$1 before
  [ "$(runnable_threads "$pid")" = 0 ] || return 1
  before=$(cpu_ticks "$pid"); sleep 2
  [ "$(runnable_threads "$pid")" = 0 ] || return 1
  [ $(( ($(cpu_ticks "$pid") - before) * 100 / (2 * $(getconf CLK_TCK)) )) -lt 5 ]
}

# Which of the two known hangs this is: the test host's QEMU busy (CPU time over 3 s, or a thread
# waiting to run: a spinning QEMU on a machine busy with other work gets less than half a CPU) or idle.
hang_shape() {
  local pid=$1 work=$2
  local before; before=$(cpu_ticks "$pid"); sleep 3
  local busy=$(( ($(cpu_ticks "$pid") - before) * 100 / (3 * $(getconf CLK_TCK)) ))
  local runnable; runnable=$(runnable_threads "$pid")
  local reports=""
  grep -qE "soft lockup|rcu.*(stall|self-detected)" "$work/console" 2>/dev/null && reports=", lockup reports on its console"
  if [ "$busy" -ge 50 ] || [ "$runnable" -gt 0 ]; then echo "spinning: its QEMU at ${busy}% CPU${reports}"
  else echo "silent: its QEMU at ${busy}% CPU${reports}"; fi
}

run_once() {
  local work; work=$(mktemp -d /tmp/vireo-testhost.XXXXXX)
  pwd > "$work/cwd"
  { echo "export VIREO_IN_TESTHOST=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    [ -n "${VIREO_CACHE:-}" ] && printf 'export VIREO_CACHE=%q\n' "$VIREO_CACHE"
    printf '%q ' "$@"; echo; } > "$work/cmd.sh"
  # The test host's kernel symbols (nokaslr: the same at every boot), taken once into the cache.
  [ -s "$cache/testhost/kallsyms" ] || touch "$work/want-kallsyms"
  local qemu=("${testhost_qemu[@]}" -accel "${VIREO_TESTHOST_ACCEL:-tcg,thread=multi}" -cpu "${VIREO_TESTHOST_CPU:-max}" -smp 2 -m "$mem"
    -kernel "$cache/testhost/vmlinuz" -initrd "$cache/testhost/initrd.gz"
    -append "console=ttyS0 quiet loglevel=1 nokaslr panic=-1 softlockup_panic=1 watchdog_thresh=60 mitigations=off kvm_hold=${VIREO_TESTHOST_KVM_HOLD:-1}${kvm_amd_params:+ kvm_amd_params=$kvm_amd_params}"
    -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
    -virtfs "local,path=$work,mount_tag=work,security_model=none"
    -display none -monitor none -qmp "unix:$work/qmp.sock,server=on,wait=off" -no-reboot -nic none)
  local rc
  if [ $interactive = 1 ]; then
    "${qemu[@]}" -serial stdio
  else
    touch "$work/heartbeat"
    watch_heartbeat "$work" & local watcher=$!
    timeout -k 10 "$limit" "${qemu[@]}" -pidfile "$work/qemu.pid" -serial stdio </dev/null | tee "$work/console" |
      sed -u -e '/^VIREO-TESTHOST-EXIT rc=/d' -e '/reboot: Power down/d'
    [ "${PIPESTATUS[0]}" -ge 124 ] && [ ! -e "$work/hung" ] &&
      echo "testhost: no result after ${limit} s; the test host was stopped" >&2
    kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
    local latest; latest=$(cat "$work/latest-heartbeat" 2>/dev/null || echo 0)
    [ ! -e "$work/hung" ] && [ "$latest" -gt "${VIREO_TESTHOST_QUIET:-8}" ] &&
      echo "testhost: its heartbeat was once ${latest} s late" >&2
  fi
  [ -s "$work/kallsyms" ] && mv "$work/kallsyms" "$cache/testhost/kallsyms"
  if [ -s "$work/rc" ]; then rc=$(cat "$work/rc"); else rc=125; fi
  rm -rf "$work"
  return "$rc"
}

# One test host at a time on this machine (FACTS.md: several at once make them unstable).
exec 9>/tmp/vireo-testhost.lock
flock 9

# A test host that died is started again, up to VIREO_TESTHOST_RETRIES times (default 2): in
# guest-test runs about one test-host call in three hung, always in test_boot (README, known problems).
retries=${VIREO_TESTHOST_RETRIES:-2}
run_once "$@"; rc=$?
while [ $rc = 125 ] && [ $interactive = 0 ] && [ "$retries" -gt 0 ]; do
  echo "testhost: the test host died without reporting a status; starting it again ($retries more at most)" >&2
  retries=$((retries - 1))
  run_once "$@"; rc=$?
done
[ $rc = 125 ] && echo "testhost: the test host died on every attempt" >&2
exit $rc
