#pragma once
// What a kernel loader leaves for the vCPU set-up: the mode and address to start in, and
// where the boot information lies.
#include <cstdint>

namespace vireo {

enum class BootMode {
    Long64,      // Linux 64-bit boot protocol: paging on, RSI = boot_params
    Protected32, // PVH: flat 32-bit protected mode, paging off, EBX = hvm_start_info
};

struct BootSetup {
    BootMode mode = BootMode::Long64;
    uint64_t entry = 0;             // RIP / EIP
    uint64_t boot_info_address = 0; // boot_params (Long64) or hvm_start_info (Protected32)
    uint64_t kernel_start = 0;      // guest-physical range the kernel was loaded to
    uint64_t kernel_end = 0;
    uint64_t initrd_address = 0;    // 0 when there is no initrd
    uint64_t initrd_size = 0;
    uint64_t cmdline_address = 0;
};

} // namespace vireo
