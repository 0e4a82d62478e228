// The vCPU thread's allow list: KVM_RUN, and what devices do while they serve an exit on it
// (bus accesses run synchronously on the vCPU: sys calls of devices' register handlers).
// Hottest first: the filter tests them in this order.
#include <linux/if_tun.h>
#include <linux/kvm.h>

#include "kvm/kvm_abi.h"
#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

namespace {

constexpr SyscallRule k_rules[] = {
    { SCMP_SYS(ioctl), ioctl_request(KVM_RUN), "run the guest until its next exit" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IRQ_LINE), "legacy devices (UART, IDE, RTC, PM) set their IRQ level" },
    { SCMP_SYS(ioctl), ioctl_request(kvm_abi::k_set_gsi_routing), "the guest programs an MSI-X vector or MSI route" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IRQFD), "an MSI-X vector is unmasked or masked: its irqfd comes or goes" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_IOEVENTFD), "the guest moves a virtio BAR: the notify ioeventfds move" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_SET_USER_MEMORY_REGION), "a PAM write maps the BIOS area's segments" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_REGS), "registers for a triple fault's message and a state report" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_SREGS), "segment and control registers, as above" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_LAPIC), "the local APIC for a state report (SIGUSR2)" },
    { SCMP_SYS(ioctl), ioctl_request(KVM_GET_MP_STATE), "the MP state for a state report (SIGUSR2)" },
    { SCMP_SYS(ioctl), ioctl_request(TUNSETOFFLOAD), "virtio-net activation tells the tap which offloads the driver took" },
    { SCMP_SYS(futex), any_args(), "locks of the buses and devices, the pause condition variable" },
    { SCMP_SYS(write), any_args(), "eventfds (loop stop, queued events, completions), serial and debugcon output, log lines" },
    { SCMP_SYS(io_uring_enter), any_args(), "IDE and qcow2 mapped requests submitted from the register write" },
    { SCMP_SYS(sendto), any_args(), "serial output to a socket chardev's client" },
    { SCMP_SYS(rt_sigreturn), any_args(), "return from the SIGUSR1 kick handler" },
};

} // namespace

std::span<const SyscallRule> vcpu_rules() { return k_rules; }

} // namespace vireo::sandbox
