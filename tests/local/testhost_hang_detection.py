#!/usr/bin/env python3
"""The nested test host's runner (scripts/testhost-run.sh) declares a hung test host within
seconds and names its shape (issue 13). A stand-in for the test host's QEMU (a script given as
VIREO_TESTHOST_QEMU's tree) writes its pidfile and one heartbeat, then either sleeps (a "silent"
hang: the test host's timers stopped) or spins (a "spinning" one), or never beats at all (its
init never came up); a fourth beats every 2 s while idle, each beat truncating the file a second
before it writes it, and then reports a status, which must not count as a hang. Needs neither
/dev/kvm nor a guest. Usage: testhost_hang_detection.py"""
import os
import stat
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# The stand-in finds the work share and the pidfile among the runner's QEMU arguments.
FAKE_QEMU = r"""#!/bin/sh
work="" pidfile=""
while [ $# -gt 0 ]; do
  case "$1" in
    -pidfile) pidfile=$2; shift ;;
    local,path=*mount_tag=work*) work=${1#local,path=}; work=${work%%,*} ;;
  esac
  shift
done
echo $$ > "$pidfile"
date +%s > "$work/heartbeat"
case "$FAKE_TESTHOST" in
  silent) exec sleep 600 ;;
  spinning) while :; do :; done ;;
  healthy)
    # Each beat as the test host's init writes it (truncate, then the time), slowed down so
    # that the runner sees the file empty half of the time, for longer than the boot limit.
    for i in 1 2 3 4 5 6 7 8; do : > "$work/heartbeat"; sleep 1; date +%s > "$work/heartbeat"; sleep 1; done
    echo 0 > "$work/rc"; echo "VIREO-TESTHOST-EXIT rc=0" ;;
  unborn) : > "$work/heartbeat"; exec sleep 600 ;;
esac
"""


def run(tree, shape):
    env = dict(os.environ, VIREO_TESTHOST_QEMU=tree, FAKE_TESTHOST=shape, VIREO_TESTHOST_RETRIES="0",
               VIREO_TESTHOST_TIMEOUT="120", VIREO_TESTHOST_QUIET="4", VIREO_TESTHOST_HEARTBEAT="10",
               VIREO_TESTHOST_BOOT_LIMIT="6")
    start = time.monotonic()
    result = subprocess.run([os.path.join(REPO, "scripts", "testhost-run.sh"), "true"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=200)
    return result.returncode, result.stdout, time.monotonic() - start


def main():
    failures = []
    with tempfile.TemporaryDirectory() as tree:
        os.makedirs(os.path.join(tree, "usr", "bin"))
        qemu = os.path.join(tree, "usr", "bin", "qemu-system-x86_64")
        with open(qemu, "w") as f:
            f.write(FAKE_QEMU)
        os.chmod(qemu, stat.S_IRWXU)
        # (shape, what the runner must say, how long it may take: the limits above plus the samples)
        for shape, expected, limit in (("silent", "it hung (silent", 15), ("spinning", "it hung (spinning", 25),
                                       ("unborn", "before its first heartbeat", 20), ("healthy", None, 40)):
            rc, output, took = run(tree, shape)
            print(f"{shape}: rc {rc} after {took:.0f} s: {output.strip()}")
            if expected is None:
                if rc != 0 or "hung" in output:
                    failures.append(f"{shape}: a test host with a live heartbeat was stopped (rc {rc})")
            else:
                if rc != 125 or expected not in output:
                    failures.append(f"{shape}: the runner did not say '{expected}' (rc {rc})")
                if took > limit:
                    failures.append(f"{shape}: the hang was declared after {took:.0f} s (limit {limit} s)")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
