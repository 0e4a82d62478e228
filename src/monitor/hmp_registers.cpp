// `info registers`: the layout of QEMU 7.2's x86 CPU dump, from the registers KVM gives.
#include <fmt/core.h>

#include <array>

#include "monitor/hmp_commands.h"

namespace vireo {

namespace {

constexpr uint64_t k_cr0_pe = 1;
constexpr uint64_t k_efer_lma = 1ULL << 10;

// The descriptor's attribute bits where they sit in its high dword (Intel SDM vol. 3A §3.4.5),
// as QEMU prints them.
uint32_t descriptor_flags(const SegmentInfo& segment)
{
    return static_cast<uint32_t>(segment.type) << 8 | static_cast<uint32_t>(segment.s) << 12
        | static_cast<uint32_t>(segment.dpl & 3) << 13 | static_cast<uint32_t>(segment.present) << 15
        | static_cast<uint32_t>(segment.avl) << 20 | static_cast<uint32_t>(segment.l) << 21
        | static_cast<uint32_t>(segment.db) << 22 | static_cast<uint32_t>(segment.g) << 23;
}

// System descriptor types (SDM vol. 3A §3.5, table 3-2), legacy and IA-32e mode.
constexpr std::array<const char*, 16> k_system_types { "Reserved", "TSS16-avl", "LDT", "TSS16-busy", "CallGate16",
    "TaskGate", "IntGate16", "TrapGate16", "Reserved", "TSS32-avl", "Reserved", "TSS32-busy", "CallGate32",
    "Reserved", "IntGate32", "TrapGate32" };
constexpr std::array<const char*, 16> k_system_types_64 { "Reserved", "Reserved", "LDT", "Reserved", "Reserved",
    "Reserved", "Reserved", "Reserved", "Reserved", "TSS64-avl", "Reserved", "TSS64-busy", "CallGate64", "Reserved",
    "IntGate64", "TrapGate64" };

std::string segment_line(const char* name, const SegmentInfo& segment, bool protected_mode, bool long_mode)
{
    std::string line = long_mode
        ? fmt::format("{}={:04x} {:016x} {:08x} {:08x}", name, segment.selector, segment.base, segment.limit,
              descriptor_flags(segment))
        : fmt::format("{}={:04x} {:08x} {:08x} {:08x}", name, segment.selector, static_cast<uint32_t>(segment.base),
              segment.limit, descriptor_flags(segment));
    if (!protected_mode || !segment.present)
        return line + "\r\n";
    line += fmt::format(" DPL={} ", segment.dpl & 3);
    uint8_t type = segment.type & 0xf;
    if (!segment.s) {
        line += (long_mode ? k_system_types_64 : k_system_types)[type];
        return line + "\r\n";
    }
    bool code = type & 8;
    if (code) {
        line += segment.l ? "CS64" : segment.db ? "CS32" : "CS16";
        line += fmt::format(" [{}{}", type & 4 ? 'C' : '-', type & 2 ? 'R' : '-');
    } else {
        line += segment.db || long_mode ? "DS  " : "DS16";
        line += fmt::format(" [{}{}", type & 4 ? 'E' : '-', type & 2 ? 'W' : '-');
    }
    line += fmt::format("{}]\r\n", type & 1 ? 'A' : '-');
    return line;
}

// RFLAGS' arithmetic flags as QEMU shows them: D O S Z A P C, '-' when clear.
std::string flag_letters(uint64_t rflags)
{
    constexpr std::array<std::pair<uint64_t, char>, 7> flags { { { 1u << 10, 'D' }, { 1u << 11, 'O' },
        { 1u << 7, 'S' }, { 1u << 6, 'Z' }, { 1u << 4, 'A' }, { 1u << 2, 'P' }, { 1u << 0, 'C' } } };
    std::string letters;
    for (auto [bit, letter] : flags)
        letters += rflags & bit ? letter : '-';
    return letters;
}

} // namespace

std::string format_vcpu_registers(uint32_t index, const VcpuRegisters& r)
{
    bool protected_mode = r.cr0 & k_cr0_pe;
    bool long_mode = r.efer & k_efer_lma;
    bool code64 = long_mode && r.cs.l;
    std::string text = fmt::format("\r\nCPU#{}\r\n", index);
    std::string status = fmt::format("[{}] CPL={} II=0 A20=1 SMM=0 HLT={}", flag_letters(r.rflags), r.ss.dpl & 3,
        r.halted ? 1 : 0);
    if (code64) {
        text += fmt::format("RAX={:016x} RBX={:016x} RCX={:016x} RDX={:016x}\r\n", r.rax, r.rbx, r.rcx, r.rdx);
        text += fmt::format("RSI={:016x} RDI={:016x} RBP={:016x} RSP={:016x}\r\n", r.rsi, r.rdi, r.rbp, r.rsp);
        text += fmt::format("R8 ={:016x} R9 ={:016x} R10={:016x} R11={:016x}\r\n", r.r8, r.r9, r.r10, r.r11);
        text += fmt::format("R12={:016x} R13={:016x} R14={:016x} R15={:016x}\r\n", r.r12, r.r13, r.r14, r.r15);
        text += fmt::format("RIP={:016x} RFL={:08x} {}\r\n", r.rip, static_cast<uint32_t>(r.rflags), status);
    } else {
        auto low = [](uint64_t value) { return static_cast<uint32_t>(value); };
        text += fmt::format("EAX={:08x} EBX={:08x} ECX={:08x} EDX={:08x}\r\n", low(r.rax), low(r.rbx), low(r.rcx),
            low(r.rdx));
        text += fmt::format("ESI={:08x} EDI={:08x} EBP={:08x} ESP={:08x}\r\n", low(r.rsi), low(r.rdi), low(r.rbp),
            low(r.rsp));
        text += fmt::format("EIP={:08x} EFL={:08x} {}\r\n", low(r.rip), low(r.rflags), status);
    }
    constexpr std::array<std::pair<const char*, SegmentInfo VcpuRegisters::*>, 6> segments { {
        { "ES ", &VcpuRegisters::es }, { "CS ", &VcpuRegisters::cs }, { "SS ", &VcpuRegisters::ss },
        { "DS ", &VcpuRegisters::ds }, { "FS ", &VcpuRegisters::fs }, { "GS ", &VcpuRegisters::gs } } };
    for (auto [name, member] : segments)
        text += segment_line(name, r.*member, protected_mode, long_mode);
    text += segment_line("LDT", r.ldt, protected_mode, long_mode);
    text += segment_line("TR ", r.tr, protected_mode, long_mode);
    if (long_mode) {
        text += fmt::format("GDT=     {:016x} {:08x}\r\n", r.gdt.base, r.gdt.limit);
        text += fmt::format("IDT=     {:016x} {:08x}\r\n", r.idt.base, r.idt.limit);
        text += fmt::format("CR0={:08x} CR2={:016x} CR3={:016x} CR4={:08x}\r\n", static_cast<uint32_t>(r.cr0),
            r.cr2, r.cr3, static_cast<uint32_t>(r.cr4));
    } else {
        text += fmt::format("GDT=     {:08x} {:08x}\r\n", static_cast<uint32_t>(r.gdt.base), r.gdt.limit);
        text += fmt::format("IDT=     {:08x} {:08x}\r\n", static_cast<uint32_t>(r.idt.base), r.idt.limit);
        text += fmt::format("CR0={:08x} CR2={:08x} CR3={:08x} CR4={:08x}\r\n", static_cast<uint32_t>(r.cr0),
            static_cast<uint32_t>(r.cr2), static_cast<uint32_t>(r.cr3), static_cast<uint32_t>(r.cr4));
    }
    text += fmt::format("EFER={:016x}\r\n", r.efer);
    return text;
}

} // namespace vireo
