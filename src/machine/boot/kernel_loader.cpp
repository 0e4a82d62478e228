#include "machine/boot/kernel_loader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/unique_fd.h"
#include "machine/boot/bzimage.h"
#include "machine/boot/pvh.h"

namespace vireo {

namespace {

template<typename T>
Result<T> with_context(Result<T> result, std::string_view context)
{
    if (!result)
        result.error().message = fmt::format("{}: {}", context, result.error().message);
    return result;
}

} // namespace

Result<BootSetup> load_kernel(const GuestMemory& memory, std::string_view path, std::span<const uint8_t> kernel,
    std::span<const uint8_t> initrd, std::string_view cmdline, std::span<const E820Entry> e820, uint64_t acpi_rsdp)
{
    if (looks_like_elf(kernel))
        return with_context(load_pvh_elf(memory, kernel, initrd, cmdline, e820, acpi_rsdp), path);
    if (looks_like_bzimage(kernel))
        return with_context(load_bzimage(memory, kernel, initrd, cmdline, e820, acpi_rsdp), path);
    return make_error("{}: not a Linux kernel image (neither bzImage nor ELF)", path);
}

Result<BootSetup> load_kernel_files(const GuestMemory& memory, const std::string& kernel_path,
    const std::string& initrd_path, std::string_view cmdline, std::span<const E820Entry> e820, uint64_t acpi_rsdp)
{
    const auto kernel = TRY(read_whole_file(kernel_path));
    std::vector<uint8_t> initrd;
    if (!initrd_path.empty())
        initrd = TRY(read_whole_file(initrd_path));
    return load_kernel(memory, kernel_path, kernel, initrd, cmdline, e820, acpi_rsdp);
}

} // namespace vireo
