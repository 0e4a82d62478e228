#!/usr/bin/env python3
"""Control-plane benchmark (issue 11): vireo against qemu-system-x86_64 -enable-kvm -cpu host -M pc, on the
same kernel, initramfs and command line (256 MiB, 2 vCPUs, -qmp unix:...), runs interleaved. Run where
/dev/kvm is real KVM (bench/qmp_bench.sh takes care of the nested test host).

Per VMM and run, once the guest's shell is up:
- QMP round trip: `query-status` sent and its reply read, one at a time, COUNT times: median and p99 of
  the latency, and commands per second (COUNT / the loop's wall time).
- stop: from sending `stop` to its reply and to the STOP event (the reply comes once every vCPU is held,
  in both VMMs); cont: from sending `cont` to its reply and to the RESUME event. PAUSES pairs.
Prints one QMPBENCH-JSON line per run and a markdown table of medians (`qmp_bench.py report LOG...`
makes the table again from logs).

Environment: VIREO_BIN, VIREO_CACHE as for the other benchmarks."""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.environ.get("VIREO_CACHE", os.path.join(HERE, "../.cache"))
KERNEL = os.path.join(CACHE, "guest/vmlinuz")
INITRD = os.path.join(CACHE, "guest/initrd.gz")
VIREO = os.environ.get("VIREO_BIN", os.path.join(HERE, "../build/vireo"))
COMMON = ["-enable-kvm", "-m", "256", "-smp", "2", "-kernel", KERNEL, "-initrd", INITRD,
          "-append", "console=ttyS0 quiet", "-nographic", "-nic", "none", "-no-reboot"]
BINARIES = {"vireo": [VIREO], "qemu": ["qemu-system-x86_64", "-cpu", "host", "-M", "pc"]}
T0 = time.monotonic()


def log(message):
    print(f"[{time.monotonic() - T0:7.1f}] {message}", file=sys.stderr, flush=True)


class Qmp:
    def __init__(self, path, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sock.settimeout(60)
        self.buffer = b""
        self.read()  # greeting
        self.send("qmp_capabilities")
        self.reply()

    def read(self):
        while b"\n" not in self.buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP connection closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def send(self, name):
        self.sock.sendall(json.dumps({"execute": name}).encode() + b"\n")

    def reply(self):
        """The next reply; events before it are skipped."""
        while True:
            message = self.read()
            if "event" not in message:
                return message

    def until(self, names):
        """Reads until it has seen every message named in names ("reply" or an event name); returns
        {name: the time it arrived}."""
        seen = {}
        while len(seen) < len(names):
            message = self.read()
            now = time.perf_counter()
            name = message.get("event", "reply")
            if name in names and name not in seen:
                if name == "reply" and "error" in message:
                    raise RuntimeError(f"QMP error: {message}")
                seen[name] = now
        return seen


def json_rows(files, tag):
    """The JSON objects printed after `tag` in benchmark logs (for `report`)."""
    rows = []
    for name in files:
        with open(name) as f:
            rows += [json.loads(line.split(tag, 1)[1]) for line in f if tag in line]
    return rows


def quantile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


def one_run(vmm, count, pauses):
    directory = tempfile.mkdtemp(prefix="qmpbench-")
    path = os.path.join(directory, "qmp.sock")
    command = [*BINARIES[vmm], *COMMON, "-qmp", f"unix:{path},server=on,wait=off"]
    proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    output = bytearray()
    ready = threading.Event()

    def pump():
        while True:
            chunk = proc.stdout.read1(4096)
            if not chunk:
                return
            output.extend(chunk)
            if b"vireo-guest: ready" in output:
                ready.set()
    threading.Thread(target=pump, daemon=True).start()
    try:
        if not ready.wait(240):
            raise RuntimeError(f"{vmm}: the guest did not come up")
        time.sleep(1)
        qmp = Qmp(path)
        latencies = []
        loop_start = time.perf_counter()
        for _ in range(count):
            sent = time.perf_counter()
            qmp.send("query-status")
            qmp.reply()
            latencies.append(time.perf_counter() - sent)
        loop_time = time.perf_counter() - loop_start
        stop_reply, stop_event, cont_reply, cont_event = [], [], [], []
        for _ in range(pauses):
            sent = time.perf_counter()
            qmp.send("stop")
            seen = qmp.until({"reply", "STOP"})
            stop_reply.append(seen["reply"] - sent)
            stop_event.append(seen["STOP"] - sent)
            time.sleep(0.05)
            sent = time.perf_counter()
            qmp.send("cont")
            seen = qmp.until({"reply", "RESUME"})
            cont_reply.append(seen["reply"] - sent)
            cont_event.append(seen["RESUME"] - sent)
            time.sleep(0.2)
        ms = lambda values: statistics.median(values) * 1e3
        return {"vmm": vmm, "rtt_median_us": statistics.median(latencies) * 1e6,
                "rtt_p99_us": quantile(latencies, 0.99) * 1e6, "commands_per_s": count / loop_time,
                "stop_reply_ms": ms(stop_reply), "stop_event_ms": ms(stop_event),
                "cont_reply_ms": ms(cont_reply), "cont_event_ms": ms(cont_event)}
    finally:
        proc.kill()
        proc.wait()
        subprocess.run(["rm", "-rf", directory], check=False)


COLUMNS = [("rtt_median_us", "query-status round trip, median (us)", 0),
           ("rtt_p99_us", "round trip, p99 (us)", 0), ("commands_per_s", "commands/s", 0),
           ("stop_reply_ms", "stop: reply (ms)", 2), ("stop_event_ms", "stop: STOP event (ms)", 2),
           ("cont_reply_ms", "cont: reply (ms)", 2), ("cont_event_ms", "cont: RESUME event (ms)", 2)]


def table(rows):
    out = ["| VMM | runs | " + " | ".join(label for _, label, _ in COLUMNS) + " |",
           "|---|---|" + "---|" * len(COLUMNS)]
    medians = {}
    for vmm in ("vireo", "qemu"):
        rs = [r for r in rows if r["vmm"] == vmm]
        if not rs:
            continue
        medians[vmm] = {key: statistics.median(r[key] for r in rs) for key, _, _ in COLUMNS}
        out.append(f"| {vmm} | {len(rs)} | " + " | ".join(f"{medians[vmm][key]:.{digits}f}"
                                                           for key, _, digits in COLUMNS) + " |")
    if len(medians) == 2:
        out.append("| **vireo/QEMU** | | " + " | ".join(
            f"**{medians['vireo'][key] / medians['qemu'][key]:.2f}x**" if medians["qemu"][key] else ""
            for key, _, _ in COLUMNS) + " |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["run", "report"])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--count", type=int, default=2000, help="query-status round trips per run")
    parser.add_argument("--pauses", type=int, default=20, help="stop/cont pairs per run")
    parser.add_argument("--vmms", default="vireo,qemu")
    args = parser.parse_args()
    rows = []
    if args.mode == "report":
        rows = json_rows(args.files, "QMPBENCH-JSON ")
    else:
        for run in range(args.runs):  # interleaved, so drift in the test host hits every VMM alike
            for vmm in args.vmms.split(","):
                try:
                    row = {**one_run(vmm, args.count, args.pauses), "run": run}
                except (RuntimeError, OSError, EOFError) as error:
                    log(f"{vmm} run {run}: {error}")
                    continue
                log(f"{vmm} run {run}: {row}")
                print("QMPBENCH-JSON " + json.dumps(row), flush=True)
                rows.append(row)
    print(table(rows), flush=True)


if __name__ == "__main__":
    main()
