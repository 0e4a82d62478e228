#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/help.h"
#include "cli/options.h"
#include "cli_test_util.h"
#include "machine/assembly/builders.h"

using namespace vireo;

using test::config_of;
using test::error_of;
using test::parse;

// ---- The sample command lines ----

TEST(Cli, SampleKernelBootNographic)
{
    auto config = config_of({ "-enable-kvm", "-m", "512", "-smp", "2", "-kernel", "vmlinuz", "-initrd", "initrd.gz",
                              "-append", "console=ttyS0", "-nographic" });
    EXPECT_EQ(config.memory_bytes, 512ULL << 20);
    EXPECT_EQ(config.smp.cpus, 2u);
    EXPECT_EQ(config.smp.max_cpus, 2u);
    EXPECT_EQ(config.kernel, "vmlinuz");
    EXPECT_EQ(config.initrd, "initrd.gz");
    EXPECT_EQ(config.append, "console=ttyS0");
    EXPECT_TRUE(config.nographic);
    EXPECT_TRUE(config.serials.empty());
    EXPECT_EQ(config.accel, "kvm");
    EXPECT_EQ(config.machine, "pc");
    EXPECT_EQ(config.cpu, "host");
    EXPECT_TRUE(config.default_network);
}

TEST(Cli, SampleAccelSerialDisplayNone)
{
    auto config = config_of({ "-accel", "kvm", "-M", "pc", "-m", "1G", "-smp", "4", "-kernel", "vmlinuz", "-append",
                              "console=ttyS0 quiet", "-serial", "stdio", "-display", "none", "-name", "test",
                              "-no-reboot" });
    EXPECT_EQ(config.memory_bytes, 1ULL << 30);
    EXPECT_EQ(config.smp.cpus, 4u);
    EXPECT_EQ(config.smp.cores, 4u);
    EXPECT_EQ(config.smp.sockets, 1u);
    EXPECT_EQ(config.append, "console=ttyS0 quiet");
    ASSERT_EQ(config.serials.size(), 1u);
    EXPECT_EQ(config.serials[0].backend, SerialBackend::Stdio);
    EXPECT_TRUE(config.display_none);
    EXPECT_FALSE(config.nographic);
    EXPECT_EQ(config.name, "test");
    EXPECT_TRUE(config.no_reboot);
}

TEST(Cli, SampleDiskAndOldStyleTapNetwork)
{
    auto config = config_of({ "-enable-kvm", "-name", "ubuntutest", "-m", "2048", "-hda", "ubuntutest.qcow2", "-net",
                              "nic,model=virtio", "-net", "tap,ifname=tap0,script=no,downscript=no" });
    EXPECT_EQ(config.name, "ubuntutest");
    EXPECT_EQ(config.memory_bytes, 2048ULL << 20);
    ASSERT_EQ(config.drives.size(), 1u);
    EXPECT_EQ(config.drives[0].file, "ubuntutest.qcow2");
    EXPECT_EQ(config.drives[0].interface, DriveInterface::Ide);
    EXPECT_EQ(config.drives[0].index, 0);
    EXPECT_EQ(config.drives[0].format, "");
    EXPECT_EQ(config.drives[0].id, "drive0");
    ASSERT_EQ(config.netdevs.size(), 1u);
    EXPECT_EQ(config.netdevs[0].type, "tap");
    EXPECT_EQ(config.netdevs[0].ifname, "tap0");
    EXPECT_EQ(config.netdevs[0].id, "net0");
    ASSERT_EQ(config.devices.size(), 1u);
    EXPECT_EQ(config.devices[0].driver, "virtio-net-pci");
    EXPECT_EQ(config.devices[0].properties.at("netdev"), "net0");
    EXPECT_FALSE(config.default_network);

    // The sample with -vnc :19 parses whole now.
    auto with_vnc = config_of({ "-enable-kvm", "-name", "ubuntutest", "-m", "2048", "-hda", "ubuntutest.qcow2", "-net",
        "nic,model=virtio", "-net", "tap,ifname=tap0,script=no,downscript=no", "-vnc", ":19" });
    ASSERT_TRUE(with_vnc.vnc);
    EXPECT_EQ(with_vnc.vnc->display, 19u);
}

// ---- General ----

TEST(Cli, EmptyCommandLineGivesDefaults)
{
    auto config = config_of({});
    EXPECT_EQ(config.memory_bytes, 128ULL << 20);
    EXPECT_EQ(config.smp.cpus, 1u);
    EXPECT_TRUE(config.default_network);
    EXPECT_TRUE(config.drives.empty());
}

TEST(Cli, DoubleDashFormsAreAccepted)
{
    auto config = config_of({ "--enable-kvm", "--m", "256", "--nographic", "--kernel", "k" });
    EXPECT_EQ(config.memory_bytes, 256ULL << 20);
    EXPECT_TRUE(config.nographic);
    EXPECT_EQ(config.kernel, "k");
}

TEST(Cli, UnknownAndUnsupportedOptionsAreRefused)
{
    EXPECT_EQ(error_of({ "-foo" }), "-foo: unsupported option");
    EXPECT_EQ(error_of({ "--foo" }), "-foo: unsupported option");
    for (std::string option : { "usb", "soundhw", "incoming",
                                "loadvm", "snapshot", "writeconfig", "global" })
        EXPECT_EQ(error_of({ "-" + option, "x" }), "-" + option + ": unsupported option");
    EXPECT_EQ(error_of({ "-" }), "-: unsupported option");
    EXPECT_EQ(error_of({ "--" }), "-: unsupported option");
    EXPECT_EQ(error_of({ "-a\nb" }), "-a?b: unsupported option");
}

TEST(Cli, MissingArgument)
{
    for (std::string option : { "m", "smp", "kernel", "initrd", "append", "name", "serial", "display", "drive",
                                "hda", "device", "netdev", "net", "nic", "chardev", "accel", "machine", "M", "cpu",
                                "qmp", "mon", "uuid" })
        EXPECT_EQ(error_of({ "-" + option }), "-" + option + ": missing argument");
    EXPECT_EQ(error_of({ "--m" }), "-m: missing argument");
}

TEST(Cli, HelpAndVersionStopTheParse)
{
    for (std::string help : { "-h", "-help", "--help" }) {
        auto result = parse({ "-m", "1G", help, "-bogus" });
        ASSERT_TRUE(result);
        EXPECT_EQ(result->action, CommandLine::Action::Help);
    }
    auto version = parse({ "-version", "-bogus" });
    ASSERT_TRUE(version);
    EXPECT_EQ(version->action, CommandLine::Action::Version);
    // An error before -help still counts.
    EXPECT_EQ(error_of({ "-bogus", "-help" }), "-bogus: unsupported option");
    EXPECT_NE(help_text().find("-netdev"), std::string::npos);
    EXPECT_EQ(version_text(), std::string("vireo version ") + VIREO_VERSION + ", QEMU-compatible options\n");
}

TEST(Cli, LaterOptionsOverrideEarlierOnes)
{
    auto config = config_of({ "-m", "1G", "-m", "2G", "-kernel", "a", "-kernel", "b", "-append", "x", "-append",
                              "y" });
    EXPECT_EQ(config.memory_bytes, 2ULL << 30);
    EXPECT_EQ(config.kernel, "b");
    EXPECT_EQ(config.append, "y");
}

TEST(Cli, BareArgumentIsTheFirstDisk)
{
    auto config = config_of({ "disk.img", "-m", "64" });
    ASSERT_EQ(config.drives.size(), 1u);
    EXPECT_EQ(config.drives[0].file, "disk.img");
    EXPECT_EQ(config.drives[0].index, 0);
    EXPECT_EQ(error_of({ "" }), "-hda : empty file name");
}

// ---- Accelerator, machine, CPU ----

TEST(Cli, Accelerator)
{
    config_of({ "-accel", "kvm" });
    config_of({ "-accel", "accel=kvm" });
    EXPECT_EQ(error_of({ "-accel", "tcg" }), "-accel tcg: only kvm is supported");
    EXPECT_EQ(error_of({ "-accel", "tcg,thread=multi" }), "-accel tcg,thread=multi: unknown parameter 'thread'");
    EXPECT_EQ(error_of({ "-accel", "" }), "-accel : only kvm is supported");
}

TEST(Cli, Machine)
{
    EXPECT_EQ(config_of({ "-machine", "pc,accel=kvm" }).machine, "pc");
    EXPECT_EQ(config_of({ "-M", "pc-i440fx-7.2" }).machine, "pc");
    config_of({ "-machine", "type=pc" });
    config_of({ "-machine", "accel=kvm" });
    config_of({ "-machine", "pc,accel=kvm:tcg,usb=off" });
    EXPECT_EQ(error_of({ "-M", "q35" }), "-M q35: unsupported machine type 'q35' (pc, pc-i440fx-1.4 to 7.2, none)");
    EXPECT_EQ(error_of({ "-machine", "microvm" }), "-machine microvm: unsupported machine type 'microvm' (pc, pc-i440fx-1.4 to 7.2, none)");
    EXPECT_EQ(error_of({ "-machine", "pc,accel=tcg" }), "-machine pc,accel=tcg: only kvm is supported");
    EXPECT_EQ(error_of({ "-machine", "pc,usb=on" }), "-machine pc,usb=on: USB is not supported");
    EXPECT_EQ(error_of({ "-machine", "pc,smm=on" }), "-machine pc,smm=on: smm=on: vireo has no system management mode");
}

TEST(Cli, Cpu)
{
    EXPECT_EQ(config_of({ "-cpu", "host" }).cpu, "host");
    EXPECT_EQ(config_of({ "-cpu", "max" }).cpu, "host");
    EXPECT_EQ(error_of({ "-cpu", "qemu64" }), "-cpu qemu64: unsupported CPU model 'qemu64' (only host)");
    EXPECT_EQ(error_of({ "-cpu", "host,+x2apic" }), "-cpu host,+x2apic: CPU properties are not supported");
}

// ---- Memory ----

TEST(Cli, MemorySizes)
{
    EXPECT_EQ(config_of({ "-m", "512" }).memory_bytes, 512ULL << 20);
    EXPECT_EQ(config_of({ "-m", "1G" }).memory_bytes, 1ULL << 30);
    EXPECT_EQ(config_of({ "-m", "1g" }).memory_bytes, 1ULL << 30);
    EXPECT_EQ(config_of({ "-m", "size=768M" }).memory_bytes, 768ULL << 20);
    EXPECT_EQ(config_of({ "-m", "size=2" }).memory_bytes, 2ULL << 20);
    EXPECT_EQ(config_of({ "-m", "1.5G" }).memory_bytes, 3ULL << 29);
    EXPECT_EQ(config_of({ "-m", "100000b" }).memory_bytes, 106496u); // rounded up to 8 KiB
}

TEST(Cli, MemoryErrors)
{
    EXPECT_EQ(error_of({ "-m", "0" }), "-m 0: memory size must be positive");
    EXPECT_EQ(error_of({ "-m", "0G" }), "-m 0G: memory size must be positive");
    EXPECT_EQ(error_of({ "-m", "12X" }), "-m 12X: invalid size");
    EXPECT_EQ(error_of({ "-m", "1GB" }), "-m 1GB: invalid size");
    EXPECT_EQ(error_of({ "-m", "-1" }), "-m -1: invalid size");
    EXPECT_EQ(error_of({ "-m", "" }), "-m : missing memory size");
    EXPECT_EQ(error_of({ "-m", "17592186044416" }), "-m 17592186044416: size too large");
    EXPECT_EQ(error_of({ "-m", "18446744073709551615b" }), "-m 18446744073709551615b: size too large");
    EXPECT_EQ(error_of({ "-m", "1G,maxmem=4G" }), "-m 1G,maxmem=4G: memory hotplug (slots=, maxmem=) is not supported");
    EXPECT_EQ(error_of({ "-m", "1G,slots=2" }), "-m 1G,slots=2: memory hotplug (slots=, maxmem=) is not supported");
    EXPECT_EQ(error_of({ "-m", "1G,foo=2" }), "-m 1G,foo=2: unknown parameter 'foo'");
}

// ---- SMP ----

TEST(Cli, SmpComputesMissingValues)
{
    auto smp = config_of({ "-smp", "4" }).smp;
    EXPECT_EQ(smp.cpus, 4u);
    EXPECT_EQ(smp.sockets, 1u);
    EXPECT_EQ(smp.cores, 4u);
    EXPECT_EQ(smp.threads, 1u);
    EXPECT_EQ(smp.max_cpus, 4u);

    smp = config_of({ "-smp", "8,sockets=2" }).smp;
    EXPECT_EQ(smp.sockets, 2u);
    EXPECT_EQ(smp.cores, 4u);
    EXPECT_EQ(smp.threads, 1u);

    smp = config_of({ "-smp", "8,cores=2" }).smp;
    EXPECT_EQ(smp.sockets, 4u);
    EXPECT_EQ(smp.cores, 2u);

    smp = config_of({ "-smp", "8,sockets=2,cores=2" }).smp;
    EXPECT_EQ(smp.threads, 2u);

    smp = config_of({ "-smp", "sockets=2,cores=3,threads=2" }).smp;
    EXPECT_EQ(smp.cpus, 12u);
    EXPECT_EQ(smp.max_cpus, 12u);

    smp = config_of({ "-smp", "2,maxcpus=4" }).smp;
    EXPECT_EQ(smp.cpus, 2u);
    EXPECT_EQ(smp.max_cpus, 4u);
    EXPECT_EQ(smp.cores, 4u);

    smp = config_of({ "-smp", "cpus=255" }).smp;
    EXPECT_EQ(smp.cpus, 255u);
    smp = config_of({ "-smp", "2,dies=1,clusters=1" }).smp;
    EXPECT_EQ(smp.cpus, 2u);
}

TEST(Cli, SmpErrors)
{
    EXPECT_EQ(error_of({ "-smp", "0" }), "-smp 0: cpus must be positive");
    EXPECT_EQ(error_of({ "-smp", "2,cores=0" }), "-smp 2,cores=0: cores must be positive");
    EXPECT_EQ(error_of({ "-smp", "256" }), "-smp 256: at most 255 CPUs are supported");
    EXPECT_EQ(error_of({ "-smp", "99999999999999999999999" }), "-smp 99999999999999999999999: invalid value "
                                                               "'99999999999999999999999' for cpus");
    EXPECT_EQ(error_of({ "-smp", "two" }), "-smp two: invalid value 'two' for cpus");
    EXPECT_EQ(error_of({ "-smp", "3,cores=2" }),
              "-smp 3,cores=2: invalid CPU topology: sockets (1) * cores (2) * threads (1) != maxcpus (3)");
    EXPECT_EQ(error_of({ "-smp", "2,cores=4" }),
              "-smp 2,cores=4: invalid CPU topology: sockets (0) * cores (4) * threads (1) != maxcpus (2)");
    EXPECT_EQ(error_of({ "-smp", "4,maxcpus=2" }),
              "-smp 4,maxcpus=2: invalid CPU topology: maxcpus (2) must be at least cpus (4)");
    EXPECT_EQ(error_of({ "-smp", "4,sockets=2,cores=1,threads=1" }),
              "-smp 4,sockets=2,cores=1,threads=1: invalid CPU topology: sockets (2) * cores (1) * threads (1) != "
              "maxcpus (4)");
    EXPECT_EQ(error_of({ "-smp", "4,sockets=1,cores=2,threads=1,maxcpus=2" }),
              "-smp 4,sockets=1,cores=2,threads=1,maxcpus=2: invalid CPU topology: maxcpus (2) must be at least "
              "cpus (4)");
    EXPECT_EQ(error_of({ "-smp", "sockets=200,cores=200" }),
              "-smp sockets=200,cores=200: at most 255 CPUs are supported");
    EXPECT_EQ(error_of({ "-smp", "4,dies=2" }), "-smp 4,dies=2: dies=2 is not supported (only 1)");
    EXPECT_EQ(error_of({ "-smp", "4,books=2" }), "-smp 4,books=2: unknown parameter 'books'");
}

// ---- Boot, name, display, serial ----

TEST(Cli, NameForms)
{
    EXPECT_EQ(config_of({ "-name", "vm1" }).name, "vm1");
    EXPECT_EQ(config_of({ "-name", "guest=vm2,process=vireo-vm2,debug-threads=on" }).name, "vm2");
    EXPECT_EQ(config_of({ "-name", "a,,b" }).name, "a,b");
    EXPECT_EQ(error_of({ "-name", "vm,color=red" }), "-name vm,color=red: unknown parameter 'color'");
}

TEST(Cli, EmptyBootFiles)
{
    EXPECT_EQ(error_of({ "-kernel", "" }), "-kernel : empty file name");
    EXPECT_EQ(error_of({ "-initrd", "" }), "-initrd : empty file name");
    EXPECT_EQ(config_of({ "-append", "" }).append, "");
}

TEST(Cli, Display)
{
    EXPECT_TRUE(config_of({ "-display", "none" }).display_none);
    EXPECT_EQ(error_of({ "-display", "gtk" }), "-display gtk: vireo opens no window: it shows the guest's display over VNC only");
    EXPECT_EQ(error_of({ "-display", "sdl,gl=on" }),
        "-display sdl,gl=on: vireo opens no window: it shows the guest's display over VNC only");
    EXPECT_EQ(error_of({ "-sdl" }), "-sdl: vireo opens no window: it shows the guest's display over VNC only");
    EXPECT_EQ(error_of({ "-display", "egg" }), "-display egg: unsupported display 'egg' (only none)");
    EXPECT_EQ(error_of({ "-display", "none,gl=off" }), "-display none,gl=off: display options are not supported");
}

TEST(Cli, Vga)
{
    EXPECT_EQ(config_of({}).vga, VgaType::Default);
    EXPECT_EQ(config_of({ "-vga", "std" }).vga, VgaType::Std);
    EXPECT_EQ(config_of({ "-vga", "none" }).vga, VgaType::None);
    EXPECT_EQ(error_of({ "-vga", "cirrus" }), "-vga cirrus: unsupported VGA type 'cirrus' (std, none)");
    EXPECT_EQ(error_of({ "-vga" }), "-vga: missing argument");
    auto device = config_of({ "-device", "VGA,vgamem_mb=32" });
    ASSERT_EQ(device.devices.size(), 1u);
    EXPECT_EQ(device.devices[0].driver, "VGA");
    EXPECT_EQ(device.devices[0].properties.at("vgamem_mb"), "32");
}

// QEMU's rule for the pc machine's VGA (with_default = true), and vireo's until VNC exists.
TEST(Cli, VgaPlanFollowsQemusDefaults)
{
    auto plan = [](std::vector<std::string> args, bool with_default) { return plan_vga(config_of(std::move(args)), with_default); };
    EXPECT_EQ(plan({}, true), VgaPlan::DefaultSlot);
    EXPECT_EQ(plan({ "-nographic" }, true), VgaPlan::DefaultSlot);
    EXPECT_EQ(plan({ "-display", "none" }, true), VgaPlan::DefaultSlot);
    EXPECT_EQ(plan({ "-vga", "none" }, true), VgaPlan::None);
    EXPECT_EQ(plan({ "-nodefaults" }, true), VgaPlan::None);
    EXPECT_EQ(plan({ "-nodefaults", "-vga", "std" }, true), VgaPlan::DefaultSlot);
    EXPECT_EQ(plan({ "-device", "VGA,vgamem_mb=32" }, true), VgaPlan::FromDevice);
    EXPECT_EQ(plan({ "-nodefaults", "-device", "VGA" }, true), VgaPlan::FromDevice);

    EXPECT_EQ(plan({}, false), VgaPlan::None);
    EXPECT_EQ(plan({ "-nographic" }, false), VgaPlan::None);
    EXPECT_EQ(plan({ "-vga", "std" }, false), VgaPlan::DefaultSlot);
    EXPECT_EQ(plan({ "-device", "VGA" }, false), VgaPlan::FromDevice);
    EXPECT_FALSE(wants_std_vga(config_of({ "-nographic" })));
    EXPECT_TRUE(wants_std_vga(config_of({ "-vga", "std" })));
}

TEST(Cli, SerialBackends)
{
    auto config = config_of({ "-serial", "stdio", "-serial", "mon:stdio", "-serial", "file:/tmp/s.log", "-serial",
                              "null" });
    ASSERT_EQ(config.serials.size(), 4u);
    EXPECT_EQ(config.serials[0].backend, SerialBackend::Stdio);
    EXPECT_EQ(config.serials[1].backend, SerialBackend::MonStdio);
    EXPECT_EQ(config.serials[2].backend, SerialBackend::File);
    EXPECT_EQ(config.serials[2].path, "/tmp/s.log");
    EXPECT_EQ(config.serials[3].backend, SerialBackend::Null);
    EXPECT_EQ(config_of({ "-serial", "none" }).serials.at(0).backend, SerialBackend::None);

    EXPECT_EQ(error_of({ "-serial", "pty" }),
              "-serial pty: unsupported serial backend (stdio, mon:stdio, file:PATH, null, none)");
    EXPECT_EQ(error_of({ "-serial", "file:" }), "-serial file:: empty file name");
    EXPECT_EQ(error_of({ "-serial", "null", "-serial", "null", "-serial", "null", "-serial", "null", "-serial",
                         "null" }),
              "-serial null: too many serial ports (at most 4)");
}

// ---- Drives ----

TEST(Cli, DriveWithEveryKey)
{
    auto config = config_of({ "-drive", "file=a,,b.qcow2,format=qcow2,if=virtio,id=disk0,index=1,readonly=on,"
                                        "snapshot=on,cache=none,aio=io_uring,discard=unmap,media=disk" });
    ASSERT_EQ(config.drives.size(), 1u);
    const auto& drive = config.drives[0];
    EXPECT_EQ(drive.file, "a,b.qcow2");
    EXPECT_EQ(drive.format, "qcow2");
    EXPECT_EQ(drive.interface, DriveInterface::Virtio);
    EXPECT_EQ(drive.id, "disk0");
    EXPECT_EQ(drive.index, 1);
    EXPECT_TRUE(drive.read_only);
    EXPECT_TRUE(drive.snapshot);
    EXPECT_EQ(drive.cache, CacheMode::None);
    EXPECT_EQ(drive.aio, AioMode::IoUring);
    EXPECT_TRUE(drive.discard);
}

TEST(Cli, DriveDefaultsAndValues)
{
    auto drive = config_of({ "-drive", "file=x.img" }).drives.at(0);
    EXPECT_EQ(drive.interface, DriveInterface::Ide);
    EXPECT_EQ(drive.format, "");
    EXPECT_EQ(drive.index, -1);
    EXPECT_FALSE(drive.read_only);
    EXPECT_EQ(drive.cache, CacheMode::Writeback);
    EXPECT_EQ(drive.aio, AioMode::Threads);
    EXPECT_FALSE(drive.discard);
    EXPECT_EQ(drive.id, "drive0");

    EXPECT_EQ(config_of({ "-drive", "file=x,if=none,id=d" }).drives.at(0).interface, DriveInterface::None);
    EXPECT_EQ(config_of({ "-drive", "file=x,format=raw" }).drives.at(0).format, "raw");
    EXPECT_TRUE(config_of({ "-drive", "file=x,read-only=on" }).drives.at(0).read_only);
    EXPECT_FALSE(config_of({ "-drive", "file=x,readonly=on,read-only=off" }).drives.at(0).read_only);
    EXPECT_EQ(config_of({ "-drive", "file=x,cache=writethrough" }).drives.at(0).cache, CacheMode::Writethrough);
    EXPECT_EQ(config_of({ "-drive", "file=x,cache=unsafe" }).drives.at(0).cache, CacheMode::Unsafe);
    EXPECT_EQ(config_of({ "-drive", "file=x,cache=directsync" }).drives.at(0).cache, CacheMode::DirectSync);
    EXPECT_EQ(config_of({ "-drive", "file=x,aio=native" }).drives.at(0).aio, AioMode::Native);
    EXPECT_FALSE(config_of({ "-drive", "file=x,discard=ignore" }).drives.at(0).discard);
    EXPECT_TRUE(config_of({ "-drive", "file=x,discard=on" }).drives.at(0).discard);
}

TEST(Cli, DriveErrors)
{
    EXPECT_EQ(error_of({ "-drive", "if=virtio" }), "-drive if=virtio: file= is required");
    EXPECT_EQ(error_of({ "-drive", "file=x,bogus=1" }), "-drive file=x,bogus=1: unknown parameter 'bogus'");
    EXPECT_EQ(error_of({ "-drive", "disk.img" }), "-drive disk.img: unknown parameter 'disk.img'");
    EXPECT_EQ(error_of({ "-drive", "file=x,format=vmdk" }),
              "-drive file=x,format=vmdk: unsupported format 'vmdk' (raw, qcow2)");
    EXPECT_EQ(error_of({ "-drive", "file=x,if=scsi" }),
              "-drive file=x,if=scsi: unsupported interface 'scsi' (virtio, ide, none)");
    EXPECT_EQ(error_of({ "-drive", "file=x,readonly=maybe" }),
              "-drive file=x,readonly=maybe: invalid value 'maybe' for readonly (expected on or off)");
    EXPECT_EQ(error_of({ "-drive", "file=x,cache=fast" }), "-drive file=x,cache=fast: invalid cache mode 'fast'");
    EXPECT_EQ(error_of({ "-drive", "file=x,aio=posix" }), "-drive file=x,aio=posix: invalid aio mode 'posix'");
    EXPECT_EQ(error_of({ "-drive", "file=x,discard=yes" }), "-drive file=x,discard=yes: invalid discard mode 'yes'");
    EXPECT_EQ(error_of({ "-drive", "file=x,media=tape" }),
              "-drive file=x,media=tape: unsupported media 'tape' (disk, cdrom)");
    EXPECT_EQ(error_of({ "-drive", "file=x,if=virtio,media=cdrom" }),
              "-drive file=x,if=virtio,media=cdrom: media=cdrom needs if=ide");
    EXPECT_EQ(error_of({ "-drive", "file=x,bootindex=first" }), "-drive file=x,bootindex=first: invalid bootindex 'first'");
    EXPECT_EQ(error_of({ "-drive", "file=x,index=-1" }), "-drive file=x,index=-1: invalid index '-1'");
    EXPECT_EQ(error_of({ "-drive", "file=x,index=4" }), "-drive file=x,index=4: index 4 out of range for if=ide (0-3)");
    EXPECT_EQ(error_of({ "-drive", "file=x,id=1d" }), "-drive file=x,id=1d: invalid id '1d'");
    EXPECT_EQ(error_of({ "-drive", "file=x,id=d", "-drive", "file=y,id=d" }),
              "-drive file=y,id=d: duplicate drive id 'd'");
    EXPECT_EQ(error_of({ "-hda", "a", "-drive", "file=b,index=0" }), "-drive file=b,index=0: drive index 0 is already "
                                                                     "in use");
}

TEST(Cli, HdOptions)
{
    auto config = config_of({ "-hda", "a.img", "-hdb", "b,c.img", "-hdc", "c.img", "-hdd", "d.img" });
    ASSERT_EQ(config.drives.size(), 4u);
    for (int i = 0; i < 4; ++i) {
        EXPECT_EQ(config.drives[i].index, i);
        EXPECT_EQ(config.drives[i].interface, DriveInterface::Ide);
        EXPECT_EQ(config.drives[i].id, "drive" + std::to_string(i));
    }
    EXPECT_EQ(config.drives[1].file, "b,c.img"); // taken as is, no key=value parsing
    EXPECT_EQ(error_of({ "-hdb", "a", "-hdb", "b" }), "-hdb b: drive index 1 is already in use");
    // Virtio drives have their own index space.
    config_of({ "-hda", "a", "-drive", "file=b,if=virtio,index=0" });
}

TEST(Cli, GeneratedDriveIdsAvoidUserIds)
{
    auto config = config_of({ "-hda", "a", "-drive", "file=b,id=drive0" });
    EXPECT_EQ(config.drives[0].id, "drive1");
    EXPECT_EQ(config.drives[1].id, "drive0");
    // Only a given id names the drive in QMP (else QEMU's ide0-hd0, virtio0...).
    EXPECT_FALSE(config.drives[0].id_given);
    EXPECT_TRUE(config.drives[1].id_given);
}

// ---- Devices and chardevs ----

TEST(Cli, DeviceKeepsProperties)
{
    auto config = config_of({ "-drive", "file=x,if=none,id=d0", "-device", "virtio-blk-pci,drive=d0,id=blk0,num-queues=2",
                              "-device", "virtio-rng-pci" });
    ASSERT_EQ(config.devices.size(), 2u);
    EXPECT_EQ(config.devices[0].driver, "virtio-blk-pci");
    EXPECT_EQ(config.devices[0].id, "blk0");
    EXPECT_EQ(config.devices[0].properties.size(), 2u);
    EXPECT_EQ(config.devices[0].properties.at("drive"), "d0");
    EXPECT_EQ(config.devices[0].properties.at("num-queues"), "2");
    EXPECT_EQ(config.devices[1].driver, "virtio-rng-pci");
    EXPECT_TRUE(config.devices[1].properties.empty());
}

TEST(Cli, VirtioInputDevices)
{
    auto config = config_of({ "-device", "virtio-tablet-pci", "-device", "virtio-keyboard-pci,id=kbd0,bus=pci.0,addr=0x5",
                              "-device", "virtio-mouse-pci,id=mouse0,addr=06.0" });
    ASSERT_EQ(config.devices.size(), 3u);
    EXPECT_EQ(config.devices[0].driver, "virtio-tablet-pci");
    EXPECT_TRUE(config.devices[0].id.empty());
    EXPECT_TRUE(config.devices[0].properties.empty());
    EXPECT_EQ(config.devices[1].driver, "virtio-keyboard-pci");
    EXPECT_EQ(config.devices[1].id, "kbd0");
    EXPECT_EQ(config.devices[1].properties.at("bus"), "pci.0");
    EXPECT_EQ(config.devices[1].properties.at("addr"), "0x5");
    EXPECT_EQ(config.devices[2].driver, "virtio-mouse-pci");
    EXPECT_EQ(config.devices[2].id, "mouse0");
    EXPECT_EQ(config.devices[2].properties.at("addr"), "06.0");
}

TEST(Cli, DeviceErrors)
{
    EXPECT_EQ(error_of({ "-device", "help" }), "-device help: device help is not supported");
    EXPECT_EQ(error_of({ "-device", "id=x" }), "-device id=x: missing driver name");
    EXPECT_EQ(error_of({ "-device", "a,id=x", "-device", "b,id=x" }), "-device b,id=x: duplicate device id 'x'");
    EXPECT_EQ(error_of({ "-device", "a,b c=1" }), "-device a,b c=1: invalid parameter name 'b c'");
}

TEST(Cli, Chardevs)
{
    auto config = config_of({ "-chardev", "stdio,id=c0,signal=off", "-chardev", "file,id=c1,path=/tmp/x",
                              "-chardev", "socket,id=c2,path=/tmp/sock,server,nowait", "-chardev", "null,id=c3",
                              "-chardev", "pty,id=c4", "-chardev", "socket,id=c5,host=127.0.0.1,port=4444,server=yes" });
    ASSERT_EQ(config.chardevs.size(), 6u);
    EXPECT_EQ(config.chardevs[0].backend, "stdio");
    EXPECT_EQ(config.chardevs[0].id, "c0");
    EXPECT_EQ(config.chardevs[0].options.at("signal"), "off");
    EXPECT_EQ(config.chardevs[1].options.at("path"), "/tmp/x");
    EXPECT_EQ(config.chardevs[2].options.at("server"), "on");
    EXPECT_EQ(config.chardevs[2].options.at("wait"), "off");
    EXPECT_EQ(config.chardevs[3].backend, "null");
    EXPECT_EQ(config.chardevs[4].backend, "pty");
    EXPECT_EQ(config.chardevs[5].options.at("server"), "on");
    EXPECT_EQ(config.chardevs[5].options.at("port"), "4444");
}

TEST(Cli, ChardevErrors)
{
    EXPECT_EQ(error_of({ "-chardev", "stdio" }), "-chardev stdio: id= is required");
    EXPECT_EQ(error_of({ "-chardev", "spice,id=x" }),
              "-chardev spice,id=x: unsupported chardev back end 'spice' (stdio, file, socket, null, pty)");
    EXPECT_EQ(error_of({ "-chardev", "file,id=x" }), "-chardev file,id=x: path= is required");
    EXPECT_EQ(error_of({ "-chardev", "socket,id=x" }), "-chardev socket,id=x: path=, port= or fd= is required");
    EXPECT_EQ(error_of({ "-chardev", "null,id=x,path=/a" }), "-chardev null,id=x,path=/a: unknown parameter 'path'");
    EXPECT_EQ(error_of({ "-chardev", "socket,id=x,path=/a,server=maybe" }),
              "-chardev socket,id=x,path=/a,server=maybe: invalid value 'maybe' for server (expected on or off)");
    EXPECT_EQ(error_of({ "-chardev", "null,id=x", "-chardev", "null,id=x" }),
              "-chardev null,id=x: duplicate chardev id 'x'");
}

// ---- Networking ----

TEST(Cli, NetdevTapAndUser)
{
    auto config = config_of({ "-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no,vhost=off,queues=4,vnet_hdr=off",
                              "-netdev", "user,id=n1,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,hostfwd=tcp::2222-:22,"
                                         "hostfwd=udp::5353-:53,restrict=y,hostname=guest",
                              "-device", "virtio-net-pci,netdev=n0" });
    ASSERT_EQ(config.netdevs.size(), 2u);
    const auto& tap = config.netdevs[0];
    EXPECT_EQ(tap.type, "tap");
    EXPECT_EQ(tap.id, "n0");
    EXPECT_EQ(tap.ifname, "tap0");
    EXPECT_EQ(tap.queues, 4u);
    EXPECT_FALSE(tap.vnet_hdr);
    EXPECT_EQ(tap.fd, -1);
    const auto& user = config.netdevs[1];
    EXPECT_EQ(user.type, "user");
    ASSERT_EQ(user.hostfwd.size(), 2u);
    EXPECT_EQ(user.hostfwd[0], "tcp::2222-:22");
    EXPECT_EQ(user.hostfwd[1], "udp::5353-:53");
    EXPECT_EQ(user.options.at("net"), "10.0.2.0/24");
    EXPECT_EQ(user.options.at("host"), "10.0.2.2");
    EXPECT_EQ(user.options.at("dns"), "10.0.2.3");
    EXPECT_EQ(user.options.at("restrict"), "on");
    EXPECT_EQ(user.options.at("hostname"), "guest");
    EXPECT_FALSE(config.default_network);
    EXPECT_EQ(config.devices.size(), 1u);

    EXPECT_EQ(config_of({ "-netdev", "tap,id=n0,fd=5" }).netdevs.at(0).fd, 5);
    EXPECT_EQ(config_of({ "-netdev", "tap,id=n0,fds=5:6" }).netdevs.at(0).options.at("fds"), "5:6");
    EXPECT_EQ(error_of({ "-netdev", "tap,id=n0,fds=5::6" }), "-netdev tap,id=n0,fds=5::6: invalid fds '5::6'");
    EXPECT_EQ(error_of({ "-netdev", "tap,id=n0,fds=5,fd=3" }),
              "-netdev tap,id=n0,fds=5,fd=3: fds= cannot be combined with fd= or ifname=");
    EXPECT_EQ(error_of({ "-netdev", "user,id=n0,tftp=/srv" }), "-netdev user,id=n0,tftp=/srv: unknown parameter 'tftp'");
    EXPECT_EQ(config_of({ "-netdev", "tap,id=n0,script=" }).netdevs.at(0).type, "tap");
}

TEST(Cli, NetdevErrors)
{
    EXPECT_EQ(error_of({ "-netdev", "user" }), "-netdev user: id= is required");
    EXPECT_EQ(error_of({ "-netdev", "bridge,id=n0" }),
              "-netdev bridge,id=n0: unsupported network back end 'bridge' (tap, user)");
    EXPECT_EQ(error_of({ "-netdev", "id=n0" }), "-netdev id=n0: missing network back end type");
    EXPECT_EQ(error_of({ "-netdev", "tap,id=n0,script=/etc/qemu-ifup" }),
              "-netdev tap,id=n0,script=/etc/qemu-ifup: script=/etc/qemu-ifup: network scripts are not supported "
              "(use script=no)");
    EXPECT_EQ(error_of({ "-netdev", "tap,id=n0,vhost=on" }), "-netdev tap,id=n0,vhost=on: vhost=on is not supported");
    EXPECT_EQ(error_of({ "-netdev", "tap,id=n0,queues=0" }), "-netdev tap,id=n0,queues=0: invalid queues '0' (1-64)");
    EXPECT_EQ(error_of({ "-netdev", "tap,id=n0,fd=3,ifname=tap0" }),
              "-netdev tap,id=n0,fd=3,ifname=tap0: fd= and ifname= cannot be combined");
    EXPECT_EQ(error_of({ "-netdev", "tap,id=n0,hostfwd=x" }), "-netdev tap,id=n0,hostfwd=x: unknown parameter 'hostfwd'");
    EXPECT_EQ(error_of({ "-netdev", "user,id=n0,ifname=x" }), "-netdev user,id=n0,ifname=x: unknown parameter 'ifname'");
    EXPECT_EQ(error_of({ "-netdev", "user,id=n0", "-netdev", "tap,id=n0" }), "-netdev tap,id=n0: duplicate netdev id 'n0'");
    EXPECT_EQ(error_of({ "-netdev", "help" }), "-netdev help: netdev help is not supported");
}

TEST(Cli, NicCreatesBackendAndVirtioNet)
{
    auto config = config_of({ "-nic", "user,model=virtio-net-pci,mac=52:54:00:12:34:56,hostfwd=tcp::2222-:22", "-nic",
                              "tap,id=t0,ifname=tap1" });
    ASSERT_EQ(config.netdevs.size(), 2u);
    EXPECT_EQ(config.netdevs[0].type, "user");
    EXPECT_EQ(config.netdevs[0].id, "net0");
    EXPECT_EQ(config.netdevs[0].hostfwd.at(0), "tcp::2222-:22");
    EXPECT_EQ(config.netdevs[1].id, "t0");
    ASSERT_EQ(config.devices.size(), 2u);
    EXPECT_EQ(config.devices[0].driver, "virtio-net-pci");
    EXPECT_EQ(config.devices[0].properties.at("netdev"), "net0");
    EXPECT_EQ(config.devices[0].properties.at("mac"), "52:54:00:12:34:56");
    EXPECT_EQ(config.devices[1].properties.at("netdev"), "t0");
    EXPECT_FALSE(config.default_network);

    auto none = config_of({ "-nic", "none" });
    EXPECT_FALSE(none.default_network);
    EXPECT_TRUE(none.netdevs.empty());
    EXPECT_TRUE(none.devices.empty());

    EXPECT_EQ(error_of({ "-nic", "user,model=e1000" }), "-nic user,model=e1000: unsupported NIC model 'e1000' (only virtio)");
    EXPECT_EQ(error_of({ "-nic", "none,model=virtio" }), "-nic none,model=virtio: unknown parameter 'model'");
    EXPECT_EQ(error_of({ "-nic", "socket" }), "-nic socket: unsupported network back end 'socket' (tap, user)");
}

TEST(Cli, OldNetPairsNicAndBackendOfTheSameHub)
{
    // Backend first, then NIC; a second hub through vlan=.
    auto config = config_of({ "-net", "user,hostfwd=tcp::2222-:22", "-net", "nic,macaddr=52:54:00:00:00:01", "-net",
                              "tap,vlan=1,ifname=tap0,name=t", "-net", "nic,vlan=1,model=virtio" });
    ASSERT_EQ(config.netdevs.size(), 2u);
    EXPECT_EQ(config.netdevs[0].id, "net0");
    EXPECT_EQ(config.netdevs[0].type, "user");
    EXPECT_EQ(config.netdevs[1].id, "t");
    ASSERT_EQ(config.devices.size(), 2u);
    EXPECT_EQ(config.devices[0].properties.at("netdev"), "net0");
    EXPECT_EQ(config.devices[0].properties.at("mac"), "52:54:00:00:00:01");
    EXPECT_EQ(config.devices[1].properties.at("netdev"), "t");
}

TEST(Cli, OldNetLoneNicOrBackend)
{
    auto nic_only = config_of({ "-net", "nic" });
    ASSERT_EQ(nic_only.devices.size(), 1u);
    EXPECT_FALSE(nic_only.devices[0].properties.contains("netdev"));
    EXPECT_TRUE(nic_only.netdevs.empty());

    auto backend_only = config_of({ "-net", "user" });
    EXPECT_EQ(backend_only.netdevs.size(), 1u);
    EXPECT_TRUE(backend_only.devices.empty());

    auto none = config_of({ "-net", "none" });
    EXPECT_FALSE(none.default_network);
    EXPECT_TRUE(none.netdevs.empty());
}

TEST(Cli, OldNetNicWithNetdevPairsDirectly)
{
    auto config = config_of({ "-netdev", "user,id=u0", "-net", "nic,netdev=u0", "-net", "nic", "-net", "tap,ifname=t" });
    ASSERT_EQ(config.devices.size(), 2u);
    EXPECT_EQ(config.devices[0].properties.at("netdev"), "u0");
    EXPECT_EQ(config.devices[1].properties.at("netdev"), "net0");
    EXPECT_EQ(error_of({ "-net", "nic,netdev=zz" }), "-net nic,netdev=zz: netdev 'zz' not found");
    EXPECT_EQ(error_of({ "-netdev", "user,id=u0", "-net", "nic,netdev=u0,vlan=1" }),
              "-net nic,netdev=u0,vlan=1: netdev= and vlan= cannot be combined");
}

TEST(Cli, OldNetGeneratedIdsAvoidUserIds)
{
    auto config = config_of({ "-net", "user", "-net", "nic", "-netdev", "tap,id=net0" });
    ASSERT_EQ(config.netdevs.size(), 2u);
    EXPECT_EQ(config.netdevs[0].id, "net0");
    EXPECT_EQ(config.netdevs[1].id, "net1");
    EXPECT_EQ(config.devices.at(0).properties.at("netdev"), "net1");
}

TEST(Cli, OldNetHubLimits)
{
    EXPECT_EQ(error_of({ "-net", "nic", "-net", "nic,model=virtio", "-net", "user" }),
              "-net nic,model=virtio: hub 0 already has a NIC (several NICs on one hub are not supported)");
    EXPECT_EQ(error_of({ "-net", "user", "-net", "tap,ifname=x" }),
              "-net tap,ifname=x: hub 0 already has a back end (several back ends on one hub are not supported)");
    EXPECT_EQ(error_of({ "-net", "nic,model=rtl8139" }), "-net nic,model=rtl8139: unsupported NIC model 'rtl8139' (only "
                                                         "virtio)");
    EXPECT_EQ(error_of({ "-net", "socket,listen=:1234" }),
              "-net socket,listen=:1234: unsupported network type 'socket' (nic, tap, user, none)");
    EXPECT_EQ(error_of({ "-net", "nic,vlan=x" }), "-net nic,vlan=x: invalid vlan 'x'");
    EXPECT_EQ(error_of({ "-net", "nic,bogus=1" }), "-net nic,bogus=1: unknown parameter 'bogus'");
    EXPECT_EQ(error_of({ "-net", "user,name=a", "-net", "user,vlan=1,name=a" }),
              "-net user,vlan=1,name=a: duplicate netdev id 'a'");
}

TEST(Cli, ErrorsAreOneLine)
{
    auto message = error_of({ "-drive", "file=x\ny,bogus=1" });
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(message, "-drive file=x?y,bogus=1: unknown parameter 'bogus'");
}

// Found by the fuzz target: a detail quoting part of the value carried a raw newline.
TEST(Cli, ErrorDetailsQuotingTheValueAreOneLine)
{
    EXPECT_EQ(error_of({ "-M", "q\n35" }), "-M q?35: unsupported machine type 'q?35' (pc, pc-i440fx-1.4 to 7.2, none)");
    EXPECT_EQ(error_of({ "-net", "nic,netdev=a\tb" }), "-net nic,netdev=a?b: netdev 'a?b' not found");
}

TEST(Cli, CdromIsTheSecondaryMasterAndReadOnly)
{
    auto config = config_of({ "-cdrom", "tools.iso", "-hda", "disk.qcow2" });
    ASSERT_EQ(config.drives.size(), 2u);
    EXPECT_EQ(config.drives[0].file, "tools.iso");
    EXPECT_EQ(config.drives[0].interface, DriveInterface::Ide);
    EXPECT_EQ(config.drives[0].index, 2);
    EXPECT_EQ(config.drives[0].media, DriveMedia::Cdrom);
    EXPECT_TRUE(config.drives[0].read_only);
    EXPECT_EQ(config.drives[1].media, DriveMedia::Disk);
    EXPECT_EQ(error_of({ "-cdrom", "a.iso", "-drive", "file=b.iso,index=2,media=cdrom" }),
              "-drive file=b.iso,index=2,media=cdrom: drive index 2 is already in use");
}

TEST(Cli, DriveMediaAndBootindex)
{
    auto config = config_of({ "-drive", "file=d.img,format=raw,if=virtio,bootindex=1", "-drive",
        "file=t.iso,if=ide,index=2,media=cdrom" });
    EXPECT_EQ(config.drives[0].bootindex, 1);
    EXPECT_EQ(config.drives[1].media, DriveMedia::Cdrom);
    EXPECT_EQ(config.drives[1].bootindex, -1);
}

TEST(Cli, BootOptions)
{
    auto config = config_of({ "-boot", "order=dc,menu=on,splash-time=2500,reboot-timeout=1000,strict=on" });
    EXPECT_EQ(config.boot.order, "dc");
    EXPECT_TRUE(config.boot.menu);
    EXPECT_EQ(config.boot.splash_time_ms, 2500u);
    EXPECT_EQ(config.boot.reboot_timeout_ms, 1000);
    EXPECT_TRUE(config.boot.strict);
    EXPECT_EQ(config_of({ "-boot", "d" }).boot.order, "d");
    EXPECT_EQ(config_of({ "-boot", "once=d" }).boot.once, "d");
    EXPECT_EQ(error_of({ "-boot", "order=x" }), "-boot order=x: invalid boot device 'x' in order= (a-d, n-p)");
    EXPECT_EQ(error_of({ "-boot", "order=cc" }), "-boot order=cc: boot device 'c' given twice in order=");
    EXPECT_EQ(error_of({ "-boot", "menu=maybe" }).substr(0, 22), "-boot menu=maybe: inva");
    EXPECT_EQ(error_of({ "-boot", "splash-time=99999" }),
              "-boot splash-time=99999: invalid splash-time '99999' (milliseconds, at most 65535)");
}

TEST(Cli, BiosAndDebugcon)
{
    auto config = config_of({ "-bios", "/usr/share/ovmf/OVMF.fd", "-debugcon", "file:debug.log" });
    EXPECT_EQ(config.bios, "/usr/share/ovmf/OVMF.fd");
    ASSERT_TRUE(config.debugcon);
    EXPECT_EQ(config.debugcon->backend, SerialBackend::File);
    EXPECT_EQ(config.debugcon->path, "debug.log");
    EXPECT_EQ(error_of({ "-bios", "" }), "-bios : empty file name");
}

// ---- Monitors and lifecycle options ----

TEST(Cli, QmpUnixAndTcp)
{
    auto config = config_of({ "-qmp", "unix:/run/vm1.qmp,server=on,wait=off", "-qmp", "unix:/tmp/b,server,nowait",
                              "-qmp", "tcp:127.0.0.1:4444,server=on,wait=off" });
    ASSERT_EQ(config.monitors.size(), 3u);
    EXPECT_EQ(config.monitors[0].chardev.backend, "socket");
    EXPECT_EQ(config.monitors[0].chardev.id, "compat_monitor0");
    EXPECT_EQ(config.monitors[0].chardev.options.at("path"), "/run/vm1.qmp");
    EXPECT_EQ(config.monitors[0].chardev.options.at("server"), "on");
    EXPECT_EQ(config.monitors[0].chardev.options.at("wait"), "off");
    EXPECT_EQ(config.monitors[0].mode, MonitorMode::Control);
    EXPECT_EQ(config.monitors[1].chardev.id, "compat_monitor1");
    EXPECT_EQ(config.monitors[1].chardev.options.at("path"), "/tmp/b");
    EXPECT_EQ(config.monitors[1].chardev.options.at("wait"), "off");
    EXPECT_EQ(config.monitors[2].chardev.options.at("host"), "127.0.0.1");
    EXPECT_EQ(config.monitors[2].chardev.options.at("port"), "4444");
    // Without wait=: QEMU's default, wait for a client.
    EXPECT_FALSE(config_of({ "-qmp", "unix:/x,server" }).monitors[0].chardev.options.contains("wait"));
}

TEST(Cli, MonOnSocketChardevs)
{
    auto config = config_of({ "-mon", "chardev=m0,mode=control,pretty=on", "-chardev",
                              "socket,id=m0,path=/tmp/m0,server=on,wait=off", "-chardev",
                              "socket,id=m1,fd=3,server=on,wait=off", "-mon", "chardev=m1,mode=control" });
    ASSERT_EQ(config.monitors.size(), 2u);
    EXPECT_EQ(config.monitors[0].chardev.id, "m0");
    EXPECT_EQ(config.monitors[0].chardev.options.at("path"), "/tmp/m0");
    EXPECT_TRUE(config.monitors[0].pretty);
    EXPECT_EQ(config.monitors[1].chardev.options.at("fd"), "3");
    EXPECT_FALSE(config.monitors[1].pretty);
}

TEST(Cli, HumanMonitorForms)
{
    auto config = config_of({ "-monitor", "unix:/tmp/h,server=on,wait=off", "-qmp", "unix:/tmp/q,server=on,wait=off",
                              "-monitor", "tcp:127.0.0.1:5555,server,nowait", "-chardev",
                              "socket,id=h2,path=/tmp/h2,server=on,wait=off", "-mon", "chardev=h2" });
    ASSERT_EQ(config.monitors.size(), 4u);
    EXPECT_EQ(config.monitors[0].mode, MonitorMode::Readline);
    EXPECT_EQ(config.monitors[0].chardev.id, "compat_monitor0");
    EXPECT_EQ(config.monitors[0].chardev.options.at("path"), "/tmp/h");
    EXPECT_EQ(config.monitors[1].mode, MonitorMode::Control);
    EXPECT_EQ(config.monitors[1].chardev.id, "compat_monitor1");
    EXPECT_EQ(config.monitors[2].mode, MonitorMode::Readline);
    EXPECT_EQ(config.monitors[2].chardev.options.at("port"), "5555");
    // -mon's mode defaults to readline, as QEMU's.
    EXPECT_EQ(config.monitors[3].mode, MonitorMode::Readline);
    EXPECT_EQ(config.monitors[3].chardev.id, "h2");
    EXPECT_FALSE(config.default_monitor);
}

TEST(Cli, HumanMonitorOnStdio)
{
    auto alone = config_of({ "-monitor", "stdio", "-serial", "none" });
    ASSERT_EQ(alone.monitors.size(), 1u);
    EXPECT_EQ(alone.monitors[0].chardev.backend, "stdio");
    EXPECT_EQ(alone.monitors[0].mode, MonitorMode::Readline);
    auto on_chardev = config_of({ "-chardev", "stdio,id=s", "-mon", "chardev=s,mode=readline" });
    EXPECT_EQ(on_chardev.monitors.at(0).chardev.backend, "stdio");

    auto none = config_of({ "-nographic", "-monitor", "none" });
    EXPECT_TRUE(none.monitors.empty());
    EXPECT_FALSE(none.default_monitor);
    EXPECT_TRUE(config_of({ "-nographic" }).default_monitor);
    EXPECT_FALSE(config_of({ "-nodefaults" }).default_monitor);

    // -nographic's serial console is on stdio already; so is -serial stdio.
    EXPECT_EQ(error_of({ "-nographic", "-monitor", "stdio" }), "cannot use stdio by multiple character devices");
    EXPECT_EQ(error_of({ "-serial", "stdio", "-monitor", "stdio" }), "cannot use stdio by multiple character devices");
    EXPECT_EQ(error_of({ "-monitor", "vc" }),
              "-monitor vc: unsupported monitor (stdio, mon:stdio, unix:PATH,server=on,wait=off, "
              "tcp:HOST:PORT,server=on,wait=off, none)");
    EXPECT_EQ(error_of({ "-monitor", "unix:/x" }), "-monitor unix:/x: only a listening socket (server=on) is supported");
    EXPECT_EQ(error_of({ "-chardev", "stdio,id=s", "-mon", "chardev=s,mode=control" }),
              "-mon chardev=s,mode=control: only a listening socket chardev (socket,...,server=on) can be a monitor"
              " (or stdio, for the human monitor)");
}

TEST(Cli, LifecycleOptions)
{
    auto config = config_of({ "-S", "-no-shutdown", "-uuid", "12345678-ABCD-abcd-0000-1234567890aB" });
    EXPECT_TRUE(config.start_paused);
    EXPECT_TRUE(config.no_shutdown);
    EXPECT_EQ(config.uuid, "12345678-abcd-abcd-0000-1234567890ab");
    auto defaults = config_of({});
    EXPECT_FALSE(defaults.start_paused);
    EXPECT_FALSE(defaults.no_shutdown);
    EXPECT_TRUE(defaults.uuid.empty());
    EXPECT_TRUE(defaults.monitors.empty());
}

TEST(Cli, BadMonitorOptions)
{
    EXPECT_EQ(error_of({ "-qmp", "stdio" }),
              "-qmp stdio: unsupported QMP socket (unix:PATH,server=on,wait=off or tcp:HOST:PORT,server=on,wait=off)");
    EXPECT_EQ(error_of({ "-qmp", "unix:/x" }), "-qmp unix:/x: only a listening socket (server=on) is supported");
    EXPECT_EQ(error_of({ "-qmp", "unix:,server=on" }), "-qmp unix:,server=on: missing socket path");
    EXPECT_EQ(error_of({ "-qmp", "unix:/x,server=on,bogus=1" }), "-qmp unix:/x,server=on,bogus=1: unknown parameter 'bogus'");
    EXPECT_EQ(error_of({ "-qmp", "tcp:127.0.0.1:99999,server=on" }), "-qmp tcp:127.0.0.1:99999,server=on: invalid port '99999'");
    EXPECT_EQ(error_of({ "-qmp", "tcp:4444,server=on" }), "-qmp tcp:4444,server=on: expected tcp:HOST:PORT");
    EXPECT_EQ(error_of({ "-mon", "chardev=m0" }), "-mon chardev=m0: chardev 'm0' not found");
    EXPECT_EQ(error_of({ "-mon", "mode=control" }), "-mon mode=control: chardev= is required");
    EXPECT_EQ(error_of({ "-mon", "chardev=m0,mode=other" }), "-mon chardev=m0,mode=other: invalid mode 'other' (control, readline)");
    EXPECT_EQ(error_of({ "-mon", "chardev=m0,mode=control" }), "-mon chardev=m0,mode=control: chardev 'm0' not found");
    EXPECT_EQ(error_of({ "-chardev", "null,id=m0", "-mon", "chardev=m0,mode=control" }),
              "-mon chardev=m0,mode=control: only a listening socket chardev (socket,...,server=on) can be a monitor"
              " (or stdio, for the human monitor)");
    EXPECT_EQ(error_of({ "-chardev", "socket,id=m0,path=/a,fd=3,server=on" }),
              "-chardev socket,id=m0,path=/a,fd=3,server=on: path=, port= and fd= exclude each other");
    EXPECT_EQ(error_of({ "-chardev", "socket,id=m0,fd=x,server=on" }), "-chardev socket,id=m0,fd=x,server=on: invalid fd 'x'");
    EXPECT_EQ(error_of({ "-uuid", "1234" }), "-uuid 1234: invalid UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    EXPECT_EQ(error_of({ "-uuid", "12345678-1234-1234-1234-12345678901g" }),
              "-uuid 12345678-1234-1234-1234-12345678901g: invalid UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
}

TEST(Cli, NodefaultsDropsTheDefaultNic)
{
    auto config = config_of({ "-nodefaults" });
    EXPECT_TRUE(config.nodefaults);
    EXPECT_FALSE(config.default_network);
}

TEST(Cli, SmbiosTypes0And1)
{
    auto config = config_of({ "-smbios", "type=1,manufacturer=ACME,serial=S123", "-smbios", "type=0,vendor=V,release=1.2" });
    EXPECT_EQ(config.smbios.system.at("manufacturer"), "ACME");
    EXPECT_EQ(config.smbios.system.at("serial"), "S123");
    EXPECT_EQ(config.smbios.bios.at("release"), "1.2");
    EXPECT_EQ(error_of({ "-smbios", "type=2,serial=y" }), "-smbios type=2,serial=y: unsupported SMBIOS type '2' (0, 1)");
    EXPECT_EQ(error_of({ "-smbios", "type=1,vendor=x" }), "-smbios type=1,vendor=x: Invalid parameter 'vendor' for SMBIOS type 1");
    EXPECT_EQ(error_of({ "-smbios", "vendor=x" }), "-smbios vendor=x: type= is required (0 or 1)");
}

TEST(Cli, SandboxAndContainmentOptions)
{
    auto defaults = config_of({});
    EXPECT_EQ(defaults.sandbox.enabled, k_sandbox_by_default); // on unless -sandbox off (or a sanitizer build)
    EXPECT_EQ(defaults.sandbox.resource_control, SandboxSetting::Allow);
    EXPECT_FALSE(defaults.containment.core_dumps);
    EXPECT_TRUE(defaults.containment.run_as.empty());

    auto off = config_of({ "-sandbox", "off" });
    EXPECT_FALSE(off.sandbox.enabled);
    auto all = config_of({ "-sandbox", "on,obsolete=allow,elevateprivileges=children,spawn=deny,resourcecontrol=deny",
        "-runas", "nobody", "-chroot", "/var/empty", "-machine", "pc,dump-guest-core=on" });
    EXPECT_TRUE(all.sandbox.enabled);
    EXPECT_EQ(all.sandbox.obsolete, SandboxSetting::Allow);
    EXPECT_EQ(all.sandbox.elevate_privileges, SandboxSetting::Children);
    EXPECT_EQ(all.sandbox.spawn, SandboxSetting::Deny);
    EXPECT_EQ(all.sandbox.resource_control, SandboxSetting::Deny);
    EXPECT_EQ(all.containment.run_as, "nobody");
    EXPECT_EQ(all.containment.chroot_dir, "/var/empty");
    EXPECT_TRUE(all.containment.core_dumps);

    EXPECT_EQ(error_of({ "-sandbox", "maybe" }), "-sandbox maybe: invalid value 'maybe' for enable (expected on or off)");
    EXPECT_EQ(error_of({ "-sandbox", "on,spawn=children" }),
        "-sandbox on,spawn=children: invalid value 'children' for spawn (expected allow, deny)");
    EXPECT_EQ(error_of({ "-sandbox", "on,bogus=1" }), "-sandbox on,bogus=1: unknown parameter 'bogus'");
    EXPECT_EQ(error_of({ "-runas", "" }), "-runas : a user name or UID[:GID] expected");
}
