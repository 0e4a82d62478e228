#include "kvm/kvm_system.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <memory>

namespace vireo {

Result<KvmSystem> KvmSystem::open(const std::string& path)
{
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        if (saved == ENOENT)
            return make_error("{}: no such device (is the kvm module loaded and virtualization enabled?)", path);
        if (saved == EACCES || saved == EPERM)
            return make_error("{}: permission denied (add your user to the 'kvm' group)", path);
        errno = saved;
        return errno_error("{}", path);
    }
    KvmSystem kvm { UniqueFd(fd) };
    int version = ::ioctl(fd, KVM_GET_API_VERSION, 0);
    if (version != KVM_API_VERSION)
        return make_error("{}: KVM API version {} is not the expected {}", path, version, KVM_API_VERSION);
    return kvm;
}

int KvmSystem::check_extension(int capability) const
{
    int value = ::ioctl(m_fd.get(), KVM_CHECK_EXTENSION, capability);
    return value < 0 ? 0 : value;
}

Result<void> KvmSystem::require_extension(int capability, const char* name) const
{
    if (check_extension(capability) <= 0)
        return make_error("KVM lacks the required capability {}", name);
    return {};
}

Result<size_t> KvmSystem::vcpu_mmap_size() const
{
    int size = ::ioctl(m_fd.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size <= 0)
        return errno_error("KVM_GET_VCPU_MMAP_SIZE");
    return static_cast<size_t>(size);
}

Result<std::vector<kvm_cpuid_entry2>> KvmSystem::supported_cpuid() const
{
    // The kernel says E2BIG until the buffer is large enough.
    for (uint32_t count = 64; count <= 4096; count *= 2) {
        size_t bytes = sizeof(kvm_cpuid2) + count * sizeof(kvm_cpuid_entry2);
        auto storage = std::make_unique<uint64_t[]>((bytes + 7) / 8);
        auto* cpuid = reinterpret_cast<kvm_cpuid2*>(storage.get());
        cpuid->nent = count;
        if (::ioctl(m_fd.get(), KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
            return std::vector<kvm_cpuid_entry2>(cpuid->entries, cpuid->entries + cpuid->nent);
        if (errno != E2BIG)
            return errno_error("KVM_GET_SUPPORTED_CPUID");
    }
    return make_error("KVM_GET_SUPPORTED_CPUID: too many entries");
}

} // namespace vireo
