#!/usr/bin/env python3
"""VNC benchmark (issue 10): vireo against qemu-system-x86_64 -enable-kvm -M pc -cpu host, both with
`-vga std -vnc 127.0.0.1:N` and the display guest (Debian's generic kernel on bochs-drm, the
display initramfs, `video=1024x768`: QEMU's EDID would have bochs-drm pick 1280x800), one RFB client connected (tests/guest/rfb_client.py). The client offers raw and
CopyRect, as TigerVNC and noVNC do (BENCH_COPYRECT=0: raw only), and no compressing encoding, so
bytes per frame are the pixels and copies sent, no encoder's cleverness. Run where /dev/kvm is real KVM
(bench/vnc_bench.sh takes care of the nested test host). Per VMM, three workloads in turn:

  redraw  the guest writes two prepared 1024x768x32 frames to /dev/fb0 alternately, for ever;
  scroll  the guest prints text to tty1 (fbcon on bochs-drm) in a loop, so the console scrolls;
  idle    nothing runs in the guest.

The client asks for an incremental update as soon as it has read the last one (RFC 6143 §7.5.3)
for BENCH_SECONDS (redraw, scroll; default 20) or 60 s (idle), and counts the updates that
carried pixels ("frames") and the bytes they took. The VMM's CPU time (utime + stime of
/proc/PID/stat, all its threads) over the same window gives CPU per frame, and for idle the
share of one CPU; the guest's own time on the vCPU threads (guest_time) is left out, and each
thread's user and system time per frame is kept beside the totals (thread_ms_per_frame). Prints one VNCBENCH-JSON line per VMM and workload; `report FILE...` makes
the markdown table."""
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../tests/guest"))
from rfb_client import RfbClient  # noqa: E402

CACHE = os.environ.get("VIREO_CACHE", os.path.join(HERE, "../.cache"))
KERNEL = os.path.join(CACHE, "display/vmlinuz")
INITRD = os.path.join(CACHE, "display/initrd.gz")
VIREO = os.environ.get("VIREO_BIN", os.path.join(HERE, "../build/vireo"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "60"))
COPYRECT = os.environ.get("BENCH_COPYRECT", "1") != "0"
TICK = os.sysconf("SC_CLK_TCK")
WORKLOADS = {  # in this order: redraw unbinds fbcon, which scroll needs
    "scroll": "(while :; do ls -l /bin /sbin /lib; done > /dev/tty1 2>&1 & echo $! > /tmp/loop.pid)",
    "redraw": "head -c 3145728 /dev/urandom > /tmp/a; head -c 3145728 /dev/urandom > /tmp/b; "
              "for v in /sys/class/vtconsole/vtcon*; do grep -q 'frame buffer' $v/name && echo 0 > $v/bind; done; "
              "(while :; do cat /tmp/a > /dev/fb0; cat /tmp/b > /dev/fb0; done & echo $! > /tmp/loop.pid)",
    "idle": "true",
}


def free_display():
    for display in range(60, 99):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", 5900 + display))
                return display
            except OSError:
                continue
    raise RuntimeError("no free VNC display")


class Vmm:
    def __init__(self, name, display):
        binary = VIREO if name == "vireo" else "qemu-system-x86_64"
        args = [binary, "-enable-kvm", "-M", "pc", "-cpu", "host", "-m", "512", "-vga", "std", "-nographic",
                "-nic", "none", "-kernel", KERNEL, "-initrd", INITRD, "-append", "console=ttyS0 quiet video=1024x768",
                "-vnc", f"127.0.0.1:{display}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.output = b""
        self.lock = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            with self.lock:
                self.output += chunk
                self.lock.notify_all()

    def expect(self, text, timeout):
        deadline = time.monotonic() + timeout
        with self.lock:
            while text.encode() not in self.output:
                if not self.lock.wait(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(f"no {text!r}: {self.output[-2000:]!r}")

    def run(self, command):
        mark = f"bench-done-{time.monotonic_ns()}"
        self.proc.stdin.write(f"{command}; echo {mark[:6]}''{mark[6:]}\n".encode())
        self.proc.stdin.flush()
        self.expect(mark, 120)

    def cpu_seconds(self):
        """The VMM's own CPU time: utime + stime less guest_time (proc(5): the vCPU threads' time
        in the guest counts as user time), all threads."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12]) - int(fields[40])) / TICK

    def thread_seconds(self):
        """Per thread name (threads of one name summed): [user less guest, system] seconds, to
        say where the VMM's CPU goes (a vCPU thread's system time is KVM handling its exits)."""
        times = {}
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            try:
                with open(f"/proc/{self.proc.pid}/task/{task}/stat") as f:
                    text = f.read()
            except OSError:
                continue  # the thread ended
            name = text[text.index("(") + 1:text.rindex(")")]
            fields = text.rsplit(")", 1)[1].split()
            user, system = (int(fields[11]) - int(fields[40])) / TICK, int(fields[12]) / TICK
            total = times.setdefault(name, [0.0, 0.0])
            total[0] += user
            total[1] += system
        return times

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class CountingClient(RfbClient):
    """Counts the bytes of the server's messages it reads."""
    def _read(self, count):
        data = super()._read(count)
        self.received = getattr(self, "received", 0) + len(data)
        return data


def measure(vmm, client, seconds):
    """Incremental updates back to back for `seconds`: (frames, bytes, VMM CPU seconds, seconds)."""
    frames, start_bytes = 0, client.received
    cpu, threads, started = vmm.cpu_seconds(), vmm.thread_seconds(), time.monotonic()
    client.sock.settimeout(max(5.0, seconds))
    while time.monotonic() - started < seconds:
        before = client.received
        try:
            client.update(incremental=True)
        except socket.timeout:
            break  # idle: no update came in the whole window
        if client.received - before > 16:
            frames += 1
    elapsed = time.monotonic() - started
    after = vmm.thread_seconds()
    per_thread = {name: [round(1000 * (value - threads.get(name, [0.0, 0.0])[i]) / max(frames, 1), 2)
                         for i, value in enumerate(times)] for name, times in after.items()}
    return frames, client.received - start_bytes, vmm.cpu_seconds() - cpu, elapsed, per_thread


def bench(name):
    display = free_display()
    vmm = Vmm(name, display)
    try:
        vmm.expect("vireo-guest: ready", 300)
        vmm.run("true")
        client = CountingClient(5900 + display, copyrect=COPYRECT)
        client.screenshot()
        for workload, command in WORKLOADS.items():
            vmm.run(command)
            time.sleep(5 if workload == "idle" else 3)
            client.screenshot()
            frames, size, cpu, elapsed, per_thread = measure(vmm, client, IDLE_SECONDS if workload == "idle" else SECONDS)
            result = {"vmm": name, "workload": workload, "seconds": round(elapsed, 2), "frames": frames,
                      "fps": round(frames / elapsed, 2), "bytes_per_frame": round(size / frames) if frames else 0,
                      "cpu_seconds": round(cpu, 3), "cpu_ms_per_frame": round(1000 * cpu / frames, 2) if frames else None,
                      "cpu_share": round(cpu / elapsed, 4), "size": [client.width, client.height],
                      "thread_ms_per_frame": per_thread, "copyrect": COPYRECT, "copies": client.copies}
            print("VNCBENCH-JSON " + json.dumps(result), flush=True)
            vmm.run("kill $(cat /tmp/loop.pid 2>/dev/null) 2>/dev/null; rm -f /tmp/loop.pid; true")
    finally:
        vmm.stop()


def report(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            rows += [json.loads(line.split(" ", 1)[1]) for line in f if line.startswith("VNCBENCH-JSON ")]
    print("| workload | VMM | frames/s | bytes/frame | VMM CPU ms/frame | VMM CPU share |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['workload']} | {row['vmm']} | {row['fps']} | {row['bytes_per_frame']} | "
              f"{row['cpu_ms_per_frame']} | {100 * row['cpu_share']:.2f}% |")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "report":
        report(sys.argv[2:])
    else:
        for vmm_name in (sys.argv[1:] or ["vireo", "qemu"]):
            bench(vmm_name)
