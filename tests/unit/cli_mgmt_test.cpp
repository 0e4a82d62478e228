// The options a management stack (libvirt 9.0) passes, as QEMU 7.2 takes them: -no-user-config,
// versioned machine types and their properties, -rtc, -msg, -overcommit, and the JSON forms of
// -device, -netdev and -object.
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli/options.h"

using namespace vireo;

namespace {

Result<CommandLine> parse(std::vector<std::string> args)
{
    return parse_command_line(args);
}

VmConfig config_of(std::vector<std::string> args)
{
    auto result = parse(std::move(args));
    EXPECT_TRUE(result) << result.error().message;
    return result ? result->config : VmConfig {};
}

std::string error_of(std::vector<std::string> args)
{
    auto result = parse(std::move(args));
    return result ? "<no error>" : result.error().message;
}

int64_t seconds_from_now(std::chrono::sys_seconds when)
{
    auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return (when - now).count();
}

} // namespace

// ---- -no-user-config ----

TEST(CliMgmt, NoUserConfigIsAccepted)
{
    auto result = parse({ "-no-user-config", "--no-user-config", "-nodefaults" });
    ASSERT_TRUE(result) << result.error().message;
    EXPECT_EQ(result->action, CommandLine::Action::Run);
}

// What libvirt 9.0 starts a domain with (the parts parsed here; FACTS: libvirt).
TEST(CliMgmt, LibvirtDomainLineParses)
{
    auto config = config_of({ "-name", "guest=vm1,debug-threads=on", "-S", "-machine",
        "pc-i440fx-7.2,usb=off,dump-guest-core=off", "-accel", "kvm", "-m", "256", "-overcommit", "mem-lock=off",
        "-smp", "2,sockets=2,cores=1,threads=1", "-no-user-config", "-nodefaults", "-rtc", "base=utc",
        "-no-shutdown", "-boot", "strict=on", "-msg", "timestamp=on" });
    EXPECT_EQ(config.machine, "pc");
    EXPECT_FALSE(config.containment.core_dumps);
    EXPECT_FALSE(config.ram.lock);
    EXPECT_EQ(config.rtc.base, RtcBase::Utc);
    EXPECT_TRUE(config.boot.strict);
    EXPECT_TRUE(config.process.log_timestamps);
}

// ---- -machine ----

TEST(CliMgmt, VersionedPcNamesAreAliasesOfPc)
{
    for (std::string version : { "1.4", "1.7", "2.0", "2.12", "3.1", "4.2", "5.2", "6.2", "7.0", "7.1", "7.2" })
        EXPECT_EQ(config_of({ "-M", "pc-i440fx-" + version }).machine, "pc") << version;
    EXPECT_EQ(config_of({ "-machine", "type=pc-i440fx-7.2" }).machine, "pc");
    for (std::string name : { "pc-i440fx-1.3", "pc-i440fx-8.0", "pc-i440fx-", "pc-i440fx-7.2x", "pc-q35-7.2" })
        EXPECT_EQ(error_of({ "-M", name }),
                  "-M " + name + ": unsupported machine type '" + name + "' (pc, pc-i440fx-1.4 to 7.2, none)");
}

TEST(CliMgmt, MachineNoneIsADistinctType)
{
    // libvirt's capability probe.
    auto config = config_of({ "-S", "-no-user-config", "-nodefaults", "-nographic", "-machine",
        "none,accel=kvm:tcg", "-qmp", "unix:/tmp/probe.qmp,server=on,wait=off", "-pidfile", "/tmp/probe.pid" });
    EXPECT_EQ(config.machine, "none");
    EXPECT_EQ(config_of({ "-M", "none", "-M", "pc" }).machine, "pc");
}

TEST(CliMgmt, MachinePropertiesVireoHonours)
{
    EXPECT_TRUE(config_of({}).ram.merge); // QEMU's default
    EXPECT_FALSE(config_of({ "-machine", "pc,mem-merge=off" }).ram.merge);
    EXPECT_TRUE(config_of({ "-machine", "mem-merge=off", "-machine", "mem-merge=on" }).ram.merge);
    EXPECT_TRUE(config_of({ "-machine", "pc,dump-guest-core=on" }).containment.core_dumps);
    config_of({ "-machine", "pc,usb=off,vmport=off,smm=off,hpet=off,kernel-irqchip=on,suppress-vmdesc=on" });
    config_of({ "-machine", "suppress-vmdesc=off" });
}

TEST(CliMgmt, MachinePropertiesVireoCannotHonourAreRefused)
{
    EXPECT_EQ(error_of({ "-machine", "pc,vmport=on" }), "-machine pc,vmport=on: vmport=on: vireo has no VMware I/O port");
    EXPECT_EQ(error_of({ "-machine", "pc,vmport=auto" }),
              "-machine pc,vmport=auto: vmport=auto: vireo has no VMware I/O port (use vmport=off)");
    EXPECT_EQ(error_of({ "-machine", "hpet=on" }), "-machine hpet=on: hpet=on: vireo has no HPET");
    EXPECT_EQ(error_of({ "-machine", "smm=auto" }), "-machine smm=auto: smm=auto: vireo has no system management mode (use smm=off)");
    EXPECT_EQ(error_of({ "-machine", "smm=maybe" }),
              "-machine smm=maybe: invalid value 'maybe' for smm (expected on or off)");
    EXPECT_EQ(error_of({ "-machine", "kernel-irqchip=split" }),
              "-machine kernel-irqchip=split: kernel-irqchip=split: vireo always uses KVM's in-kernel irqchip (only on)");
    EXPECT_EQ(error_of({ "-machine", "pc,usb=on" }), "-machine pc,usb=on: USB is not supported");
    EXPECT_EQ(error_of({ "-machine", "pc,memory-backend=pc.ram" }),
              "-machine pc,memory-backend=pc.ram: unknown parameter 'memory-backend'");
}

TEST(CliMgmt, AccelForms)
{
    config_of({ "-accel", "kvm" });
    config_of({ "-accel", "accel=kvm" });
    config_of({ "-machine", "accel=kvm:tcg" });
    EXPECT_EQ(error_of({ "-accel", "tcg" }), "-accel tcg: only kvm is supported");
    EXPECT_EQ(error_of({ "-machine", "accel=tcg:kvm" }), "-machine accel=tcg:kvm: only kvm is supported");
}

// ---- -rtc ----

TEST(CliMgmt, RtcBase)
{
    EXPECT_EQ(config_of({}).rtc.base, RtcBase::Utc);
    EXPECT_EQ(config_of({ "-rtc", "base=utc" }).rtc.base, RtcBase::Utc);
    EXPECT_EQ(config_of({ "-rtc", "base=localtime" }).rtc.base, RtcBase::LocalTime);
    EXPECT_EQ(config_of({ "-rtc", "base=localtime", "-rtc", "base=utc" }).rtc.base, RtcBase::Utc);
}

TEST(CliMgmt, RtcBaseDateFixesTheOffsetOnce)
{
    using namespace std::chrono;
    auto config = config_of({ "-rtc", "base=2006-06-17T16:01:21" });
    EXPECT_EQ(config.rtc.base, RtcBase::Date);
    auto expected = seconds_from_now(sys_days { 2006y / June / 17 } + 16h + 1min + 21s);
    EXPECT_NEAR(static_cast<double>(config.rtc.date_offset_seconds), static_cast<double>(expected), 2.0);

    auto day_only = config_of({ "-rtc", "base=2030-01-02" });
    EXPECT_EQ(day_only.rtc.base, RtcBase::Date);
    EXPECT_NEAR(static_cast<double>(day_only.rtc.date_offset_seconds),
                static_cast<double>(seconds_from_now(sys_days { 2030y / January / 2 })), 2.0);

    for (std::string bad : { "2006-13-01", "2006-02-30", "2006-06-17T24:00:00", "2006-06-17T16:01", "yesterday",
                             "2006-06-17 16:01:21", "2006-06-17T16:01:21Z" })
        EXPECT_EQ(error_of({ "-rtc", "base=" + bad }),
                  "-rtc base=" + bad + ": invalid base '" + bad
                      + "' (utc, localtime, or a date: 2006-06-17T16:01:21 or 2006-06-17)");
}

TEST(CliMgmt, RtcClockAndDriftfix)
{
    config_of({ "-rtc", "base=utc,clock=host,driftfix=slew" });
    config_of({ "-rtc", "clock=host,driftfix=none" });
    EXPECT_EQ(error_of({ "-rtc", "clock=vm" }), "-rtc clock=vm: clock=vm: the RTC follows the host's clock only (clock=host)");
    EXPECT_EQ(error_of({ "-rtc", "clock=rt" }), "-rtc clock=rt: clock=rt: the RTC follows the host's clock only (clock=host)");
    EXPECT_EQ(error_of({ "-rtc", "clock=wall" }), "-rtc clock=wall: invalid clock 'wall' (host, rt, vm)");
    EXPECT_EQ(error_of({ "-rtc", "driftfix=fast" }), "-rtc driftfix=fast: invalid driftfix 'fast' (none, slew)");
    EXPECT_EQ(error_of({ "-rtc", "base=utc,tz=x" }), "-rtc base=utc,tz=x: unknown parameter 'tz'");
    EXPECT_EQ(error_of({ "-rtc" }), "-rtc: missing argument");
}

// ---- -msg, -overcommit ----

TEST(CliMgmt, MsgTimestamp)
{
    EXPECT_FALSE(config_of({}).process.log_timestamps);
    EXPECT_TRUE(config_of({ "-msg", "timestamp=on" }).process.log_timestamps);
    EXPECT_FALSE(config_of({ "-msg", "timestamp=on", "-msg", "timestamp=off" }).process.log_timestamps);
    config_of({ "-msg", "timestamp=on,guest-name=off" });
    EXPECT_EQ(error_of({ "-msg", "guest-name=on" }),
              "-msg guest-name=on: guest-name=on is not supported (messages do not name the guest)");
    EXPECT_EQ(error_of({ "-msg", "timestamp=sometimes" }),
              "-msg timestamp=sometimes: invalid value 'sometimes' for timestamp (expected on or off)");
}

TEST(CliMgmt, Overcommit)
{
    EXPECT_FALSE(config_of({}).ram.lock);
    EXPECT_TRUE(config_of({ "-overcommit", "mem-lock=on" }).ram.lock);
    EXPECT_FALSE(config_of({ "-overcommit", "mem-lock=off,cpu-pm=off" }).ram.lock);
    EXPECT_EQ(error_of({ "-overcommit", "cpu-pm=on" }),
              "-overcommit cpu-pm=on: cpu-pm=on is not supported (guest idle instructions always exit to KVM)");
    EXPECT_EQ(error_of({ "-overcommit", "mem-lock=maybe" }),
              "-overcommit mem-lock=maybe: invalid value 'maybe' for mem-lock (expected on or off)");
    EXPECT_EQ(error_of({ "-overcommit", "swap=off" }), "-overcommit swap=off: unknown parameter 'swap'");
}

// ---- JSON forms ----

TEST(CliMgmt, JsonDeviceIsTheKeyValueDevice)
{
    auto json = config_of({ "-device", R"({"driver":"virtio-blk-pci","drive":"d0","id":"x","bootindex":1,"share-rw":false})" });
    auto keyval = config_of({ "-device", "virtio-blk-pci,drive=d0,id=x,bootindex=1,share-rw=off" });
    ASSERT_EQ(json.devices.size(), 1u);
    EXPECT_EQ(json.devices[0].driver, keyval.devices[0].driver);
    EXPECT_EQ(json.devices[0].id, "x");
    EXPECT_EQ(json.devices[0].properties, keyval.devices[0].properties);
    EXPECT_EQ(json.devices[0].properties.at("bootindex"), "1");
    EXPECT_EQ(json.devices[0].properties.at("share-rw"), "off");
}

TEST(CliMgmt, JsonStringsKeepTheirCommas)
{
    auto config = config_of({ "-device", R"({"driver":"virtio-net-pci","netdev":"n0","romfile":"a,b.rom"})",
        "-netdev", "user,id=n0" });
    ASSERT_EQ(config.devices.size(), 1u);
    EXPECT_EQ(config.devices[0].properties.at("romfile"), "a,b.rom");
}

TEST(CliMgmt, JsonNetdev)
{
    auto config = config_of({ "-netdev", R"({"type":"tap","fd":"23","vhost":false,"id":"hostnet0"})",
        "-netdev", R"({"type":"user","id":"u0","hostfwd":[{"str":"tcp::2222-:22"},"udp::5353-:53"]})" });
    ASSERT_EQ(config.netdevs.size(), 2u);
    EXPECT_EQ(config.netdevs[0].type, "tap");
    EXPECT_EQ(config.netdevs[0].id, "hostnet0");
    EXPECT_EQ(config.netdevs[0].fd, 23);
    EXPECT_EQ(config.netdevs[1].hostfwd, (std::vector<std::string> { "tcp::2222-:22", "udp::5353-:53" }));
    EXPECT_FALSE(config.default_network);
}

TEST(CliMgmt, JsonObjectSecret)
{
    auto config = config_of({ "-object",
        R"({"qom-type":"secret","id":"masterKey0","format":"raw","file":"/var/lib/libvirt/master-key.aes"})" });
    ASSERT_EQ(config.secrets.size(), 1u);
    EXPECT_EQ(config.secrets[0].id, "masterKey0");
    EXPECT_EQ(config.secrets[0].file, "/var/lib/libvirt/master-key.aes");
}

TEST(CliMgmt, JsonErrorsNameTheOptionAsTyped)
{
    auto truncated = error_of({ "-device", R"({"driver":"virtio-blk-pci",)" });
    EXPECT_TRUE(truncated.starts_with(R"(-device {"driver":"virtio-blk-pci",: invalid JSON: parse error at )")) << truncated;
    EXPECT_EQ(error_of({ "-device", "{1}" }).substr(0, 32), "-device {1}: invalid JSON: parse");
    // Found by the keyval fuzz target: an overflowing number ended vireo with an uncaught exception.
    EXPECT_EQ(error_of({ "-device", R"({"a":[1,44E443]})" }),
              R"(-device {"a":[1,44E443]}: invalid JSON: number overflow parsing '44E443')");
    EXPECT_EQ(error_of({ "-object", "[1]" }), "-object [1]: unsupported object type '[1]' (only secret)");
    EXPECT_EQ(error_of({ "-object", R"({"qom-type":"memory-backend-ram","id":"pc.ram","size":268435456})" }),
              R"(-object {"qom-type":"memory-backend-ram","id":"pc.ram","size":268435456}: )"
              "unsupported object type 'memory-backend-ram' (only secret)");
    EXPECT_EQ(error_of({ "-device", R"({"driver":"virtio-blk-pci","drive":{"file":"x"}})" }),
              R"(-device {"driver":"virtio-blk-pci","drive":{"file":"x"}}: unsupported JSON value for 'drive')");
    EXPECT_EQ(error_of({ "-device", R"({"driver":null})" }),
              R"(-device {"driver":null}: unsupported JSON value for 'driver')");
    EXPECT_EQ(error_of({ "-netdev", R"({"type":"tap","id":"n0","bogus":1})" }),
              R"(-netdev {"type":"tap","id":"n0","bogus":1}: unknown parameter 'bogus')");
    EXPECT_EQ(error_of({ "-device", R"({"a b":1})" }), R"(-device {"a b":1}: invalid parameter name 'a b')");
    // One line whatever the JSON holds.
    auto multi_line = error_of({ "-device", "{\n\"driver\":\n}" });
    EXPECT_EQ(multi_line.find('\n'), std::string::npos) << multi_line;
}

// Only the options QEMU 7.2 takes JSON for; the others see the text as it is.
TEST(CliMgmt, JsonOnlyWhereQemuTakesIt)
{
    EXPECT_NE(error_of({ "-machine", R"({"type":"pc"})" }), "<no error>");
    EXPECT_EQ(error_of({ "-blockdev", R"({"driver":"file","filename":"x"})" }), "-blockdev: unsupported option");
}

TEST(CliMgmt, UnknownOptionsStayRefused)
{
    EXPECT_EQ(error_of({ "-no-user-configs" }), "-no-user-configs: unsupported option");
    EXPECT_EQ(error_of({ "-nodefconfig" }), "-nodefconfig: unsupported option");
}
