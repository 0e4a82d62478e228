#!/usr/bin/env python3
"""Says where a hung test host's CPUs are: samples each CPU's registers a few times over the test
host's QMP socket and names the kernel functions at RIP and on the stack (a crude backtrace: every
word on the stack that points into kernel or module text, as the kernel's own "?" entries).

Usage: scripts/testhost-where.py WORK KERNEL_PKG_DIR KALLSYMS
  WORK            the runner's work dir: qmp.sock, and `modules` (written by the test host's init:
                  "NAME SECTION ADDRESS" for each text section of each module loaded)
  KERNEL_PKG_DIR  the unpacked linux-image package the test host booted (the modules' .ko files)
  KALLSYMS        the test host kernel's /proc/kallsyms without modules, as its init wrote it once
                  (Debian's System.map is a stub; the test host runs with nokaslr, so it is exact)
Prints one line per CPU and sample, then a summary; never fails the caller (exit 0)."""
import bisect
import collections
import glob
import json
import os
import re
import socket
import subprocess
import sys
import time

SAMPLES = 6
STACK_WORDS = 64


class Symbols:
    """Address -> "function+0xoff" from the kernel's kallsyms and the loaded modules' symbol tables."""

    def __init__(self, pkg, work, kallsyms):
        self.starts, self.names = [], []
        self.text_ranges = []
        text = [None, None]
        if os.path.exists(kallsyms):
            with open(kallsyms) as f:
                for line in f:
                    addr, kind, name = line.split()[:3]
                    if kind in "tTwW":
                        self.add(int(addr, 16), name)
                    if name == "_stext":
                        text[0] = int(addr, 16)
                    if name == "_etext":
                        text[1] = int(addr, 16)
        if None not in text:
            self.text_ranges.append(tuple(text))
        try:
            with open(os.path.join(work, "modules")) as f:
                rows = [line.split() for line in f if len(line.split()) == 3]
        except OSError:
            rows = []
        modules = collections.defaultdict(dict)
        for name, section, base in rows:
            modules[name][section] = int(base, 16)
        for name, sections in modules.items():
            self.add_module(pkg, name, sections)
        order = sorted(range(len(self.starts)), key=self.starts.__getitem__)
        self.starts = [self.starts[i] for i in order]
        self.names = [self.names[i] for i in order]

    def add(self, addr, name):
        self.starts.append(addr)
        self.names.append(name)

    def add_module(self, pkg, name, sections):
        kos = glob.glob(os.path.join(pkg, "lib", "modules", "*", "**", name.replace("_", "[-_]") + ".ko"),
                        recursive=True)
        if not kos:
            return
        done = subprocess.run(["objdump", "-t", kos[0]], capture_output=True, text=True)
        ends = dict(sections)
        for line in done.stdout.splitlines():
            # "0000000000001234 l     F .text	00000000000000a0 svm_vcpu_run"
            match = re.match(r"([0-9a-f]+) .{7} (\S+)\s+([0-9a-f]+) (\S+)$", line)
            if match and match.group(2) in sections:
                start = sections[match.group(2)] + int(match.group(1), 16)
                self.add(start, f"{match.group(4)} [{name}]")
                ends[match.group(2)] = max(ends[match.group(2)], start + int(match.group(3), 16))
        self.text_ranges += [(base, ends[section]) for section, base in sections.items() if ends[section] > base]

    def in_text(self, addr):
        return any(lo <= addr < hi for lo, hi in self.text_ranges)

    def name(self, addr):
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0 or not self.in_text(addr):
            return f"{addr:#x}"
        return f"{self.names[i]}+{addr - self.starts[i]:#x}"


class Monitor:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(5)
        self.sock.connect(path)
        self.file = self.sock.makefile("rw")
        self.file.readline()
        self.execute("qmp_capabilities")

    def execute(self, command, **arguments):
        self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
        self.file.flush()
        while True:
            reply = json.loads(self.file.readline())
            if "return" in reply or "error" in reply:
                return reply.get("return", "")

    def hmp(self, line):
        return self.execute("human-monitor-command", **{"command-line": line})


def cpus_of(dump):
    """{cpu: {"RIP": int, "RSP": int, "CPL": int, "HLT": int, "IF": bool}} from `info registers -a`."""
    cpus = {}
    for block in re.split(r"\r?\nCPU#", "\n" + dump)[1:]:
        number = int(block.split("\n", 1)[0].strip())
        fields = dict(re.findall(r"\b(RIP|RSP|RFL|CPL|HLT)=([0-9a-f]+)", block))
        if "RIP" not in fields:
            continue
        cpus[number] = {"RIP": int(fields["RIP"], 16), "RSP": int(fields.get("RSP", "0"), 16),
                        "CPL": int(fields.get("CPL", "0")), "HLT": int(fields.get("HLT", "0")),
                        "IF": bool(int(fields.get("RFL", "0"), 16) & 0x200)}
    return cpus


def stack_of(monitor, cpu, rsp, symbols):
    monitor.hmp(f"cpu {cpu}")
    words = [int(w, 16) for w in re.findall(r"0x([0-9a-f]{16})", monitor.hmp(f"x /{STACK_WORDS}gx {rsp:#x}"))]
    return [symbols.name(w) for w in words if symbols.in_text(w)]


def main():
    work, pkg, kallsyms = sys.argv[1:4]
    symbols = Symbols(pkg, work, kallsyms)
    try:
        monitor = Monitor(os.path.join(work, "qmp.sock"))
    except (OSError, ValueError) as error:
        print(f"testhost: cannot ask the test host's QEMU where its CPUs are: {error}")
        return
    seen = collections.defaultdict(collections.Counter)
    try:
        for sample in range(SAMPLES):
            for cpu, regs in sorted(cpus_of(monitor.hmp("info registers -a")).items()):
                where = symbols.name(regs["RIP"])
                state = f"CPL={regs['CPL']} IF={int(regs['IF'])} HLT={regs['HLT']}"
                seen[cpu][where] += 1
                line = f"testhost: cpu{cpu} sample {sample}: {where} ({state})"
                if regs["CPL"] == 0 and symbols.in_text(regs["RIP"]):
                    line += " stack: " + " < ".join(stack_of(monitor, cpu, regs["RSP"], symbols)[:12])
                print(line, flush=True)
            time.sleep(0.3)
    except (OSError, ValueError) as error:
        print(f"testhost: the test host's monitor stopped answering: {error}")
    for cpu, places in sorted(seen.items()):
        print(f"testhost: cpu{cpu} was at " + ", ".join(f"{n}x {where}" for where, n in places.most_common(3)))


if __name__ == "__main__":
    main()
