#include "machine/machine_queries.h"

#include "devices/pci/pci_root.h"

namespace vireo {

namespace {

PciFunctionInfo describe_function(PciDevice& device, uint8_t slot, uint8_t function)
{
    // Type 0 header offsets (PCI Local Bus 3.0 §6.1).
    PciFunctionInfo info;
    info.slot = slot;
    info.function = function;
    info.vendor = static_cast<uint16_t>(device.config_value(0x00, 2));
    info.device = static_cast<uint16_t>(device.config_value(0x02, 2));
    info.class_code = device.config_value(0x08, 4) >> 8;
    info.subsystem_vendor = static_cast<uint16_t>(device.config_value(0x2c, 2));
    info.subsystem = static_cast<uint16_t>(device.config_value(0x2e, 2));
    info.irq = static_cast<uint8_t>(device.config_value(0x3c, 1));
    info.pin = static_cast<uint8_t>(device.config_value(0x3d, 1));
    for (int bar = 0; bar < 6; ++bar) {
        auto bar_info = device.bar_info(bar);
        if (bar_info.size == 0)
            continue;
        PciBarInfo described;
        described.index = bar;
        described.kind = bar_info.kind == BarKind::Io ? PciBarInfo::Kind::Io
            : bar_info.kind == BarKind::Memory64     ? PciBarInfo::Kind::Memory64
                                                     : PciBarInfo::Kind::Memory32;
        described.prefetchable = bar_info.prefetchable;
        described.address = device.bar_mapping(bar);
        described.size = bar_info.size;
        info.bars.push_back(described);
    }
    return info;
}

SegmentInfo segment_of(const kvm_segment& segment)
{
    return SegmentInfo { segment.selector, segment.base, segment.limit, segment.type, segment.present != 0,
        segment.dpl, segment.db != 0, segment.s != 0, segment.l != 0, segment.g != 0, segment.avl != 0 };
}

} // namespace

std::vector<PciFunctionInfo> pci_function_list(const MachineParts& parts)
{
    std::vector<PciFunctionInfo> list;
    if (!parts.pci_root)
        return list;
    for (uint8_t slot = 0; slot < 32; ++slot) {
        for (uint8_t function = 0; function < 8; ++function) {
            auto device = parts.pci_root->device(slot, function);
            if (!device)
                continue;
            auto info = describe_function(*device, slot, function);
            if (auto id = parts.pci_ids.find(static_cast<uint16_t>(slot << 3 | function)); id != parts.pci_ids.end())
                info.id = id->second;
            list.push_back(std::move(info));
        }
    }
    return list;
}

std::vector<NetClientInfo> network_client_list(const MachineParts& parts)
{
    std::vector<NetClientInfo> list;
    for (const auto& nic : parts.nics)
        list.push_back(NetClientInfo { nic.name, nic.model, nic.mac, nic.netdev_id, nic.netdev_info });
    return list;
}

VcpuRegisters vcpu_registers_of(const kvm_regs& regs, const kvm_sregs& sregs)
{
    VcpuRegisters r;
    r.rax = regs.rax, r.rbx = regs.rbx, r.rcx = regs.rcx, r.rdx = regs.rdx;
    r.rsi = regs.rsi, r.rdi = regs.rdi, r.rbp = regs.rbp, r.rsp = regs.rsp;
    r.r8 = regs.r8, r.r9 = regs.r9, r.r10 = regs.r10, r.r11 = regs.r11;
    r.r12 = regs.r12, r.r13 = regs.r13, r.r14 = regs.r14, r.r15 = regs.r15;
    r.rip = regs.rip, r.rflags = regs.rflags;
    r.es = segment_of(sregs.es), r.cs = segment_of(sregs.cs), r.ss = segment_of(sregs.ss);
    r.ds = segment_of(sregs.ds), r.fs = segment_of(sregs.fs), r.gs = segment_of(sregs.gs);
    r.ldt = segment_of(sregs.ldt), r.tr = segment_of(sregs.tr);
    r.gdt = DescriptorTableInfo { sregs.gdt.base, sregs.gdt.limit };
    r.idt = DescriptorTableInfo { sregs.idt.base, sregs.idt.limit };
    r.cr0 = sregs.cr0, r.cr2 = sregs.cr2, r.cr3 = sregs.cr3, r.cr4 = sregs.cr4, r.efer = sregs.efer;
    return r;
}

} // namespace vireo
