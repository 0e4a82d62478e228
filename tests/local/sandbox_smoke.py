#!/usr/bin/env python3
"""The vireo binary with its default sandbox on this machine's /dev/kvm, a few seconds per run:
firmware paused under QMP (cont, stop, system_reset, a CD-ROM change to a qcow2 image, quit),
SeaBIOS running with IDE, virtio-blk, virtio-net (slirp) and -debugcon until SIGTERM, and the
same with -sandbox off. Each run must end cleanly and no thread may die of the sandbox.
Exits 77 (skipped) where /dev/kvm cannot be opened. Usage: sandbox_smoke.py path/to/vireo"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77


def kvm_usable():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        return True
    except OSError:
        return False


class Qmp:
    def __init__(self, path, timeout=10):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile("rw")
        json.loads(self.file.readline())  # greeting
        self.command("qmp_capabilities")

    def command(self, name, **arguments):
        message = {"execute": name}
        if arguments:
            message["arguments"] = arguments
        self.file.write(json.dumps(message) + "\n")
        self.file.flush()
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError(f"{name}: connection closed")
            reply = json.loads(line)
            if "return" in reply or "error" in reply:
                return reply


def finish(process, what, expect_status=0):
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
        return f"{what}: did not exit; stderr: {err}"
    problems = []
    if "sandbox" in err:
        problems.append(f"the sandbox stopped it: {err.strip()}")
    if process.returncode != expect_status:
        problems.append(f"exit status {process.returncode}, expected {expect_status}; stderr: {err.strip()}")
    return f"{what}: " + "; ".join(problems) if problems else None


def run_paused_with_qmp(vireo, work, extra):
    qmp_path = os.path.join(work, "qmp.sock")
    cd_image = os.path.join(work, "cd.qcow2")
    if shutil.which("qemu-img"):
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", cd_image, "16M"], check=True)
    process = subprocess.Popen([vireo, "-m", "256", "-nographic", "-S", "-qmp", f"unix:{qmp_path},server=on,wait=off"] + extra,
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        qmp = Qmp(qmp_path)
        steps = [("query-status", {}), ("cont", {}), ("sleep", 1), ("stop", {}), ("cont", {}), ("query-block", {}),
                 ("system_reset", {}), ("sleep", 1), ("query-status", {}), ("query-cpus-fast", {})]
        if os.path.exists(cd_image):
            steps.append(("blockdev-change-medium", {"device": "ide1-cd0", "filename": cd_image}))
        steps += [("system_reset", {}), ("sleep", 1), ("stop", {}), ("quit", {})]
        for name, arguments in steps:
            if name == "sleep":
                time.sleep(arguments)
                continue
            reply = qmp.command(name, **arguments)
            if "error" in reply:
                process.kill()
                return f"{name}: {reply['error']}"
    except (OSError, RuntimeError, ValueError) as error:
        process.kill()
        _, err = process.communicate()
        return f"QMP: {error}; stderr: {err.strip()}"
    return finish(process, "paused firmware under QMP " + " ".join(extra))


def run_devices_until_sigterm(vireo, work, extra):
    disk = os.path.join(work, "disk.qcow2")
    raw = os.path.join(work, "disk.raw")
    iso = os.path.join(work, "empty.iso")
    debug_log = os.path.join(work, "debugcon.log")
    with open(raw, "wb") as f:
        f.truncate(16 << 20)
    with open(iso, "wb") as f:
        f.truncate(2 << 20)
    args = [vireo, "-m", "256", "-nographic", "-debugcon", f"file:{debug_log}", "-drive", f"file={raw},format=raw,if=virtio",
            "-cdrom", iso, "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"]
    if shutil.which("qemu-img"):
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", disk, "32M"], check=True)
        args += ["-hda", disk]
    process = subprocess.Popen(args + extra, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    process.send_signal(signal.SIGTERM)
    problem = finish(process, "SeaBIOS with IDE, virtio-blk, virtio-net until SIGTERM " + " ".join(extra))
    if problem is None and os.path.getsize(debug_log) == 0:
        problem = "SeaBIOS wrote nothing to -debugcon: did the guest run at all?"
    return problem


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    vireo = sys.argv[1]
    if not kvm_usable():
        print("skipped: /dev/kvm cannot be opened here")
        return SKIP
    problems = []
    with tempfile.TemporaryDirectory(prefix="vireo-smoke-") as work:
        for extra in ([], ["-sandbox", "off"]):
            problems.append(run_paused_with_qmp(vireo, work, extra))
            problems.append(run_devices_until_sigterm(vireo, work, extra))
    problems = [p for p in problems if p]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
