#include "cli/options.h"

#include <algorithm>
#include <cctype>
#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string_view>

#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "cli/keyval.h"
#include "cli/size.h"
#include "ui/keymaps.h"

namespace vireo {

namespace {

constexpr uint64_t max_cpus_supported = 255;
constexpr size_t max_serial_ports = 4;   // COM1-COM4
constexpr int max_ide_index = 3;         // two IDE buses, two units each
constexpr int max_drive_index = 255;
constexpr uint32_t max_net_queues = 64;
constexpr uint64_t memory_alignment = 8192; // QEMU rounds -m up to 8 KiB

using Keys = std::span<const std::string_view>;

// An error message must stay one line whatever the user typed.
std::string printable(std::string_view text)
{
    std::string out;
    for (char c : text)
        out.push_back((static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c);
    return out;
}

// One option as given, so that every error can name it: "-OPTION VALUE: problem".
struct Arg {
    std::string_view option; // without the leading dashes
    std::string_view value;
    bool has_value = false;
    std::string_view shown;  // what the user typed, when value is made from it (JSON); else empty

    template<typename... Args>
    [[nodiscard]] std::unexpected<Error> error(fmt::format_string<Args...> format, Args&&... args) const
    {
        // Details quote parts of the value, so the whole message is made printable.
        auto detail = fmt::format(format, std::forward<Args>(args)...);
        if (!has_value)
            return make_error("{}", printable(fmt::format("-{}: {}", option, detail)));
        return make_error("{}", printable(fmt::format("-{} {}: {}", option, shown.empty() ? value : shown, detail)));
    }
};

// QEMU's id rule: a letter, then letters, digits, '-', '.' or '_'.
bool is_valid_id(std::string_view id)
{
    if (id.empty() || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
            || c == '_';
    });
}

// QEMU 7.2's i440FX machine types: "pc" and the versioned pc-i440fx-1.4 .. 7.2. Vireo's pc is
// QEMU's newest; the older versions differ in compatibility properties vireo does not have, so
// each is taken as an alias of pc.
bool is_pc_machine(std::string_view type)
{
    static constexpr std::array<std::string_view, 31> versions { "1.4", "1.5", "1.6", "1.7", "2.0", "2.1", "2.2",
        "2.3", "2.4", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10", "2.11", "2.12", "3.0", "3.1", "4.0", "4.1", "4.2",
        "5.0", "5.1", "5.2", "6.0", "6.1", "6.2", "7.0", "7.1", "7.2" };
    if (type == "pc")
        return true;
    constexpr std::string_view prefix = "pc-i440fx-";
    return type.starts_with(prefix) && std::ranges::find(versions, type.substr(prefix.size())) != versions.end();
}

// The options that take QEMU's JSON form as well as key=value (QEMU 7.2: -device, -object,
// -netdev; libvirt passes JSON once the QMP schema says so).
bool takes_json(std::string_view option)
{
    return option == "device" || option == "netdev" || option == "object";
}

// One JSON member's value as key=value text: a string as it is (',' doubled), a boolean as
// on/off, a number as its decimal text; an array (of strings, or QAPI's {"str": ...} wrappers)
// repeats the key, as key=value repeats hostfwd=.
Result<void> append_json_member(const Arg& arg, const std::string& key, const nlohmann::ordered_json& value,
                                std::string& out)
{
    if (value.is_array()) {
        for (const auto& element : value) {
            if (element.is_object() && element.size() == 1 && element.contains("str"))
                TRY(append_json_member(arg, key, element["str"], out));
            else if (element.is_array() || element.is_object())
                return arg.error("unsupported JSON value for '{}'", key);
            else
                TRY(append_json_member(arg, key, element, out));
        }
        return {};
    }
    std::string text;
    if (value.is_string()) {
        for (char c : value.get_ref<const std::string&>()) {
            text.push_back(c);
            if (c == ',')
                text.push_back(',');
        }
    } else if (value.is_boolean()) {
        text = value.get<bool>() ? "on" : "off";
    } else if (value.is_number()) {
        text = value.dump();
    } else {
        // null, or a nested object (-blockdev's "file": {...}: no option vireo has takes one)
        return arg.error("unsupported JSON value for '{}'", key);
    }
    if (key.empty() || key.find_first_of(",=") != std::string::npos)
        return arg.error("invalid parameter name '{}'", key);
    if (!out.empty())
        out.push_back(',');
    out += key;
    out.push_back('=');
    out += text;
    return {};
}

// QEMU's JSON form of an option ('{"driver":"virtio-blk-pci","drive":"d0"}') as the key=value
// text of the same meaning ("driver=virtio-blk-pci,drive=d0"), for the option's own handler.
Result<std::string> json_to_keyvals(const Arg& arg)
{
    nlohmann::ordered_json object;
    try {
        object = nlohmann::ordered_json::parse(arg.value);
    } catch (const nlohmann::ordered_json::exception& error) {
        // "[json.exception.parse_error.101] parse error at line 1, column 9: ..." without the tag;
        // a number too large for a double is out_of_range.406, not a parse error.
        std::string_view what = error.what();
        if (auto tag = what.find("] "); tag != std::string_view::npos)
            what = what.substr(tag + 2);
        return arg.error("invalid JSON: {}", what);
    }
    if (!object.is_object())
        return arg.error("invalid JSON: an object expected");
    std::string text;
    for (const auto& [key, value] : object.items())
        TRY(append_json_member(arg, key, value, text));
    return text;
}

bool is_virtio_nic_model(std::string_view model)
{
    return model == "virtio" || model == "virtio-net-pci";
}

Result<KeyValues> parse_keyvals(const Arg& arg, std::string_view implied_key, std::optional<Keys> allowed)
{
    auto parsed = KeyValues::parse(arg.value, implied_key);
    if (!parsed)
        return arg.error("{}", parsed.error().message);
    if (allowed) {
        if (auto unknown = parsed->first_unknown_key(*allowed))
            return arg.error("unknown parameter '{}'", *unknown);
    }
    return parsed;
}

Result<std::optional<bool>> get_bool(const Arg& arg, const KeyValues& kv, std::string_view key)
{
    auto value = kv.get(key);
    if (!value)
        return std::optional<bool> {};
    auto flag = parse_bool(*value);
    if (!flag)
        return arg.error("invalid value '{}' for {} (expected on or off)", *value, key);
    return flag;
}

// Puts a boolean option into a string map as "on" or "off".
Result<void> copy_bool(const Arg& arg, const KeyValues& kv, std::string_view key,
                       std::map<std::string, std::string>& options)
{
    auto flag = TRY(get_bool(arg, kv, key));
    if (flag)
        options[std::string(key)] = *flag ? "on" : "off";
    return {};
}

Result<std::optional<std::string>> get_id(const Arg& arg, const KeyValues& kv)
{
    auto id = kv.get("id");
    if (!id)
        return std::optional<std::string> {};
    if (!is_valid_id(*id))
        return arg.error("invalid id '{}'", *id);
    return std::optional<std::string>(std::string(*id));
}

// A NIC or back end of the old "-net" syntax, or a "-nic" pair, resolved once every option is seen.
struct PendingNet {
    enum class Kind { HubNic, HubBackend, DirectNic, NicPair };
    Kind kind = Kind::HubNic;
    std::string arg_text; // "-net nic,..." for error messages
    uint32_t hub = 0;
    NetdevConfig backend;          // HubBackend, NicPair
    DeviceConfig nic;              // HubNic, DirectNic, NicPair
};

class Parser {
public:
    Result<CommandLine> run(std::span<const std::string> args);

private:
    using Handler = Result<void> (Parser::*)(const Arg&);
    struct OptionSpec {
        std::string_view name;
        bool takes_value;
        Handler handler;
    };
    static const OptionSpec* find_option(std::string_view name);

    Result<void> on_enable_kvm(const Arg&) { return {}; }
    Result<void> on_accel(const Arg&);
    Result<void> on_machine(const Arg&);
    Result<void> on_cpu(const Arg&);
    Result<void> on_memory(const Arg&);
    Result<void> on_smp(const Arg&);
    Result<void> on_kernel(const Arg&);
    Result<void> on_initrd(const Arg&);
    Result<void> on_append(const Arg& arg);
    Result<void> on_name(const Arg&);
    Result<void> on_nographic(const Arg&);
    Result<void> on_serial(const Arg&);
    Result<void> on_debugcon(const Arg&);
    Result<void> on_nodefaults(const Arg&);
    Result<void> on_smbios(const Arg&);
    Result<void> on_bios(const Arg&);
    Result<void> on_cdrom(const Arg&);
    Result<void> on_boot(const Arg&);
    Result<void> on_display(const Arg&);
    Result<void> on_vga(const Arg&);
    Result<void> on_sdl(const Arg&);
    Result<void> on_no_reboot(const Arg&);
    Result<void> on_help(const Arg&);
    Result<void> on_version(const Arg&);
    Result<void> on_drive(const Arg&);
    Result<void> on_hd(const Arg&);
    Result<void> on_device(const Arg&);
    Result<void> on_netdev(const Arg&);
    Result<void> on_net(const Arg&);
    Result<void> on_nic(const Arg&);
    Result<void> on_chardev(const Arg&);
    Result<void> on_qmp(const Arg&);
    Result<void> on_monitor(const Arg&);
    Result<void> add_socket_monitor(const Arg& arg, MonitorMode mode);
    Result<void> on_mon(const Arg&);
    Result<void> on_start_paused(const Arg&);
    Result<void> on_no_shutdown(const Arg&);
    Result<void> on_uuid(const Arg&);
    Result<void> on_sandbox(const Arg&);
    Result<void> on_runas(const Arg&);
    Result<void> on_chroot(const Arg&);
    Result<void> on_daemonize(const Arg&);
    Result<void> on_pidfile(const Arg&);
    Result<void> on_vnc(const Arg&);
    Result<void> on_keymap(const Arg&);
    Result<void> on_object(const Arg&);
    Result<void> on_no_user_config(const Arg&);
    Result<void> on_rtc(const Arg&);
    Result<void> on_msg(const Arg&);
    Result<void> on_overcommit(const Arg&);

    Result<void> add_drive(const Arg&, DriveConfig drive);
    Result<SerialConfig> parse_character_backend(const Arg&);
    Result<NetdevConfig> build_netdev(const Arg&, const KeyValues&, Keys extra_keys);
    bool netdev_id_taken(std::string_view id) const;
    Result<void> finish_network();
    Result<void> finish_monitors();
    Result<void> finish_vnc();
    Result<void> finish_daemonize();
    void name_drives();

    CommandLine m_result;
    std::vector<PendingNet> m_pending_net;
    struct PendingMonitor {
        std::string arg_text; // "-mon ..." for error messages
        std::string chardev;
        MonitorConfig monitor;
    };
    std::vector<PendingMonitor> m_pending_monitors; // -mon: their chardev may come later
    unsigned m_qmp_count = 0;
    bool m_stop = false;
};

const Parser::OptionSpec* Parser::find_option(std::string_view name)
{
    static const OptionSpec options[] = {
        { "enable-kvm", false, &Parser::on_enable_kvm },
        { "accel", true, &Parser::on_accel },
        { "machine", true, &Parser::on_machine },
        { "M", true, &Parser::on_machine },
        { "cpu", true, &Parser::on_cpu },
        { "m", true, &Parser::on_memory },
        { "smp", true, &Parser::on_smp },
        { "kernel", true, &Parser::on_kernel },
        { "initrd", true, &Parser::on_initrd },
        { "append", true, &Parser::on_append },
        { "name", true, &Parser::on_name },
        { "nographic", false, &Parser::on_nographic },
        { "serial", true, &Parser::on_serial },
        { "debugcon", true, &Parser::on_debugcon },
        { "nodefaults", false, &Parser::on_nodefaults },
        { "smbios", true, &Parser::on_smbios },
        { "bios", true, &Parser::on_bios },
        { "cdrom", true, &Parser::on_cdrom },
        { "boot", true, &Parser::on_boot },
        { "display", true, &Parser::on_display },
        { "vga", true, &Parser::on_vga },
        { "sdl", false, &Parser::on_sdl },
        { "no-reboot", false, &Parser::on_no_reboot },
        { "h", false, &Parser::on_help },
        { "help", false, &Parser::on_help },
        { "version", false, &Parser::on_version },
        { "drive", true, &Parser::on_drive },
        { "hda", true, &Parser::on_hd },
        { "hdb", true, &Parser::on_hd },
        { "hdc", true, &Parser::on_hd },
        { "hdd", true, &Parser::on_hd },
        { "device", true, &Parser::on_device },
        { "netdev", true, &Parser::on_netdev },
        { "net", true, &Parser::on_net },
        { "nic", true, &Parser::on_nic },
        { "chardev", true, &Parser::on_chardev },
        { "qmp", true, &Parser::on_qmp },
        { "monitor", true, &Parser::on_monitor },
        { "mon", true, &Parser::on_mon },
        { "S", false, &Parser::on_start_paused },
        { "no-shutdown", false, &Parser::on_no_shutdown },
        { "uuid", true, &Parser::on_uuid },
        { "sandbox", true, &Parser::on_sandbox },
        { "runas", true, &Parser::on_runas },
        { "chroot", true, &Parser::on_chroot },
        { "daemonize", false, &Parser::on_daemonize },
        { "pidfile", true, &Parser::on_pidfile },
        { "vnc", true, &Parser::on_vnc },
        { "k", true, &Parser::on_keymap },
        { "object", true, &Parser::on_object },
        { "no-user-config", false, &Parser::on_no_user_config },
        { "rtc", true, &Parser::on_rtc },
        { "msg", true, &Parser::on_msg },
        { "overcommit", true, &Parser::on_overcommit },
    };
    for (const auto& spec : options) {
        if (spec.name == name)
            return &spec;
    }
    return nullptr;
}

Result<CommandLine> Parser::run(std::span<const std::string> args)
{
    for (size_t i = 0; i < args.size() && !m_stop; ++i) {
        std::string_view word = args[i];
        if (word.empty() || word[0] != '-') {
            // A bare argument is a disk image: QEMU's "qemu-system-x86_64 disk.img".
            TRY(on_hd(Arg { "hda", word, true, {} }));
            continue;
        }
        std::string_view name = word.substr(word.starts_with("--") ? 2 : 1);
        const OptionSpec* spec = find_option(name);
        if (!spec)
            return Arg { name, {}, false, {} }.error("unsupported option");
        Arg arg { spec->name, {}, false, {} };
        std::string converted; // a JSON value as key=value text
        if (spec->takes_value) {
            if (i + 1 >= args.size())
                return arg.error("missing argument");
            arg.value = args[++i];
            arg.has_value = true;
            if (arg.value.starts_with('{') && takes_json(spec->name)) {
                converted = TRY(json_to_keyvals(arg));
                arg.shown = arg.value;
                arg.value = converted;
            }
        }
        TRY((this->*spec->handler)(arg));
    }
    if (m_result.action != CommandLine::Action::Run)
        return std::move(m_result);
    TRY(finish_network());
    TRY(finish_monitors());
    TRY(finish_vnc());
    TRY(finish_daemonize());
    name_drives();
    return std::move(m_result);
}

Result<void> Parser::on_accel(const Arg& arg)
{
    static constexpr std::array<std::string_view, 1> keys { "accel" };
    auto kv = TRY(parse_keyvals(arg, "accel", keys));
    if (kv.get("accel").value_or("") != "kvm")
        return arg.error("only kvm is supported");
    return {};
}

// -machine [type=]pc|pc-i440fx-X.Y|none[,accel=kvm[:...]][,usb=off][,dump-guest-core=on|off]
// [,mem-merge=on|off][,vmport=off][,smm=off][,hpet=off][,kernel-irqchip=on][,suppress-vmdesc=on|off]:
// the properties libvirt passes. A value is accepted only where vireo does what it says; one that
// asks for what vireo lacks (USB, the VMware port, SMM, an HPET) is refused.
Result<void> Parser::on_machine(const Arg& arg)
{
    static constexpr std::array<std::string_view, 10> keys { "type", "accel", "usb", "dump-guest-core",
        "mem-merge", "vmport", "smm", "hpet", "kernel-irqchip", "suppress-vmdesc" };
    auto kv = TRY(parse_keyvals(arg, "type", keys));
    // QEMU: whether guest memory goes into a core dump. vireo turns core dumps off unless this is
    // on (guest RAM stays out of them either way: MADV_DONTDUMP).
    if (auto dump = TRY(get_bool(arg, kv, "dump-guest-core")))
        m_result.config.containment.core_dumps = *dump;
    if (auto type = kv.get("type")) {
        if (*type == "none") {
            // QEMU's empty machine: no RAM, no CPU, only the monitors (libvirt's capability probe).
            m_result.config.machine = "none";
        } else if (is_pc_machine(*type)) {
            m_result.config.machine = "pc";
        } else {
            return arg.error("unsupported machine type '{}' (pc, pc-i440fx-1.4 to 7.2, none)", *type);
        }
    }
    // mem-merge: guest RAM is madvise(MADV_MERGEABLE) when on, as in QEMU (KSM then merges it if
    // the host runs KSM at all).
    if (auto merge = TRY(get_bool(arg, kv, "mem-merge")))
        m_result.config.ram.merge = *merge;
    // Devices vireo's pc does not have: only "off" is the truth. (QEMU's vmport and smm default
    // to auto, which is on under KVM.)
    struct Absent {
        std::string_view key;
        std::string_view what;
    };
    for (auto [key, what] : { Absent { "vmport", "VMware I/O port" }, Absent { "smm", "system management mode" },
                              Absent { "hpet", "HPET" } }) {
        auto value = kv.get(key);
        if (!value)
            continue;
        if (*value == "auto")
            return arg.error("{}=auto: vireo has no {} (use {}=off)", key, what, key);
        if (TRY(get_bool(arg, kv, key)).value_or(false))
            return arg.error("{}=on: vireo has no {}", key, what);
    }
    // The PIC, IOAPIC and local APICs are always KVM's in vireo.
    if (auto irqchip = kv.get("kernel-irqchip"); irqchip && parse_bool(*irqchip) != true)
        return arg.error("kernel-irqchip={}: vireo always uses KVM's in-kernel irqchip (only on)", *irqchip);
    // suppress-vmdesc only shapes a migration stream; vireo has no migration, so either value holds.
    TRY(get_bool(arg, kv, "suppress-vmdesc"));
    if (auto accel = kv.get("accel")) {
        // "accel=kvm:tcg" lists fall-backs in order; the first one is used.
        if (accel->substr(0, accel->find(':')) != "kvm")
            return arg.error("only kvm is supported");
    }
    if (auto usb = TRY(get_bool(arg, kv, "usb")); usb && *usb)
        return arg.error("USB is not supported");
    return {};
}

Result<void> Parser::on_cpu(const Arg& arg)
{
    if (arg.value.find(',') != std::string_view::npos)
        return arg.error("CPU properties are not supported");
    if (arg.value != "host" && arg.value != "max")
        return arg.error("unsupported CPU model '{}' (only host)", arg.value);
    m_result.config.cpu = "host";
    return {};
}

Result<void> Parser::on_memory(const Arg& arg)
{
    static constexpr std::array<std::string_view, 3> keys { "size", "slots", "maxmem" };
    auto kv = TRY(parse_keyvals(arg, "size", keys));
    if (kv.contains("slots") || kv.contains("maxmem"))
        return arg.error("memory hotplug (slots=, maxmem=) is not supported");
    auto text = kv.get("size");
    if (!text || text->empty())
        return arg.error("missing memory size");
    // A number without suffix counts MiB, QEMU's legacy rule for -m.
    uint64_t unit = (text->back() >= '0' && text->back() <= '9') ? 1ULL << 20 : 1;
    auto bytes = parse_size(*text, unit);
    if (!bytes)
        return arg.error("{}", bytes.error().message);
    if (*bytes == 0)
        return arg.error("memory size must be positive");
    if (*bytes > UINT64_MAX - (memory_alignment - 1))
        return arg.error("size too large");
    m_result.config.memory_bytes = (*bytes + memory_alignment - 1) & ~(memory_alignment - 1);
    return {};
}

// QEMU's rules (machine_parse_smp_config, "prefer cores" since 6.2): missing values are computed
// from the given ones, then sockets * cores * threads must equal maxcpus and cpus <= maxcpus.
Result<void> Parser::on_smp(const Arg& arg)
{
    static constexpr std::array<std::string_view, 7> keys { "cpus", "sockets", "dies", "clusters",
                                                            "cores", "threads", "maxcpus" };
    auto kv = TRY(parse_keyvals(arg, "cpus", keys));

    // 0 means "not given"; an explicit 0 is refused.
    auto get = [&](std::string_view key) -> Result<uint64_t> {
        auto text = kv.get(key);
        if (!text)
            return 0;
        auto number = parse_uint(*text, UINT64_MAX);
        if (!number)
            return arg.error("invalid value '{}' for {}", *text, key);
        if (*number == 0)
            return arg.error("{} must be positive", key);
        if (*number > max_cpus_supported)
            return arg.error("at most {} CPUs are supported", max_cpus_supported);
        return *number;
    };
    uint64_t cpus = TRY(get("cpus"));
    uint64_t sockets = TRY(get("sockets"));
    uint64_t cores = TRY(get("cores"));
    uint64_t threads = TRY(get("threads"));
    uint64_t max_cpus = TRY(get("maxcpus"));
    for (std::string_view level : { std::string_view("dies"), std::string_view("clusters") }) {
        if (uint64_t count = TRY(get(level)); count > 1)
            return arg.error("{}={} is not supported (only 1)", level, count);
    }

    if (cpus == 0 && max_cpus == 0) {
        sockets = sockets ? sockets : 1;
        cores = cores ? cores : 1;
        threads = threads ? threads : 1;
    } else {
        max_cpus = max_cpus ? max_cpus : cpus;
        if (cores == 0) {
            sockets = sockets ? sockets : 1;
            threads = threads ? threads : 1;
            cores = max_cpus / (sockets * threads);
        } else if (sockets == 0) {
            threads = threads ? threads : 1;
            sockets = max_cpus / (cores * threads);
        }
        if (threads == 0)
            threads = max_cpus / (sockets * cores);
    }
    // Each factor is at most 255, so the product cannot overflow.
    uint64_t total = sockets * cores * threads;
    max_cpus = max_cpus ? max_cpus : total;
    cpus = cpus ? cpus : max_cpus;
    if (max_cpus > max_cpus_supported)
        return arg.error("at most {} CPUs are supported", max_cpus_supported);
    if (total != max_cpus)
        return arg.error("invalid CPU topology: sockets ({}) * cores ({}) * threads ({}) != maxcpus ({})", sockets,
                         cores, threads, max_cpus);
    if (cpus > max_cpus)
        return arg.error("invalid CPU topology: maxcpus ({}) must be at least cpus ({})", max_cpus, cpus);

    auto& smp = m_result.config.smp;
    smp.cpus = static_cast<uint32_t>(cpus);
    smp.sockets = static_cast<uint32_t>(sockets);
    smp.cores = static_cast<uint32_t>(cores);
    smp.threads = static_cast<uint32_t>(threads);
    smp.max_cpus = static_cast<uint32_t>(max_cpus);
    return {};
}

Result<void> Parser::on_kernel(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("empty file name");
    m_result.config.kernel = arg.value;
    return {};
}

Result<void> Parser::on_initrd(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("empty file name");
    m_result.config.initrd = arg.value;
    return {};
}

Result<void> Parser::on_append(const Arg& arg)
{
    m_result.config.append = arg.value;
    return {};
}

Result<void> Parser::on_name(const Arg& arg)
{
    // process= and debug-threads= only name host threads; they are accepted and ignored.
    static constexpr std::array<std::string_view, 3> keys { "guest", "process", "debug-threads" };
    auto kv = TRY(parse_keyvals(arg, "guest", keys));
    TRY(get_bool(arg, kv, "debug-threads"));
    if (auto guest = kv.get("guest"))
        m_result.config.name = *guest;
    return {};
}

Result<void> Parser::on_nographic(const Arg&)
{
    m_result.config.nographic = true;
    return {};
}

Result<void> Parser::on_serial(const Arg& arg)
{
    auto& serials = m_result.config.serials;
    if (serials.size() >= max_serial_ports)
        return arg.error("too many serial ports (at most {})", max_serial_ports);
    serials.push_back(TRY(parse_character_backend(arg)));
    return {};
}

// -debugcon: the firmware's debug console (ISA port 0x402), with -serial's back ends.
Result<void> Parser::on_debugcon(const Arg& arg)
{
    m_result.config.debugcon = TRY(parse_character_backend(arg));
    return {};
}

// -nodefaults: none of the devices QEMU adds on its own (a NIC, a serial port, a CD-ROM drive).
Result<void> Parser::on_nodefaults(const Arg&)
{
    m_result.config.nodefaults = true;
    m_result.config.default_network = false;
    m_result.config.default_monitor = false;
    return {};
}

// -smbios type=0|1,FIELD=VALUE,...: what the firmware's SMBIOS tables say about the BIOS and
// the system (types 0 and 1, as QEMU takes them).
Result<void> Parser::on_smbios(const Arg& arg)
{
    static constexpr std::array<std::string_view, 13> keys { "type", "vendor", "version", "date", "release",
                                                             "uefi", "manufacturer", "product", "serial", "uuid",
                                                             "sku", "family", "file" };
    static constexpr std::array<std::string_view, 5> bios_keys { "vendor", "version", "date", "release", "uefi" };
    static constexpr std::array<std::string_view, 7> system_keys { "manufacturer", "product", "version", "serial",
                                                                   "uuid", "sku", "family" };
    auto kv = TRY(parse_keyvals(arg, {}, keys));
    if (kv.get("file"))
        return arg.error("file= (a binary SMBIOS table) is not supported; give type=0 or type=1 fields");
    auto type = kv.get("type");
    if (!type)
        return arg.error("type= is required (0 or 1)");
    if (*type != "0" && *type != "1")
        return arg.error("unsupported SMBIOS type '{}' (0, 1)", *type);
    bool bios = *type == "0";
    auto& fields = bios ? m_result.config.smbios.bios : m_result.config.smbios.system;
    for (const auto& item : kv.items()) {
        if (item.key == "type")
            continue;
        bool known = bios ? std::ranges::find(bios_keys, item.key) != bios_keys.end()
                          : std::ranges::find(system_keys, item.key) != system_keys.end();
        if (!known)
            return arg.error("Invalid parameter '{}' for SMBIOS type {}", item.key, *type);
        fields[std::string(item.key)] = item.value;
    }
    return {};
}

Result<void> Parser::on_bios(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("empty file name");
    m_result.config.bios = arg.value;
    return {};
}

Result<void> Parser::on_cdrom(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("empty file name");
    // -cdrom FILE is "-drive file=FILE,index=2,media=cdrom" on IDE: the secondary master.
    DriveConfig drive;
    drive.file = arg.value;
    drive.interface = DriveInterface::Ide;
    drive.index = 2;
    drive.media = DriveMedia::Cdrom;
    drive.read_only = true;
    return add_drive(arg, std::move(drive));
}

// -boot [order=]DRIVES,once=DRIVES,menu=on|off,splash-time=MS,reboot-timeout=MS,strict=on|off
Result<void> Parser::on_boot(const Arg& arg)
{
    static constexpr std::array<std::string_view, 7> keys { "order", "once", "menu", "splash", "splash-time",
                                                            "reboot-timeout", "strict" };
    auto kv = TRY(parse_keyvals(arg, "order", keys));
    auto& boot = m_result.config.boot;
    auto drives = [&](std::string_view key) -> Result<std::string> {
        auto letters = std::string(kv.get(key).value_or(""));
        for (char letter : letters) {
            // a, b: floppies; c: first hard disk; d: first CD-ROM; n-p: network adapters.
            if (!((letter >= 'a' && letter <= 'd') || (letter >= 'n' && letter <= 'p')))
                return arg.error("invalid boot device '{}' in {}= (a-d, n-p)", letter, key);
            if (std::ranges::count(letters, letter) > 1)
                return arg.error("boot device '{}' given twice in {}=", letter, key);
        }
        return letters;
    };
    if (kv.get("order"))
        boot.order = TRY(drives("order"));
    if (kv.get("once"))
        boot.once = TRY(drives("once"));
    if (auto menu = TRY(get_bool(arg, kv, "menu")))
        boot.menu = *menu;
    if (auto strict = TRY(get_bool(arg, kv, "strict")))
        boot.strict = *strict;
    if (auto splash_time = kv.get("splash-time")) {
        auto number = parse_uint(*splash_time, 0xffff);
        if (!number)
            return arg.error("invalid splash-time '{}' (milliseconds, at most 65535)", *splash_time);
        boot.splash_time_ms = static_cast<uint32_t>(*number);
    }
    if (auto reboot_timeout = kv.get("reboot-timeout")) {
        // -1 (the default) means never; 0-65535 ms otherwise, as in QEMU.
        if (*reboot_timeout == "-1") {
            boot.reboot_timeout_ms = -1;
        } else {
            auto number = parse_uint(*reboot_timeout, 0xffff);
            if (!number)
                return arg.error("invalid reboot-timeout '{}' (-1, or milliseconds up to 65535)", *reboot_timeout);
            boot.reboot_timeout_ms = static_cast<int32_t>(*number);
        }
    }
    if (kv.get("splash"))
        return arg.error("splash= (a boot logo) needs a display: vireo has none yet");
    return {};
}

Result<SerialConfig> Parser::parse_character_backend(const Arg& arg)
{
    SerialConfig serial;
    if (arg.value == "stdio") {
        serial.backend = SerialBackend::Stdio;
    } else if (arg.value == "mon:stdio") {
        serial.backend = SerialBackend::MonStdio;
    } else if (arg.value == "null") {
        serial.backend = SerialBackend::Null;
    } else if (arg.value == "none") {
        serial.backend = SerialBackend::None;
    } else if (arg.value.starts_with("file:")) {
        serial.backend = SerialBackend::File;
        serial.path = arg.value.substr(5);
        if (serial.path.empty())
            return arg.error("empty file name");
    } else {
        return arg.error("unsupported serial backend (stdio, mon:stdio, file:PATH, null, none)");
    }
    return serial;
}

Result<void> Parser::on_display(const Arg& arg)
{
    if (arg.value == "none") {
        m_result.config.display_none = true;
        return {};
    }
    auto type = arg.value.substr(0, arg.value.find(','));
    if (type == "none")
        return arg.error("display options are not supported");
    if (type == "gtk" || type == "sdl" || type == "curses" || type == "cocoa" || type == "egl-headless"
        || type == "spice-app" || type == "dbus")
        return arg.error("vireo opens no window: it shows the guest's display over VNC only");
    return arg.error("unsupported display '{}' (only none)", type);
}

// -vga std|none: QEMU's standard VGA (PCI 1234:1111 with the Bochs VBE extension), or none.
Result<void> Parser::on_vga(const Arg& arg)
{
    if (arg.value == "std") {
        m_result.config.vga = VgaType::Std;
        return {};
    }
    if (arg.value == "none") {
        m_result.config.vga = VgaType::None;
        return {};
    }
    return arg.error("unsupported VGA type '{}' (std, none)", arg.value);
}

Result<void> Parser::on_sdl(const Arg& arg)
{
    return arg.error("vireo opens no window: it shows the guest's display over VNC only");
}

Result<void> Parser::on_no_reboot(const Arg&)
{
    m_result.config.no_reboot = true;
    return {};
}

Result<void> Parser::on_help(const Arg&)
{
    m_result.action = CommandLine::Action::Help;
    m_stop = true;
    return {};
}

Result<void> Parser::on_version(const Arg&)
{
    m_result.action = CommandLine::Action::Version;
    m_stop = true;
    return {};
}

Result<void> Parser::on_drive(const Arg& arg)
{
    static constexpr std::array<std::string_view, 13> keys { "file", "format", "if", "id", "index",
                                                             "readonly", "read-only", "snapshot", "cache",
                                                             "aio", "discard", "media", "bootindex" };
    auto kv = TRY(parse_keyvals(arg, {}, keys));
    DriveConfig drive;
    auto file = kv.get("file");
    if (!file || file->empty())
        return arg.error("file= is required");
    drive.file = *file;

    if (auto format = kv.get("format")) {
        if (*format != "raw" && *format != "qcow2")
            return arg.error("unsupported format '{}' (raw, qcow2)", *format);
        drive.format = *format;
    }
    if (auto interface = kv.get("if")) {
        if (*interface == "virtio")
            drive.interface = DriveInterface::Virtio;
        else if (*interface == "ide")
            drive.interface = DriveInterface::Ide;
        else if (*interface == "none")
            drive.interface = DriveInterface::None;
        else
            return arg.error("unsupported interface '{}' (virtio, ide, none)", *interface);
    }
    if (auto id = TRY(get_id(arg, kv))) {
        drive.id = *id;
        drive.id_given = true;
    }
    if (auto index = kv.get("index")) {
        auto number = parse_uint(*index, max_drive_index);
        if (!number)
            return arg.error("invalid index '{}'", *index);
        drive.index = static_cast<int>(*number);
    }
    // "readonly" is the legacy spelling of "read-only"; the later one wins.
    for (const auto& item : kv.items()) {
        if (item.key != "readonly" && item.key != "read-only")
            continue;
        auto flag = parse_bool(item.value);
        if (!flag)
            return arg.error("invalid value '{}' for {} (expected on or off)", item.value, item.key);
        drive.read_only = *flag;
    }
    if (auto snapshot = TRY(get_bool(arg, kv, "snapshot")))
        drive.snapshot = *snapshot;
    if (auto cache = kv.get("cache")) {
        if (*cache == "writeback")
            drive.cache = CacheMode::Writeback;
        else if (*cache == "none")
            drive.cache = CacheMode::None;
        else if (*cache == "writethrough")
            drive.cache = CacheMode::Writethrough;
        else if (*cache == "unsafe")
            drive.cache = CacheMode::Unsafe;
        else if (*cache == "directsync")
            drive.cache = CacheMode::DirectSync;
        else
            return arg.error("invalid cache mode '{}'", *cache);
    }
    if (auto aio = kv.get("aio")) {
        if (*aio == "threads")
            drive.aio = AioMode::Threads;
        else if (*aio == "native")
            drive.aio = AioMode::Native;
        else if (*aio == "io_uring")
            drive.aio = AioMode::IoUring;
        else
            return arg.error("invalid aio mode '{}'", *aio);
    }
    if (auto discard = kv.get("discard")) {
        if (*discard == "unmap" || *discard == "on")
            drive.discard = true;
        else if (*discard == "ignore" || *discard == "off")
            drive.discard = false;
        else
            return arg.error("invalid discard mode '{}'", *discard);
    }
    if (auto media = kv.get("media")) {
        if (*media == "cdrom")
            drive.media = DriveMedia::Cdrom;
        else if (*media != "disk")
            return arg.error("unsupported media '{}' (disk, cdrom)", *media);
    }
    if (drive.media == DriveMedia::Cdrom) {
        if (drive.interface != DriveInterface::Ide)
            return arg.error("media=cdrom needs if=ide");
        drive.read_only = true; // a CD-ROM is read-only, as in QEMU
    }
    if (auto bootindex = kv.get("bootindex")) {
        auto number = parse_uint(*bootindex, 0xffff);
        if (!number)
            return arg.error("invalid bootindex '{}'", *bootindex);
        drive.bootindex = static_cast<int>(*number);
    }
    return add_drive(arg, std::move(drive));
}

Result<void> Parser::on_hd(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("empty file name");
    // -hda..-hdd: "-drive file=FILE,index=0..3,media=disk" on IDE; the file name is taken as is.
    DriveConfig drive;
    drive.file = arg.value;
    drive.interface = DriveInterface::Ide;
    drive.index = arg.option.back() - 'a';
    return add_drive(arg, std::move(drive));
}

Result<void> Parser::add_drive(const Arg& arg, DriveConfig drive)
{
    auto& drives = m_result.config.drives;
    if (drive.interface == DriveInterface::Ide && drive.index > max_ide_index)
        return arg.error("index {} out of range for if=ide (0-{})", drive.index, max_ide_index);
    for (const auto& other : drives) {
        if (!drive.id.empty() && other.id == drive.id)
            return arg.error("duplicate drive id '{}'", drive.id);
        if (drive.index >= 0 && other.index == drive.index && other.interface == drive.interface)
            return arg.error("drive index {} is already in use", drive.index);
    }
    drives.push_back(std::move(drive));
    return {};
}

Result<void> Parser::on_device(const Arg& arg)
{
    auto kv = TRY(parse_keyvals(arg, "driver", std::nullopt));
    auto driver = kv.get("driver");
    if (!driver || driver->empty())
        return arg.error("missing driver name");
    if (*driver == "help" || *driver == "?")
        return arg.error("device help is not supported");
    DeviceConfig device;
    device.driver = *driver;
    if (auto id = TRY(get_id(arg, kv))) {
        for (const auto& other : m_result.config.devices) {
            if (other.id == *id)
                return arg.error("duplicate device id '{}'", *id);
        }
        device.id = *id;
    }
    for (const auto& item : kv.items()) {
        if (item.key != "driver" && item.key != "id")
            device.properties[item.key] = item.value;
    }
    m_result.config.devices.push_back(std::move(device));
    return {};
}

bool Parser::netdev_id_taken(std::string_view id) const
{
    for (const auto& netdev : m_result.config.netdevs) {
        if (netdev.id == id)
            return true;
    }
    for (const auto& pending : m_pending_net) {
        if (!pending.backend.id.empty() && pending.backend.id == id)
            return true;
    }
    return false;
}

// The back-end part shared by -netdev, -net tap|user and -nic tap|user; extra_keys are those of
// the calling syntax, left for the caller to read.
Result<NetdevConfig> Parser::build_netdev(const Arg& arg, const KeyValues& kv, Keys extra_keys)
{
    static constexpr std::array<std::string_view, 10> tap_keys { "type", "id", "ifname", "fd", "fds", "script",
                                                                 "downscript", "vhost", "queues", "vnet_hdr" };
    static constexpr std::array<std::string_view, 12> user_keys { "type", "id", "net", "host", "dhcpstart", "dns",
                                                                  "hostfwd", "restrict", "hostname", "domainname",
                                                                  "ipv4", "ipv6" };
    NetdevConfig netdev;
    auto type = kv.get("type");
    if (!type || type->empty())
        return arg.error("missing network back end type");
    Keys keys;
    if (*type == "tap")
        keys = tap_keys;
    else if (*type == "user")
        keys = user_keys;
    else
        return arg.error("unsupported network back end '{}' (tap, user)", *type);
    netdev.type = *type;
    for (const auto& item : kv.items()) {
        if (std::find(keys.begin(), keys.end(), item.key) == keys.end()
            && std::find(extra_keys.begin(), extra_keys.end(), item.key) == extra_keys.end())
            return arg.error("unknown parameter '{}'", item.key);
    }
    if (auto id = TRY(get_id(arg, kv)))
        netdev.id = *id;

    if (netdev.type == "tap") {
        if (auto ifname = kv.get("ifname"))
            netdev.ifname = *ifname;
        if (auto fd = kv.get("fd")) {
            auto number = parse_uint(*fd, INT32_MAX);
            if (!number)
                return arg.error("invalid fd '{}'", *fd);
            netdev.fd = static_cast<int>(*number);
            if (kv.contains("ifname"))
                return arg.error("fd= and ifname= cannot be combined");
        }
        if (auto fds = kv.get("fds")) {
            // Pre-opened queue fds, "3:4:5"; handed on as text in options["fds"].
            size_t start = 0;
            while (true) {
                size_t end = std::min(fds->find(':', start), fds->size());
                if (!parse_uint(fds->substr(start, end - start), INT32_MAX))
                    return arg.error("invalid fds '{}'", *fds);
                if (end == fds->size())
                    break;
                start = end + 1;
            }
            if (kv.contains("fd") || kv.contains("ifname"))
                return arg.error("fds= cannot be combined with fd= or ifname=");
            netdev.options["fds"] = *fds;
        }
        // Vireo never runs network scripts; QEMU's default would run /etc/qemu-ifup.
        for (std::string_view key : { std::string_view("script"), std::string_view("downscript") }) {
            if (auto script = kv.get(key); script && !script->empty() && *script != "no")
                return arg.error("{}={}: network scripts are not supported (use {}=no)", key, *script, key);
        }
        if (auto vhost = TRY(get_bool(arg, kv, "vhost")); vhost && *vhost)
            return arg.error("vhost=on is not supported");
        if (auto queues = kv.get("queues")) {
            auto number = parse_uint(*queues, max_net_queues);
            if (!number || *number == 0)
                return arg.error("invalid queues '{}' (1-{})", *queues, max_net_queues);
            netdev.queues = static_cast<uint32_t>(*number);
        }
        if (auto vnet_hdr = TRY(get_bool(arg, kv, "vnet_hdr")))
            netdev.vnet_hdr = *vnet_hdr;
    } else {
        for (auto forward : kv.get_all("hostfwd"))
            netdev.hostfwd.emplace_back(forward);
        for (std::string_view key : { "net", "host", "dhcpstart", "dns", "hostname", "domainname" }) {
            if (auto value = kv.get(key))
                netdev.options[std::string(key)] = *value;
        }
        for (std::string_view key : { "restrict", "ipv4", "ipv6" })
            TRY(copy_bool(arg, kv, key, netdev.options));
    }
    return netdev;
}

Result<void> Parser::on_netdev(const Arg& arg)
{
    m_result.config.default_network = false;
    auto kv = TRY(parse_keyvals(arg, "type", std::nullopt));
    if (kv.get("type") == "help")
        return arg.error("netdev help is not supported");
    auto netdev = TRY(build_netdev(arg, kv, {}));
    if (netdev.id.empty())
        return arg.error("id= is required");
    if (netdev_id_taken(netdev.id))
        return arg.error("duplicate netdev id '{}'", netdev.id);
    m_result.config.netdevs.push_back(std::move(netdev));
    return {};
}

Result<void> Parser::on_net(const Arg& arg)
{
    m_result.config.default_network = false;
    auto kv = TRY(parse_keyvals(arg, "type", std::nullopt));
    auto type = kv.get("type").value_or("");

    PendingNet pending;
    pending.arg_text = fmt::format("-net {}", printable(arg.value));
    if (auto vlan = kv.get("vlan")) {
        auto number = parse_uint(*vlan, UINT32_MAX);
        if (!number)
            return arg.error("invalid vlan '{}'", *vlan);
        pending.hub = static_cast<uint32_t>(*number);
    }
    // In -net, "name=" is the older spelling of "id=".
    auto id = kv.get("id") ? kv.get("id") : kv.get("name");
    if (id && !is_valid_id(*id))
        return arg.error("invalid id '{}'", *id);

    if (type == "none") {
        static constexpr std::array<std::string_view, 1> keys { "type" };
        if (auto unknown = kv.first_unknown_key(keys))
            return arg.error("unknown parameter '{}'", *unknown);
        return {};
    }
    if (type == "nic") {
        static constexpr std::array<std::string_view, 7> keys { "type", "model", "macaddr", "netdev",
                                                                "vlan", "name", "id" };
        if (auto unknown = kv.first_unknown_key(keys))
            return arg.error("unknown parameter '{}'", *unknown);
        if (auto model = kv.get("model"); model && !is_virtio_nic_model(*model))
            return arg.error("unsupported NIC model '{}' (only virtio)", *model);
        pending.nic.driver = "virtio-net-pci";
        if (id)
            pending.nic.id = *id;
        if (auto mac = kv.get("macaddr"))
            pending.nic.properties["mac"] = *mac;
        pending.kind = PendingNet::Kind::HubNic;
        if (auto netdev = kv.get("netdev")) {
            if (kv.contains("vlan"))
                return arg.error("netdev= and vlan= cannot be combined");
            pending.kind = PendingNet::Kind::DirectNic;
            pending.nic.properties["netdev"] = *netdev;
        }
        m_pending_net.push_back(std::move(pending));
        return {};
    }
    if (type == "tap" || type == "user") {
        static constexpr std::array<std::string_view, 2> extra { "vlan", "name" };
        pending.backend = TRY(build_netdev(arg, kv, extra));
        if (id) {
            if (netdev_id_taken(*id))
                return arg.error("duplicate netdev id '{}'", *id);
            pending.backend.id = *id;
        }
        pending.kind = PendingNet::Kind::HubBackend;
        m_pending_net.push_back(std::move(pending));
        return {};
    }
    return arg.error("unsupported network type '{}' (nic, tap, user, none)", type);
}

Result<void> Parser::on_nic(const Arg& arg)
{
    m_result.config.default_network = false;
    auto kv = TRY(parse_keyvals(arg, "type", std::nullopt));
    if (kv.get("type") == "none") {
        static constexpr std::array<std::string_view, 1> keys { "type" };
        if (auto unknown = kv.first_unknown_key(keys))
            return arg.error("unknown parameter '{}'", *unknown);
        return {};
    }
    static constexpr std::array<std::string_view, 2> extra { "model", "mac" };
    PendingNet pending;
    pending.kind = PendingNet::Kind::NicPair;
    pending.arg_text = fmt::format("-nic {}", printable(arg.value));
    pending.backend = TRY(build_netdev(arg, kv, extra));
    if (!pending.backend.id.empty() && netdev_id_taken(pending.backend.id))
        return arg.error("duplicate netdev id '{}'", pending.backend.id);
    if (auto model = kv.get("model"); model && !is_virtio_nic_model(*model))
        return arg.error("unsupported NIC model '{}' (only virtio)", *model);
    pending.nic.driver = "virtio-net-pci";
    if (auto mac = kv.get("mac"))
        pending.nic.properties["mac"] = *mac;
    m_pending_net.push_back(std::move(pending));
    return {};
}

Result<void> Parser::finish_network()
{
    // Generated ids for back ends without one.
    unsigned next_id = 0;
    for (auto& pending : m_pending_net) {
        bool has_backend = pending.kind == PendingNet::Kind::HubBackend || pending.kind == PendingNet::Kind::NicPair;
        if (!has_backend || !pending.backend.id.empty())
            continue;
        std::string id;
        do
            id = fmt::format("net{}", next_id++);
        while (netdev_id_taken(id));
        pending.backend.id = id;
    }

    // Hubs: at most one NIC and one back end each; remember the back end of each hub.
    struct Hub {
        uint32_t number;
        const PendingNet* nic = nullptr;
        const PendingNet* backend = nullptr;
    };
    std::vector<Hub> hubs;
    auto hub_of = [&](uint32_t number) -> Hub& {
        for (auto& hub : hubs) {
            if (hub.number == number)
                return hub;
        }
        return hubs.emplace_back(Hub { number });
    };
    for (const auto& pending : m_pending_net) {
        if (pending.kind == PendingNet::Kind::HubNic) {
            Hub& hub = hub_of(pending.hub);
            if (hub.nic)
                return make_error("{}: hub {} already has a NIC (several NICs on one hub are not supported)",
                                  pending.arg_text, pending.hub);
            hub.nic = &pending;
        } else if (pending.kind == PendingNet::Kind::HubBackend) {
            Hub& hub = hub_of(pending.hub);
            if (hub.backend)
                return make_error(
                    "{}: hub {} already has a back end (several back ends on one hub are not supported)",
                    pending.arg_text, pending.hub);
            hub.backend = &pending;
        }
    }

    auto& config = m_result.config;
    for (const auto& pending : m_pending_net) {
        if (pending.kind == PendingNet::Kind::DirectNic) {
            const auto& netdev = pending.nic.properties.at("netdev");
            if (!netdev_id_taken(netdev))
                return make_error("{}: netdev '{}' not found", pending.arg_text, printable(netdev));
        }
    }
    for (auto& pending : m_pending_net) {
        switch (pending.kind) {
        case PendingNet::Kind::HubBackend:
            config.netdevs.push_back(pending.backend);
            break;
        case PendingNet::Kind::NicPair:
            config.netdevs.push_back(pending.backend);
            pending.nic.properties["netdev"] = pending.backend.id;
            config.devices.push_back(pending.nic);
            break;
        case PendingNet::Kind::HubNic:
            if (const PendingNet* backend = hub_of(pending.hub).backend)
                pending.nic.properties["netdev"] = backend->backend.id;
            config.devices.push_back(pending.nic);
            break;
        case PendingNet::Kind::DirectNic:
            config.devices.push_back(pending.nic);
            break;
        }
    }
    return {};
}

// Drives without id= get "drive0", "drive1", ... that no other drive uses.
void Parser::name_drives()
{
    auto& drives = m_result.config.drives;
    unsigned next = 0;
    for (auto& drive : drives) {
        if (!drive.id.empty())
            continue;
        std::string id;
        bool taken;
        do {
            id = fmt::format("drive{}", next++);
            taken = std::any_of(drives.begin(), drives.end(), [&](const DriveConfig& other) { return other.id == id; });
        } while (taken);
        drive.id = id;
    }
}

Result<void> Parser::on_chardev(const Arg& arg)
{
    static constexpr std::array<std::string_view, 5> common { "backend", "id", "logfile", "logappend", "mux" };
    static constexpr std::array<std::string_view, 1> stdio_keys { "signal" };
    static constexpr std::array<std::string_view, 2> file_keys { "path", "append" };
    static constexpr std::array<std::string_view, 12> socket_keys { "path", "host", "port", "fd", "server",
                                                                    "wait", "telnet", "delay", "reconnect",
                                                                    "ipv4", "ipv6", "to" };
    auto kv = TRY(parse_keyvals(arg, "backend", std::nullopt));
    auto backend = kv.get("backend");
    if (!backend || backend->empty())
        return arg.error("missing chardev back end");
    Keys specific;
    if (*backend == "stdio")
        specific = stdio_keys;
    else if (*backend == "file")
        specific = file_keys;
    else if (*backend == "socket")
        specific = socket_keys;
    else if (*backend != "null" && *backend != "pty")
        return arg.error("unsupported chardev back end '{}' (stdio, file, socket, null, pty)", *backend);
    for (const auto& item : kv.items()) {
        if (std::find(common.begin(), common.end(), item.key) == common.end()
            && std::find(specific.begin(), specific.end(), item.key) == specific.end())
            return arg.error("unknown parameter '{}'", item.key);
    }

    ChardevConfig chardev;
    chardev.backend = *backend;
    auto id = TRY(get_id(arg, kv));
    if (!id)
        return arg.error("id= is required");
    for (const auto& other : m_result.config.chardevs) {
        if (other.id == *id)
            return arg.error("duplicate chardev id '{}'", *id);
    }
    chardev.id = *id;

    static constexpr std::array<std::string_view, 10> bool_keys { "logappend", "mux", "signal", "append",
                                                                  "server", "wait", "telnet", "delay",
                                                                  "ipv4", "ipv6" };
    for (const auto& item : kv.items()) {
        if (item.key == "backend" || item.key == "id")
            continue;
        if (std::find(bool_keys.begin(), bool_keys.end(), item.key) != bool_keys.end())
            TRY(copy_bool(arg, kv, item.key, chardev.options));
        else
            chardev.options[item.key] = item.value;
    }
    if (*backend == "file" && kv.get("path").value_or("").empty())
        return arg.error("path= is required");
    if (*backend == "socket") {
        int ways = chardev.options.contains("path") + chardev.options.contains("port") + chardev.options.contains("fd");
        if (ways == 0)
            return arg.error("path=, port= or fd= is required");
        if (ways > 1)
            return arg.error("path=, port= and fd= exclude each other");
        if (auto fd = kv.get("fd"); fd && !parse_uint(*fd, INT32_MAX))
            return arg.error("invalid fd '{}'", *fd);
    }
    m_result.config.chardevs.push_back(std::move(chardev));
    return {};
}

// -qmp unix:PATH[,server=on][,wait=off] or tcp:[HOST]:PORT[,...]: QEMU's old chardev syntax,
// made into a socket ChardevConfig of its own.
Result<void> Parser::on_qmp(const Arg& arg)
{
    return add_socket_monitor(arg, MonitorMode::Control);
}

// -monitor stdio|mon:stdio|unix:PATH,...|tcp:HOST:PORT,...|none: the human monitor, with
// -qmp's socket syntax. Any -monitor replaces the default one (-nographic's, muxed with the
// serial console on stdio), as in QEMU.
Result<void> Parser::on_monitor(const Arg& arg)
{
    m_result.config.default_monitor = false;
    if (arg.value == "none")
        return {};
    if (arg.value == "stdio" || arg.value == "mon:stdio") {
        ChardevConfig chardev;
        chardev.backend = "stdio";
        chardev.id = fmt::format("compat_monitor{}", m_qmp_count++);
        m_result.config.monitors.push_back(MonitorConfig { std::move(chardev), MonitorMode::Readline, false });
        return {};
    }
    if (!arg.value.starts_with("unix:") && !arg.value.starts_with("tcp:"))
        return arg.error("unsupported monitor (stdio, mon:stdio, unix:PATH,server=on,wait=off, "
                         "tcp:HOST:PORT,server=on,wait=off, none)");
    return add_socket_monitor(arg, MonitorMode::Readline);
}

Result<void> Parser::add_socket_monitor(const Arg& arg, MonitorMode mode)
{
    ChardevConfig chardev;
    chardev.backend = "socket";
    chardev.id = fmt::format("compat_monitor{}", m_qmp_count++);
    // The options after the address, with errors naming the whole -qmp value.
    auto parse_options = [&](std::string_view text, std::string_view implied, Keys keys) -> Result<KeyValues> {
        auto parsed = KeyValues::parse(text, implied);
        if (!parsed)
            return arg.error("{}", parsed.error().message);
        if (auto unknown = parsed->first_unknown_key(keys))
            return arg.error("unknown parameter '{}'", *unknown);
        return parsed;
    };
    if (arg.value.starts_with("unix:")) {
        static constexpr std::array<std::string_view, 3> keys { "path", "server", "wait" };
        auto kv = TRY(parse_options(arg.value.substr(5), "path", keys));
        auto path = kv.get("path");
        if (!path || path->empty())
            return arg.error("missing socket path");
        chardev.options["path"] = *path;
        TRY(copy_bool(arg, kv, "server", chardev.options));
        TRY(copy_bool(arg, kv, "wait", chardev.options));
    } else if (arg.value.starts_with("tcp:")) {
        std::string_view address = arg.value.substr(4);
        size_t comma = address.find(',');
        std::string_view host_port = address.substr(0, comma);
        size_t colon = host_port.rfind(':');
        if (colon == std::string_view::npos)
            return arg.error("expected tcp:HOST:PORT");
        auto port = host_port.substr(colon + 1);
        if (!parse_uint(port, 65535) || port == "0")
            return arg.error("invalid port '{}'", port);
        chardev.options["host"] = std::string(host_port.substr(0, colon));
        chardev.options["port"] = std::string(port);
        static constexpr std::array<std::string_view, 3> keys { "server", "wait", "nodelay" };
        auto options = comma == std::string_view::npos ? std::string_view() : address.substr(comma + 1);
        auto kv = TRY(parse_options(options, {}, keys));
        TRY(copy_bool(arg, kv, "server", chardev.options));
        TRY(copy_bool(arg, kv, "wait", chardev.options));
        TRY(get_bool(arg, kv, "nodelay"));
    } else {
        return arg.error("unsupported QMP socket (unix:PATH,server=on,wait=off or tcp:HOST:PORT,server=on,wait=off)");
    }
    if (chardev.options["server"] != "on")
        return arg.error("only a listening socket (server=on) is supported");
    m_result.config.monitors.push_back(MonitorConfig { std::move(chardev), mode, false });
    return {};
}

// -mon chardev=ID[,mode=control|readline][,pretty=on|off]
Result<void> Parser::on_mon(const Arg& arg)
{
    static constexpr std::array<std::string_view, 4> keys { "chardev", "mode", "pretty", "id" };
    auto kv = TRY(parse_keyvals(arg, {}, keys));
    auto chardev = kv.get("chardev");
    if (!chardev || chardev->empty())
        return arg.error("chardev= is required");
    PendingMonitor pending { fmt::format("-mon {}", printable(arg.value)), std::string(*chardev), {} };
    // QEMU's default mode is readline, the human monitor.
    auto mode = kv.get("mode").value_or("readline");
    if (mode == "readline")
        pending.monitor.mode = MonitorMode::Readline;
    else if (mode != "control")
        return arg.error("invalid mode '{}' (control, readline)", mode);
    if (auto pretty = TRY(get_bool(arg, kv, "pretty")))
        pending.monitor.pretty = *pretty;
    m_pending_monitors.push_back(std::move(pending));
    return {};
}

// A -mon's chardev is the monitor's own: the machine does not make it.
Result<void> Parser::finish_monitors()
{
    auto& config = m_result.config;
    for (auto& pending : m_pending_monitors) {
        auto found = std::find_if(config.chardevs.begin(), config.chardevs.end(),
            [&](const ChardevConfig& chardev) { return chardev.id == pending.chardev; });
        if (found == config.chardevs.end())
            return make_error("{}: chardev '{}' not found", pending.arg_text, printable(pending.chardev));
        bool human_on_stdio = found->backend == "stdio" && pending.monitor.mode == MonitorMode::Readline;
        if (!human_on_stdio && (found->backend != "socket" || found->options["server"] != "on"))
            return make_error("{}: only a listening socket chardev (socket,...,server=on) can be a monitor"
                              " (or stdio, for the human monitor)", pending.arg_text);
        bool taken = std::any_of(config.monitors.begin(), config.monitors.end(),
            [&](const MonitorConfig& monitor) { return monitor.chardev.id == pending.chardev; });
        if (taken)
            return make_error("{}: chardev '{}' already has a monitor", pending.arg_text, printable(pending.chardev));
        pending.monitor.chardev = *found;
        config.monitors.push_back(std::move(pending.monitor));
    }
    // One terminal, one reader: a human monitor on stdio next to a serial port on stdio (given,
    // or -nographic's default) is refused, as QEMU refuses it. mon:stdio is how they share it.
    bool monitor_on_stdio = std::any_of(config.monitors.begin(), config.monitors.end(),
        [](const MonitorConfig& monitor) { return monitor.chardev.backend == "stdio"; });
    bool serial_on_stdio = std::any_of(config.serials.begin(), config.serials.end(), [](const SerialConfig& serial) {
        return serial.backend == SerialBackend::Stdio || serial.backend == SerialBackend::MonStdio;
    });
    serial_on_stdio = serial_on_stdio || (config.serials.empty() && config.nographic && !config.nodefaults);
    size_t stdio_monitors = static_cast<size_t>(std::count_if(config.monitors.begin(), config.monitors.end(),
        [](const MonitorConfig& monitor) { return monitor.chardev.backend == "stdio"; }));
    if (monitor_on_stdio && (serial_on_stdio || stdio_monitors > 1))
        return make_error("cannot use stdio by multiple character devices");
    return {};
}

Result<void> Parser::on_start_paused(const Arg&)
{
    m_result.config.start_paused = true;
    return {};
}

Result<void> Parser::on_no_shutdown(const Arg&)
{
    m_result.config.no_shutdown = true;
    return {};
}

// -uuid 8-4-4-4-12 hexadecimal digits; kept in lower case, as QEMU prints it.
Result<void> Parser::on_uuid(const Arg& arg)
{
    constexpr std::array<size_t, 4> dashes { 8, 13, 18, 23 };
    std::string uuid;
    bool valid = arg.value.size() == 36;
    for (size_t i = 0; valid && i < arg.value.size(); ++i) {
        char c = arg.value[i];
        bool dash = std::find(dashes.begin(), dashes.end(), i) != dashes.end();
        if (dash ? c != '-' : !std::isxdigit(static_cast<unsigned char>(c)))
            valid = false;
        uuid.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    if (!valid)
        return arg.error("invalid UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    m_result.config.uuid = uuid;
    return {};
}

// -sandbox on|off[,obsolete=allow|deny][,elevateprivileges=allow|deny|children][,spawn=allow|deny]
// [,resourcecontrol=allow|deny], as QEMU takes it; README.md says what each means here.
Result<void> Parser::on_sandbox(const Arg& arg)
{
    static constexpr std::array<std::string_view, 5> keys { "enable", "obsolete", "elevateprivileges", "spawn",
                                                            "resourcecontrol" };
    auto kv = TRY(parse_keyvals(arg, "enable", keys));
    auto& sandbox = m_result.config.sandbox;
    auto enable = TRY(get_bool(arg, kv, "enable"));
    if (!enable)
        return arg.error("on or off expected");
    sandbox.enabled = *enable;
    auto setting = [&](std::string_view key, bool children_allowed, SandboxSetting& out) -> Result<void> {
        auto value = kv.get(key);
        if (!value)
            return {};
        if (*value == "allow")
            out = SandboxSetting::Allow;
        else if (*value == "deny")
            out = SandboxSetting::Deny;
        else if (children_allowed && *value == "children")
            out = SandboxSetting::Children;
        else
            return arg.error("invalid value '{}' for {} (expected allow, deny{})", *value, key,
                children_allowed ? " or children" : "");
        return {};
    };
    TRY(setting("obsolete", false, sandbox.obsolete));
    TRY(setting("elevateprivileges", true, sandbox.elevate_privileges));
    TRY(setting("spawn", false, sandbox.spawn));
    TRY(setting("resourcecontrol", false, sandbox.resource_control));
    return {};
}

Result<void> Parser::on_runas(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("a user name or UID[:GID] expected");
    m_result.config.containment.run_as = arg.value;
    return {};
}

Result<void> Parser::on_chroot(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("a directory expected");
    m_result.config.containment.chroot_dir = arg.value;
    return {};
}

Result<void> Parser::on_daemonize(const Arg&)
{
    m_result.config.process.daemonize = true;
    return {};
}

Result<void> Parser::on_pidfile(const Arg& arg)
{
    if (arg.value.empty())
        return arg.error("a file name expected");
    m_result.config.process.pid_file = std::string(arg.value);
    return {};
}

// A daemon has no terminal: as QEMU, refuse anything on stdio rather than lose it.
Result<void> Parser::finish_daemonize()
{
    const auto& config = m_result.config;
    if (!config.process.daemonize)
        return {};
    bool stdio = std::any_of(config.serials.begin(), config.serials.end(), [](const SerialConfig& serial) {
        return serial.backend == SerialBackend::Stdio || serial.backend == SerialBackend::MonStdio;
    });
    stdio = stdio || (config.serials.empty() && config.nographic && !config.nodefaults);
    stdio = stdio || std::any_of(config.chardevs.begin(), config.chardevs.end(),
        [](const ChardevConfig& chardev) { return chardev.backend == "stdio"; });
    stdio = stdio || std::any_of(config.monitors.begin(), config.monitors.end(),
        [](const MonitorConfig& monitor) { return monitor.chardev.backend == "stdio"; });
    stdio = stdio || (config.debugcon && config.debugcon->backend == SerialBackend::Stdio);
    if (stdio)
        return make_error("-daemonize: stdio cannot be used by a daemon (-nographic without -nodefaults, "
                          "-serial stdio, mon:stdio, a stdio chardev)");
    return {};
}

// -vnc [HOST]:N[,opts] | unix:PATH[,opts] | none, with QEMU 7.2's websocket=, password=,
// password-secret=, share= (lossy= and non-adaptive= are accepted and change nothing).
Result<void> Parser::on_vnc(const Arg& arg)
{
    if (arg.value == "none") {
        m_result.config.vnc.reset();
        return {};
    }
    VncConfig vnc;
    vnc.text = std::string(arg.value);
    std::string_view address;
    std::string_view rest;
    if (arg.value.starts_with("unix:")) {
        // The path ends at the first single comma (",," is a literal one).
        std::string path;
        size_t i = 5;
        for (; i < arg.value.size(); ++i) {
            if (arg.value[i] == ',') {
                if (i + 1 < arg.value.size() && arg.value[i + 1] == ',') {
                    path.push_back(',');
                    ++i;
                    continue;
                }
                break;
            }
            path.push_back(arg.value[i]);
        }
        if (path.empty())
            return arg.error("expected unix:PATH");
        vnc.unix_path = std::move(path);
        rest = i < arg.value.size() ? arg.value.substr(i + 1) : std::string_view();
    } else {
        size_t comma = arg.value.find(',');
        address = arg.value.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : arg.value.substr(comma + 1);
        size_t colon = address.rfind(':');
        if (colon == std::string_view::npos)
            return arg.error("expected [HOST]:DISPLAY, unix:PATH or none");
        auto host = address.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2); // [::1]:1
        auto display = parse_uint(address.substr(colon + 1), 65535 - 5900);
        if (!display)
            return arg.error("invalid display '{}' (0-{})", address.substr(colon + 1), 65535 - 5900);
        vnc.host = std::string(host);
        vnc.display = static_cast<uint32_t>(*display);
    }
    static constexpr std::array<std::string_view, 6> keys { "websocket", "password", "password-secret", "share",
        "lossy", "non-adaptive" };
    auto options = KeyValues::parse(rest);
    if (!options)
        return arg.error("{}", options.error().message);
    if (auto unknown = options->first_unknown_key(keys))
        return arg.error("unsupported parameter '{}' (websocket, password, password-secret, share)", *unknown);
    if (auto websocket = options->get("websocket")) {
        // QEMU also takes websocket=on (port 5700+N) and websocket=HOST:PORT; a port is what noVNC needs.
        std::string_view port = *websocket;
        if (port == "on" && vnc.unix_path.empty() && vnc.display + 5700 <= 65535)
            vnc.websocket_port = static_cast<uint16_t>(5700 + vnc.display);
        else if (auto colon = port.rfind(':'); colon != std::string_view::npos)
            port = port.substr(colon + 1);
        if (!vnc.websocket_port) {
            auto number = parse_uint(port, 65535);
            if (!number || *number == 0)
                return arg.error("invalid websocket port '{}'", *websocket);
            vnc.websocket_port = static_cast<uint16_t>(*number);
        }
    }
    if (auto password = TRY(get_bool(arg, *options, "password")))
        vnc.password = *password;
    TRY(get_bool(arg, *options, "lossy"));
    TRY(get_bool(arg, *options, "non-adaptive"));
    if (auto secret = options->get("password-secret")) {
        if (!is_valid_id(*secret))
            return arg.error("invalid password-secret '{}'", *secret);
        vnc.password_secret = std::string(*secret);
    }
    if (vnc.password && !vnc.password_secret.empty())
        return arg.error("password=on and password-secret= exclude each other");
    if (auto share = options->get("share")) {
        if (*share == "allow-exclusive")
            vnc.share = VncShare::AllowExclusive;
        else if (*share == "force-shared")
            vnc.share = VncShare::ForceShared;
        else if (*share == "ignore")
            vnc.share = VncShare::Ignore;
        else
            return arg.error("invalid share '{}' (allow-exclusive, force-shared, ignore)", *share);
    }
    m_result.config.vnc = std::move(vnc);
    return {};
}

// -k LAYOUT: the keymap VNC key events go through.
Result<void> Parser::on_keymap(const Arg& arg)
{
    if (!find_keymap(arg.value))
        return arg.error("unsupported keymap (supported: {})", fmt::join(keymap_names(), ", "));
    m_result.config.keymap = std::string(arg.value);
    return {};
}

// -object secret,id=ID,data=TEXT|file=PATH[,format=raw]: QEMU 7.2's secret object (for
// password-secret=). Other object types are refused.
Result<void> Parser::on_object(const Arg& arg)
{
    auto kv = TRY(parse_keyvals(arg, "qom-type", std::nullopt));
    auto type = kv.get("qom-type").value_or("");
    if (type != "secret")
        return arg.error("unsupported object type '{}' (only secret)", type);
    static constexpr std::array<std::string_view, 5> keys { "qom-type", "id", "data", "file", "format" };
    if (auto unknown = kv.first_unknown_key(keys))
        return arg.error("unknown parameter '{}'", *unknown);
    auto id = TRY(get_id(arg, kv));
    if (!id)
        return arg.error("id= is required");
    if (kv.contains("data") == kv.contains("file"))
        return arg.error("either data= or file= is required");
    if (auto format = kv.get("format"); format && *format != "raw")
        return arg.error("unsupported format '{}' (only raw)", *format);
    for (const auto& secret : m_result.config.secrets) {
        if (secret.id == *id)
            return arg.error("duplicate id '{}'", *id);
    }
    m_result.config.secrets.push_back(SecretConfig { *id, std::string(kv.get("data").value_or("")),
        std::string(kv.get("file").value_or("")) });
    return {};
}

// -no-user-config: QEMU then reads no configuration file of its own (qemu.conf's -readconfig
// defaults). Vireo reads no configuration file at all, so there is nothing to leave out.
Result<void> Parser::on_no_user_config(const Arg&)
{
    return {};
}

// QEMU's -rtc base=DATE forms, "2006-06-17T16:01:21" and "2006-06-17", a UTC time.
std::optional<std::chrono::sys_seconds> parse_rtc_date(std::string_view text)
{
    std::string copy(text);
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int used = 0;
    bool with_time = std::sscanf(copy.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &year, &month, &day, &hour, &minute,
                                 &second, &used) == 6
        && static_cast<size_t>(used) == copy.size();
    if (!with_time) {
        hour = minute = second = 0;
        used = 0;
        if (std::sscanf(copy.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &used) != 3
            || static_cast<size_t>(used) != copy.size())
            return std::nullopt;
    }
    std::chrono::year_month_day date { std::chrono::year { year }, std::chrono::month { static_cast<unsigned>(month) },
                                       std::chrono::day { static_cast<unsigned>(day) } };
    if (year < 1970 || !date.ok() || hour > 23 || minute > 59 || second > 59 || month < 1 || day < 1)
        return std::nullopt;
    return std::chrono::sys_days { date } + std::chrono::hours { hour } + std::chrono::minutes { minute }
        + std::chrono::seconds { second };
}

// -rtc [base=utc|localtime|DATE][,clock=host][,driftfix=none|slew], as QEMU 7.2 takes it.
Result<void> Parser::on_rtc(const Arg& arg)
{
    static constexpr std::array<std::string_view, 3> keys { "base", "clock", "driftfix" };
    auto kv = TRY(parse_keyvals(arg, {}, keys));
    auto& rtc = m_result.config.rtc;
    if (auto base = kv.get("base")) {
        if (*base == "utc") {
            rtc.base = RtcBase::Utc;
        } else if (*base == "localtime") {
            rtc.base = RtcBase::LocalTime;
        } else if (auto date = parse_rtc_date(*base)) {
            // QEMU fixes the offset once, while it reads its options; so does vireo.
            auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
            rtc.base = RtcBase::Date;
            rtc.date_offset_seconds = (*date - now).count();
        } else {
            return arg.error("invalid base '{}' (utc, localtime, or a date: 2006-06-17T16:01:21 or 2006-06-17)",
                             *base);
        }
    }
    // The CMOS clock reads the host's wall clock whenever the guest reads it, which is clock=host.
    // clock=rt (a clock that host time changes do not move) and clock=vm (one that stops while
    // the VM is paused) would need a clock of their own.
    if (auto clock = kv.get("clock"); clock && *clock != "host") {
        if (*clock == "rt" || *clock == "vm")
            return arg.error("clock={}: the RTC follows the host's clock only (clock=host)", *clock);
        return arg.error("invalid clock '{}' (host, rt, vm)", *clock);
    }
    // driftfix=slew makes QEMU re-inject periodic RTC interrupts a guest missed (for Windows'
    // timekeeping). Vireo's RTC raises no periodic interrupt at all, so none can be missed:
    // slew is accepted and changes nothing.
    if (auto driftfix = kv.get("driftfix"); driftfix && *driftfix != "none" && *driftfix != "slew")
        return arg.error("invalid driftfix '{}' (none, slew)", *driftfix);
    return {};
}

// -msg timestamp=on|off[,guest-name=off]: vireo's own messages on stderr start with the time.
Result<void> Parser::on_msg(const Arg& arg)
{
    static constexpr std::array<std::string_view, 2> keys { "timestamp", "guest-name" };
    auto kv = TRY(parse_keyvals(arg, {}, keys));
    if (auto timestamp = TRY(get_bool(arg, kv, "timestamp")))
        m_result.config.process.log_timestamps = *timestamp;
    if (TRY(get_bool(arg, kv, "guest-name")).value_or(false))
        return arg.error("guest-name=on is not supported (messages do not name the guest)");
    return {};
}

// -overcommit mem-lock=on|off[,cpu-pm=off]
Result<void> Parser::on_overcommit(const Arg& arg)
{
    static constexpr std::array<std::string_view, 2> keys { "mem-lock", "cpu-pm" };
    auto kv = TRY(parse_keyvals(arg, {}, keys));
    if (kv.empty())
        return arg.error("mem-lock= or cpu-pm= expected");
    if (auto lock = TRY(get_bool(arg, kv, "mem-lock")))
        m_result.config.ram.lock = *lock;
    // cpu-pm=on lets the guest run HLT, MWAIT and PAUSE without an exit (KVM_CAP_X86_DISABLE_EXITS),
    // which vireo never asks KVM for.
    if (TRY(get_bool(arg, kv, "cpu-pm")).value_or(false))
        return arg.error("cpu-pm=on is not supported (guest idle instructions always exit to KVM)");
    return {};
}

// password-secret= names a -object secret given anywhere on the command line.
Result<void> Parser::finish_vnc()
{
    auto& config = m_result.config;
    if (!config.vnc || config.vnc->password_secret.empty())
        return {};
    const auto& id = config.vnc->password_secret;
    bool found = std::any_of(config.secrets.begin(), config.secrets.end(),
        [&](const SecretConfig& secret) { return secret.id == id; });
    if (!found)
        return make_error("-vnc {}: no secret object with id '{}'", printable(config.vnc->text), printable(id));
    return {};
}

} // namespace

Result<CommandLine> parse_command_line(std::span<const std::string> args)
{
    Parser parser;
    return parser.run(args);
}

} // namespace vireo
