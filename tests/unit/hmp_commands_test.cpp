// The human monitor's commands against a fake machine, compared with what QEMU 7.2 prints for
// the same state: info pci/block/network/registers, x and xp (formats, units, RAM bounds,
// page-table walks), sendkey, help.
#include <gtest/gtest.h>

#include <cstring>

#include "monitor/guest_page_walk.h"
#include "monitor/hmp.h"
#include "monitor/hmp_commands.h"
#include "monitor/memory_dump.h"
#include "qmp_fake_machine.h"

namespace vireo {
namespace {

class HmpCommands : public testing::Test {
protected:
    std::string hmp(std::string_view line) { return run_hmp_command(line, m_machine); }
    void poke(uint64_t address, const void* data, size_t size)
    {
        std::memcpy(m_machine.ram.data() + address, data, size);
    }
    void poke64(uint64_t address, uint64_t value) { poke(address, &value, sizeof(value)); }

    FakeMachineControl m_machine;
};

TEST_F(HmpCommands, XpFormatsAndUnitsAsQemu)
{
    const uint8_t bytes[] = { 0x41, 0x00, 0xff, 0x27, 0x0a, 0x5c, 0x80, 0x7f, 0x01, 0x02, 0x03, 0x04 };
    poke(0x1000, bytes, sizeof(bytes));
    EXPECT_EQ(hmp("xp /4xw 0x1000"), "0000000000001000: 0x27ff0041 0x7f805c0a 0x04030201 0x00000000\r\n");
    EXPECT_EQ(hmp("xp /10xb 0x1000"),
        "0000000000001000: 0x41 0x00 0xff 0x27 0x0a 0x5c 0x80 0x7f\r\n"
        "0000000000001008: 0x01 0x02\r\n");
    EXPECT_EQ(hmp("xp /2xg 0x1000"), "0000000000001000: 0x7f805c0a27ff0041 0x0000000004030201\r\n");
    EXPECT_EQ(hmp("xp /3dh 0x1000"), "0000000000001000:    65 10239 23562\r\n");
    EXPECT_EQ(hmp("xp /2db 0x1002"), "0000000000001002:  -1  39\r\n");
    EXPECT_EQ(hmp("xp /2uw 0x1008"), "0000000000001008:   67305985          0\r\n");
    EXPECT_EQ(hmp("xp /2ow 0x1008"), "0000000000001008:  0400601001           0\r\n");
    EXPECT_EQ(hmp("xp /8c 0x1000"), "0000000000001000: 'A' '\\x00' '\\xff' '\\'' '\\n' '\\\\' '\\x80' '\\x7f'\r\n");
    // Without a format: one word in hex; "xp/x" sticks to the command as in QEMU.
    EXPECT_EQ(hmp("xp 0x1008"), "0000000000001008: 0x04030201\r\n");
    EXPECT_EQ(hmp("xp/x 4104"), "0000000000001008: 0x04030201\r\n");
    EXPECT_EQ(hmp("xp /0x 0"), "");
}

TEST_F(HmpCommands, XpIsCheckedAgainstGuestRam)
{
    uint64_t end = m_machine.ram.size();
    // A line that reaches past RAM is refused whole, as QEMU refuses it.
    EXPECT_EQ(hmp(fmt::format("xp /2xw {:#x}", end - 4)), fmt::format("{:016x}: Cannot access memory\r\n", end - 4));
    EXPECT_EQ(hmp(fmt::format("xp /8xw {:#x}", end - 16)),
        fmt::format("{:016x}: 0x00000000 0x00000000 0x00000000 0x00000000\r\n{:016x}: Cannot access memory\r\n",
            end - 16, end));
    EXPECT_EQ(hmp("xp /1xg 0xfffffffffffffffc"), "fffffffffffffffc: Cannot access memory\r\n");
    EXPECT_EQ(hmp("xp /1xw 0xffffffffffffffffff"), "number too large\r\nTry \"help xp\" for more information\r\n");
}

TEST_F(HmpCommands, MemoryDumpErrorsAsQemu)
{
    EXPECT_EQ(hmp("xp /3xq 0"), "invalid char in format: 'q'\r\nTry \"help xp\" for more information\r\n");
    EXPECT_EQ(hmp("xp"), "unexpected end of expression\r\nTry \"help xp\" for more information\r\n");
    EXPECT_EQ(hmp("x 0x"), "x: extraneous characters at the end of line\r\nTry \"help x\" for more information\r\n");
    EXPECT_EQ(hmp("xp /4i 0"),
        "format 'i' is not supported by vireo (x, d, u, o, c)\r\nTry \"help xp\" for more information\r\n");
    // A count whose dump would be megabytes of text is refused, not queued.
    EXPECT_NE(hmp("xp /999999999999xg 0").find("count too large"), std::string::npos);
    EXPECT_NE(hmp("xp /300000xg 0").find("count too large"), std::string::npos);
}

TEST_F(HmpCommands, XWithoutPagingIsPhysical)
{
    poke64(0x2000, 0x1122334455667788ULL);
    m_machine.registers.cr0 = 0x11; // protected mode, no paging
    EXPECT_EQ(hmp("x /1xg 0x2000"), "0000000000002000: 0x1122334455667788\r\n");
    EXPECT_EQ(m_machine.calls.back(), "registers 0");
}

TEST_F(HmpCommands, XWalksFourLevelPageTables)
{
    // CR3 -> PML4 at 0x3000 -> PDPT 0x4000 -> PD 0x5000 -> PT 0x6000 -> page 0x8000, mapping
    // virtual 0xffff800000201000; and a 2 MiB page at virtual 0x40000000 -> 0 (PD entry PS).
    constexpr uint64_t present_writable = 0x3;
    uint64_t virtual_address = 0xffff800000201000ULL;
    poke64(0x3000 + ((virtual_address >> 39) & 0x1ff) * 8, 0x4000 | present_writable);
    poke64(0x4000 + ((virtual_address >> 30) & 0x1ff) * 8, 0x5000 | present_writable);
    poke64(0x5000 + ((virtual_address >> 21) & 0x1ff) * 8, 0x6000 | present_writable);
    poke64(0x6000 + ((virtual_address >> 12) & 0x1ff) * 8, 0x8000 | present_writable);
    poke64(0x8010, 0xdeadbeefcafef00dULL);
    poke64(0x3000, 0x7000 | present_writable);                  // PML4[0]
    poke64(0x7000 + 1 * 8, 0x9000 | present_writable);          // PDPT[1]: 1 GiB
    poke64(0x9000, 0x0 | present_writable | 0x80);              // PD[0]: a 2 MiB page at 0
    m_machine.registers.cr0 = 0x80050033;
    m_machine.registers.cr4 = 0x20;
    m_machine.registers.efer = 0x500;
    m_machine.registers.cr3 = 0x3000;

    EXPECT_EQ(hmp("x /1xg 0xffff800000201010"), "ffff800000201010: 0xdeadbeefcafef00d\r\n");
    EXPECT_EQ(hmp("x /1xg 0x40008010"), "0000000040008010: 0xdeadbeefcafef00d\r\n");
    // Not mapped, and a mapping that points outside RAM: both "Cannot access memory".
    EXPECT_EQ(hmp("x /1xw 0xffff800000202000"), "ffff800000202000: Cannot access memory\r\n");
    poke64(0x6000 + ((virtual_address >> 12) & 0x1ff) * 8, 0x7fff0000ULL | present_writable);
    EXPECT_EQ(hmp("x /1xw 0xffff800000201000"), "ffff800000201000: Cannot access memory\r\n");
}

TEST(GuestPageWalk, ThirtyTwoBitAndPaeTables)
{
    std::vector<uint8_t> ram(0x10000);
    auto write32 = [&](uint64_t at, uint32_t value) { std::memcpy(ram.data() + at, &value, 4); };
    auto write64 = [&](uint64_t at, uint64_t value) { std::memcpy(ram.data() + at, &value, 8); };
    PhysicalReader read = [&](uint64_t at, std::span<uint8_t> out) -> Result<void> {
        if (at > ram.size() || out.size() > ram.size() - at)
            return make_error("outside RAM");
        std::memcpy(out.data(), ram.data() + at, out.size());
        return {};
    };
    VcpuRegisters registers;
    registers.cr0 = 0x80000011;
    registers.cr3 = 0x1000;
    // 32-bit: PD[0x300] (virtual 0xc0000000) -> PT at 0x2000 -> page 0x5000.
    write32(0x1000 + 0x300 * 4, 0x2003);
    write32(0x2000 + 0x1 * 4, 0x5003);
    EXPECT_EQ(translate_virtual(registers, read, 0xc0001234).value(), 0x5234u);
    EXPECT_FALSE(translate_virtual(registers, read, 0xc0002000));
    // PAE: PDPT at CR3 0x1000 entry 3 -> PD 0x3000 -> PT 0x4000 -> page 0x6000.
    registers.cr4 = 0x20;
    write64(0x1000 + 3 * 8, 0x3001);
    write64(0x3000 + 0 * 8, 0x4003);
    write64(0x4000 + 1 * 8, 0x6003);
    EXPECT_EQ(translate_virtual(registers, read, 0xc0001234).value(), 0x6234u);
}

TEST_F(HmpCommands, InfoRegistersInRealModeAsQemu)
{
    auto& r = m_machine.registers;
    r.rdx = 0x00060fb1;
    r.rip = 0xfff0;
    r.rflags = 0x2;
    SegmentInfo data { 0, 0, 0xffff, 3, true, 0, false, true, false, false, false };
    r.es = r.ss = r.ds = r.fs = r.gs = data;
    r.cs = SegmentInfo { 0xf000, 0xffff0000, 0xffff, 0xb, true, 0, false, true, false, false, false };
    r.ldt = SegmentInfo { 0, 0, 0xffff, 2, true, 0, false, false, false, false, false };
    r.tr = SegmentInfo { 0, 0, 0xffff, 0xb, true, 0, false, false, false, false, false };
    r.gdt = r.idt = DescriptorTableInfo { 0, 0xffff };
    r.cr0 = 0x60000010;
    EXPECT_EQ(hmp("info registers"),
        "\r\nCPU#0\r\n"
        "EAX=00000000 EBX=00000000 ECX=00000000 EDX=00060fb1\r\n"
        "ESI=00000000 EDI=00000000 EBP=00000000 ESP=00000000\r\n"
        "EIP=0000fff0 EFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n"
        "ES =0000 00000000 0000ffff 00009300\r\n"
        "CS =f000 ffff0000 0000ffff 00009b00\r\n"
        "SS =0000 00000000 0000ffff 00009300\r\n"
        "DS =0000 00000000 0000ffff 00009300\r\n"
        "FS =0000 00000000 0000ffff 00009300\r\n"
        "GS =0000 00000000 0000ffff 00009300\r\n"
        "LDT=0000 00000000 0000ffff 00008200\r\n"
        "TR =0000 00000000 0000ffff 00008b00\r\n"
        "GDT=     00000000 0000ffff\r\n"
        "IDT=     00000000 0000ffff\r\n"
        "CR0=60000010 CR2=00000000 CR3=00000000 CR4=00000000\r\n"
        "EFER=0000000000000000\r\n");
}

TEST_F(HmpCommands, InfoRegistersInLongMode)
{
    auto& r = m_machine.registers;
    r.rip = 0xffffffff81e0123eULL;
    r.rflags = 0x246;
    r.cr0 = 0x80050033;
    r.efer = 0xd01;
    r.cs = SegmentInfo { 0x10, 0, 0xffffffff, 0xb, true, 0, false, true, true, true, false };
    r.ss = SegmentInfo { 0x18, 0, 0xffffffff, 0x3, true, 0, true, true, false, true, false };
    r.tr = SegmentInfo { 0x40, 0xfffffe0000003000ULL, 0x4087, 0xb, true, 0, false, false, false, false, false };
    auto text = hmp("info registers 1");
    EXPECT_TRUE(text.starts_with("\r\nCPU#1\r\nRAX=0000000000000000 RBX=")) << text;
    EXPECT_NE(text.find("RIP=ffffffff81e0123e RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0\r\n"),
        std::string::npos) << text;
    EXPECT_NE(text.find("CS =0010 0000000000000000 ffffffff 00a09b00 DPL=0 CS64 [-RA]\r\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("SS =0018 0000000000000000 ffffffff 00c09300 DPL=0 DS   [-WA]\r\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("TR =0040 fffffe0000003000 00004087 00008b00 DPL=0 TSS64-busy\r\n"), std::string::npos)
        << text;
    EXPECT_EQ(hmp("info registers 7"), "CPU#7 not available\r\n");
    EXPECT_EQ(hmp("info registers x"), "invalid CPU index 'x'\r\n");
    EXPECT_EQ(std::ranges::count(m_machine.calls, std::string("registers 1")), 1);
}

TEST_F(HmpCommands, InfoPciAsQemu)
{
    PciFunctionInfo bridge { 0, 0, 0x8086, 0x1237, 0x1af4, 0x1100, 0x060000, 0, 0, {}, "" };
    PciFunctionInfo ide { 1, 1, 0x8086, 0x7010, 0x1af4, 0x1100, 0x010180, 0, 0,
        { PciBarInfo { 4, PciBarInfo::Kind::Io, false, 0xc0c0, 16 } }, "" };
    PciFunctionInfo blk { 3, 0, 0x1af4, 0x1001, 0x1af4, 0x0002, 0x010000, 11, 1,
        { PciBarInfo { 0, PciBarInfo::Kind::Io, false, 0xc000, 128 },
            PciBarInfo { 1, PciBarInfo::Kind::Memory32, false, 0xfebd1000, 4096 },
            PciBarInfo { 4, PciBarInfo::Kind::Memory64, true, 0xfe004000, 16384 } },
        "disk0" };
    PciFunctionInfo rng { 4, 0, 0x1af4, 0x1005, 0x1af4, 0x0004, 0x00ff00, 10, 1,
        { PciBarInfo { 1, PciBarInfo::Kind::Memory32, false, std::nullopt, 4096 } }, "" };
    m_machine.pci = { bridge, ide, blk, rng };
    EXPECT_EQ(hmp("info pci"),
        "  Bus  0, device   0, function 0:\r\n"
        "    Host bridge: PCI device 8086:1237\r\n"
        "      PCI subsystem 1af4:1100\r\n"
        "      id \"\"\r\n"
        "  Bus  0, device   1, function 1:\r\n"
        "    IDE controller: PCI device 8086:7010\r\n"
        "      PCI subsystem 1af4:1100\r\n"
        "      BAR4: I/O at 0xc0c0 [0xc0cf].\r\n"
        "      id \"\"\r\n"
        "  Bus  0, device   3, function 0:\r\n"
        "    SCSI controller: PCI device 1af4:1001\r\n"
        "      PCI subsystem 1af4:0002\r\n"
        "      IRQ 11, pin A\r\n"
        "      BAR0: I/O at 0xc000 [0xc07f].\r\n"
        "      BAR1: 32 bit memory at 0xfebd1000 [0xfebd1fff].\r\n"
        "      BAR4: 64 bit prefetchable memory at 0xfe004000 [0xfe007fff].\r\n"
        "      id \"disk0\"\r\n"
        "  Bus  0, device   4, function 0:\r\n"
        "    Class 0255: PCI device 1af4:1005\r\n"
        "      PCI subsystem 1af4:0004\r\n"
        "      IRQ 10, pin A\r\n"
        "      BAR1: 32 bit memory at 0xffffffffffffffff [0x00000ffe].\r\n"
        "      id \"\"\r\n");
    auto qtree = hmp("info qtree");
    EXPECT_NE(qtree.find("      dev: virtio-blk-pci, id \"disk0\"\r\n        addr = 03.0\r\n"), std::string::npos)
        << qtree;
    EXPECT_NE(qtree.find("class SCSI controller, addr 00:03.0, pci id 1af4:1001 (sub 1af4:0002)"), std::string::npos);
    EXPECT_NE(qtree.find("dev: piix3-ide, id \"\""), std::string::npos);
    auto mtree = hmp("info mtree");
    EXPECT_NE(mtree.find("0000000000000000-000000000000ffff (prio 0, ram): alias ram-below-4g @pc.ram "
                         "0000000000000000-000000000000ffff"),
        std::string::npos)
        << mtree;
    EXPECT_NE(mtree.find("    000000000000c0c0-000000000000c0cf (prio 1, i/o): piix3-ide BAR4 (01.1)"),
        std::string::npos)
        << mtree;
}

TEST_F(HmpCommands, InfoBlockNetworkChardevAsQemu)
{
    EXPECT_EQ(hmp("info block"),
        "ide0-hd0: disk.qcow2 (qcow2)\r\n"
        "    Attached to:      /machine/unattached/device[2]\r\n"
        "    Cache mode:       writeback\r\n"
        "    Backing file:     base.qcow2 (chain depth: 1)\r\n"
        "\r\n"
        "ide1-cd0: [not inserted]\r\n"
        "    Attached to:      /machine/unattached/device[3]\r\n"
        "    Removable device: not locked, tray closed\r\n");
    m_machine.nics = { NetClientInfo { "virtio-net-pci.0", "virtio-net-pci", "52:54:00:12:34:56", "n0",
        "index=0,type=user,net=10.0.2.0,restrict=off" } };
    EXPECT_EQ(hmp("info network"),
        "virtio-net-pci.0: index=0,type=nic,model=virtio-net-pci,macaddr=52:54:00:12:34:56\r\n"
        " \\ n0: index=0,type=user,net=10.0.2.0,restrict=off\r\n");
    EXPECT_EQ(hmp("info chardev"), "compat_monitor0: filename=disconnected:unix:/tmp/q,server=on\r\n");
}

TEST_F(HmpCommands, SendkeyCombinations)
{
    EXPECT_EQ(hmp("sendkey ctrl-alt-f1"), "");
    EXPECT_EQ(m_machine.sent_keys,
        (std::vector<PcKeyCode> { { 0x1d, false }, { 0x38, false }, { 0x3b, false } }));
    EXPECT_EQ(hmp("sendkey ctrl_r-delete 200"), "");
    EXPECT_EQ(m_machine.sent_keys, (std::vector<PcKeyCode> { { 0x1d, true }, { 0x53, true } }));
    EXPECT_EQ(hmp("sendkey 0x1c"), "");
    EXPECT_EQ(m_machine.sent_keys, (std::vector<PcKeyCode> { { 0x1c, false } }));
    EXPECT_EQ(hmp("sendkey ctrl-foo"), "invalid parameter: foo\r\n");
    EXPECT_EQ(hmp("sendkey"), "sendkey: string expected\r\nTry \"help sendkey\" for more information\r\n");
    EXPECT_EQ(hmp("sendkey " + std::string(40, 'a') + "-a"), "invalid parameter: " + std::string(40, 'a') + "\r\n");
}

TEST_F(HmpCommands, HelpLinesAsQemu)
{
    auto help = hmp("help");
    EXPECT_NE(help.find("cont|c  -- resume emulation\r\n"), std::string::npos);
    EXPECT_NE(help.find("info [subcommand] -- show various information about the system state\r\n"),
        std::string::npos);
    EXPECT_EQ(hmp("help xp"), "xp /fmt addr -- physical memory dump starting at 'addr'\r\n");
    EXPECT_EQ(hmp("? q"), "quit|q  -- quit the emulator\r\n");
    EXPECT_EQ(hmp("help foo"), "unknown command: 'foo'\r\n");
    EXPECT_NE(hmp("info").find("info pci  -- show PCI info\r\n"), std::string::npos);
    EXPECT_EQ(hmp_info_help("status"), "info status  -- show the current VM status (running|paused)\r\n");
}

TEST_F(HmpCommands, LifecycleCommands)
{
    EXPECT_EQ(hmp("stop"), "");
    EXPECT_EQ(hmp("info status"), "VM status: paused\r\n");
    EXPECT_EQ(hmp("c"), "");
    EXPECT_EQ(hmp("system_reset"), "");
    EXPECT_EQ(hmp("system_powerdown"), "");
    EXPECT_EQ(hmp("q"), "");
    EXPECT_EQ(m_machine.calls, (std::vector<std::string> { "pause", "resume", "reset", "power_button", "quit" }));
    m_machine.state = RunState::Shutdown;
    EXPECT_EQ(hmp("cont"), "Resetting the Virtual Machine is required\r\n");
}

TEST(MemoryDumpFormat, ParsesCountFormatAndUnit)
{
    auto format = parse_dump_format("10xb").value();
    EXPECT_EQ(format.count, 10u);
    EXPECT_EQ(format.format, 'x');
    EXPECT_EQ(format.unit, 1u);
    format = parse_dump_format("gd").value();
    EXPECT_EQ(format.count, 1u);
    EXPECT_EQ(format.format, 'd');
    EXPECT_EQ(format.unit, 8u);
    EXPECT_EQ(parse_dump_format("4cw").value().unit, 1u); // characters are bytes
    EXPECT_EQ(parse_dump_format("-1").error().message, "invalid char in format: '-'");
}

} // namespace
} // namespace vireo
