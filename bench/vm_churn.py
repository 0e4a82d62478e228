#!/usr/bin/env python3
"""A fixed stress for the nested test host (issue 13, docs/testhost.md): creates and destroys KVM
VMs, each with a vCPU, as fast as it can for CHURN_SECONDS (default 120), while two processes
hand a byte back and forth through pipes so that the other CPU keeps switching tasks in
__schedule. Without a VM held open for the test host's life, each VM that comes and goes flips
preempt_notifier_key (patched into __schedule through an int3) and KVM's APIC static keys: the
code patching that left the test host's CPUs spinning on an int3. Run it in the test host:

    CHURN_SECONDS=20 bench/testhost_stress.sh 50 bench/vm_churn.py
    STRESS_VARIANTS='held;unheld:VIREO_TESTHOST_KVM_HOLD=0' bench/testhost_stress.sh 5 bench/vm_churn.py

Prints how many VMs it made; exit 0 when it ran its time."""
import fcntl
import os
import time

KVM_CREATE_VM = 0xAE01
KVM_CREATE_IRQCHIP = 0xAE60
KVM_CREATE_VCPU = 0xAE41


def ping_pong(seconds):
    """Two processes passing a byte: a task switch on every hand-over."""
    there_r, there_w = os.pipe()
    back_r, back_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(there_w)  # or the read below never sees the end
        while os.read(there_r, 1):
            os.write(back_w, b"x")
        os._exit(0)
    end = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < end:
        os.write(there_w, b"x")
        os.read(back_r, 1)
        rounds += 1
    os.close(there_w)
    os.waitpid(child, 0)
    return rounds


def main():
    seconds = float(os.environ.get("CHURN_SECONDS", "120"))
    switcher = os.fork()
    if switcher == 0:
        os._exit(0 if ping_pong(seconds) > 0 else 1)
    kvm = os.open("/dev/kvm", os.O_RDWR)
    end = time.monotonic() + seconds
    made = 0
    while time.monotonic() < end:
        vm = fcntl.ioctl(kvm, KVM_CREATE_VM, 0)
        fcntl.ioctl(vm, KVM_CREATE_IRQCHIP, 0)
        vcpu = fcntl.ioctl(vm, KVM_CREATE_VCPU, 0)
        os.close(vcpu)
        os.close(vm)
        made += 1
    _, status = os.waitpid(switcher, 0)
    print(f"vm_churn: {made} VMs made and destroyed in {seconds:.0f} s", flush=True)
    raise SystemExit(0 if status == 0 and made > 0 else 1)


if __name__ == "__main__":
    main()
