#include "kvm/kvm_system.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include <memory>

#include "kvm/kvm_abi.h"

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

Result<KvmSystem> KvmSystem::duplicate() const
{
    int fd = ::fcntl(m_fd.get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return errno_error("/dev/kvm: dup");
    return KvmSystem { UniqueFd(fd) };
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
    for (size_t count = 64; count <= 4096; count *= 2) {
        kvm_abi::EntryList<kvm_cpuid_entry2> list(count);
        if (::ioctl(m_fd.get(), kvm_abi::k_get_supported_cpuid, list.data()) == 0)
            return list.entries();
        if (errno != E2BIG)
            return errno_error("KVM_GET_SUPPORTED_CPUID");
    }
    return make_error("KVM_GET_SUPPORTED_CPUID: too many entries");
}

} // namespace vireo
