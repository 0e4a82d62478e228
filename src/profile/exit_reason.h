#pragma once
// Why KVM_RUN returned, as the exit profiler counts it: KVM's exit reasons (linux/kvm.h
// KVM_EXIT_*) that vireo's vCPU loop sees, one counter each.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace vireo {

enum class ExitReason : uint8_t {
    Io,            // KVM_EXIT_IO: port I/O, served on the PIO bus
    Mmio,          // KVM_EXIT_MMIO: served on the MMIO bus
    Hlt,           // KVM_EXIT_HLT (only without the in-kernel local APIC)
    Shutdown,      // KVM_EXIT_SHUTDOWN: a triple fault
    SystemEvent,   // KVM_EXIT_SYSTEM_EVENT: a reset or power-off request
    Intr,          // KVM_EXIT_INTR, or KVM_RUN interrupted by a signal (a kick)
    Failure,       // KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR, or any other reason
};
inline constexpr size_t k_exit_reason_count = 7;

// The QMP member name ("io", "mmio", "system-event", ...).
[[nodiscard]] constexpr std::string_view exit_reason_key(ExitReason reason)
{
    constexpr std::string_view k_keys[k_exit_reason_count] = { "io", "mmio", "hlt", "shutdown", "system-event",
        "intr", "failure" };
    return k_keys[static_cast<size_t>(reason)];
}

// KVM's name, as the human monitor prints it ("IO", "MMIO", "SYSTEM_EVENT", ...).
[[nodiscard]] constexpr std::string_view exit_reason_kvm_name(ExitReason reason)
{
    constexpr std::string_view k_names[k_exit_reason_count] = { "IO", "MMIO", "HLT", "SHUTDOWN", "SYSTEM_EVENT",
        "INTR", "FAILURE" };
    return k_names[static_cast<size_t>(reason)];
}

} // namespace vireo
