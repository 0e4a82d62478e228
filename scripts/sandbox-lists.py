#!/usr/bin/env python3
"""Prints each thread kind's seccomp allow list (src/sandbox/*_filter.cpp) as Markdown tables:
one row per system call, its argument conditions and reasons. docs/ARCHITECTURE.md's tables
come from here: run it after changing a list and paste its output over "The sandbox's lists"."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
KINDS = [("event-loop", "event_loop_filter.cpp"), ("vcpu", "vcpu_filter.cpp"),
         ("io-worker", "io_worker_filter.cpp"), ("spawner", "spawner_filter.cpp"),
         ("display", "display_filter.cpp"), ("builder", "builder_filter.cpp"),
         ("event-loop-slirp", "slirp_filter.cpp"),
         ("thread-runtime", "thread_runtime_filter.cpp")]
RULE = re.compile(r'\{\s*SCMP_SYS\((\w+)\),\s*(.*?),\s*"((?:[^"\\]|\\.)*)"\s*(?:,\s*RuleAction::(\w+))?\s*\}', re.S)


def condition_text(text):
    text = " ".join(text.split())
    if text == "any_args()":
        return ""
    m = re.fullmatch(r"ioctl_request\((.+)\)", text)
    if m:
        return m.group(1).replace("kvm_abi::k_", "").upper() if "kvm_abi" in m.group(1) else m.group(1)
    m = re.fullmatch(r"arg_equals\((\d), (.+)\)", text)
    if m:
        return f"arg{m.group(1)} == {m.group(2)}"
    m = re.fullmatch(r"arg_without\((\d), (.+)\)", text)
    if m:
        return f"arg{m.group(1)} without {m.group(2)}"
    m = re.fullmatch(r"arg_with\((\d), (.+)\)", text)
    if m:
        return f"arg{m.group(1)} with {m.group(2)}"
    return text


def rules(file):
    with open(os.path.join(ROOT, "src", "sandbox", file)) as f:
        text = f.read()
    return [(name, condition_text(cond), reason, action or "Allow") for name, cond, reason, action in RULE.findall(text)]


def main():
    for kind, file in KINDS:
        listed = rules(file)
        names = []
        for name, _, _, action in listed:
            if name not in names and action == "Allow":
                names.append(name)
        print(f"#### {kind} ({len(names)} system calls; `src/sandbox/{file}`)\n")
        print("| call | only with | why |")
        print("|---|---|---|")
        rows = {}
        for name, cond, reason, action in listed:
            rows.setdefault(name, []).append((cond, reason, action))
        for name, entries in rows.items():
            if name == "ioctl":
                requests = ", ".join(c for c, _, _ in entries)
                print(f"| ioctl | {requests} | {'; '.join(r for _, r, _ in entries)} |")
                continue
            for cond, reason, action in entries:
                note = {"FailNoSys": " (answered ENOSYS)", "FailPerm": " (answered EPERM)"}.get(action, "")
                print(f"| {name}{note} | {cond} | {reason} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
