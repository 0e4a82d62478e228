#pragma once
// /dev/kvm: the system-wide KVM handle, capability checks and the CPUID KVM supports.
#include <linux/kvm.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "base/unique_fd.h"

namespace vireo {

class KvmSystem {
public:
    // Opens /dev/kvm (or path) and checks the API version; errors say what to do.
    [[nodiscard]] static Result<KvmSystem> open(const std::string& path = "/dev/kvm");

    // Another handle on the same /dev/kvm: a machine built at a reset takes one from the handle
    // kept since startup, so no path is opened again (after -runas or -chroot it might fail).
    [[nodiscard]] Result<KvmSystem> duplicate() const;

    [[nodiscard]] int fd() const { return m_fd.get(); }
    [[nodiscard]] int check_extension(int capability) const;
    // Fails naming the capability when KVM lacks it.
    [[nodiscard]] Result<void> require_extension(int capability, const char* name) const;
    [[nodiscard]] Result<size_t> vcpu_mmap_size() const;
    [[nodiscard]] Result<std::vector<kvm_cpuid_entry2>> supported_cpuid() const;

private:
    explicit KvmSystem(UniqueFd fd)
        : m_fd(std::move(fd))
    {
    }
    UniqueFd m_fd;
};

} // namespace vireo
