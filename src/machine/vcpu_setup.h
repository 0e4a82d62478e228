#pragma once
// Architectural state every vCPU gets before its first KVM_RUN, independent of the boot method:
// CPUID, MSRs, FPU and the local APIC's LINT pins.
#include <span>

#include <linux/kvm.h>

#include "base/result.h"
#include "kvm/vcpu.h"

namespace vireo {

[[nodiscard]] Result<void> set_up_vcpu_common(Vcpu& vcpu, std::span<const kvm_cpuid_entry2> cpuid);

} // namespace vireo
