#pragma once
// The plain configuration of a virtual machine: the option parser (cli/) and the monitor build it;
// the machine, devices and back ends only read it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vireo {

enum class SerialBackend { Stdio, MonStdio, File, Null, None };

struct SerialConfig {
    SerialBackend backend = SerialBackend::Stdio;
    std::string path; // File
};

struct SmpConfig {
    uint32_t cpus = 1;
    uint32_t sockets = 1;
    uint32_t cores = 1;
    uint32_t threads = 1;
    uint32_t max_cpus = 1;
};

enum class DriveInterface { Virtio, Ide, None };
enum class DriveMedia { Disk, Cdrom };
enum class CacheMode { Writeback, None, Writethrough, Unsafe, DirectSync };
enum class AioMode { Threads, Native, IoUring };

// -drive / -hda: a disk image and how it is attached.
struct DriveConfig {
    std::string file;
    std::string format;      // "raw", "qcow2", or empty: probe from the file's magic
    DriveInterface interface = DriveInterface::Ide;
    std::string id;          // set for if=none (and generated otherwise)
    bool id_given = false;   // id= was on the command line (QEMU then names the drive by it)
    int index = -1;
    DriveMedia media = DriveMedia::Disk;
    int bootindex = -1;      // firmware boot priority (lowest first); -1: none
    bool read_only = false;
    bool snapshot = false;
    CacheMode cache = CacheMode::Writeback;
    AioMode aio = AioMode::Threads;
    bool discard = false;    // discard=unmap
};

// -netdev / -net / -nic back ends.
struct NetdevConfig {
    std::string type;        // "tap" or "user"
    std::string id;
    std::string ifname;      // tap
    int fd = -1;             // tap: a pre-opened fd
    uint32_t queues = 1;
    bool vnet_hdr = true;
    std::vector<std::string> hostfwd; // user: "tcp:127.0.0.1:2222-:22"
    std::map<std::string, std::string> options; // the rest (net=, host=, dns=, ...)
};

// -device DRIVER,key=value,...
struct DeviceConfig {
    std::string driver;      // "virtio-blk-pci", "virtio-net-pci", "virtio-rng-pci", ...
    std::string id;
    std::map<std::string, std::string> properties;
};

// -chardev BACKEND,id=ID,...
struct ChardevConfig {
    std::string backend;     // "stdio", "file", "socket", "null", "pty"
    std::string id;
    std::map<std::string, std::string> options;
};

// -boot: what the firmware boots from and how it asks.
struct BootConfig {
    std::string order;             // drive letters (c: disk, d: CD-ROM, n: network); empty: firmware's own
    std::string once;              // the same for the first boot only
    bool menu = false;             // the firmware's boot menu (F12 / ESC)
    uint32_t splash_time_ms = 0;   // how long the menu prompt waits (0: the firmware's default)
    int32_t reboot_timeout_ms = -1; // after a failed boot, retry after this long (-1: never)
    bool strict = false;           // boot only from the listed devices
};

// -qmp, -monitor, or -mon chardev=ID: a monitor, QMP (control) or human (readline), on a
// listening socket or (human only) on stdio. The socket is a ChardevConfig of back end "socket"
// with server=on and path= (Unix), host=/port= (TCP) or fd= (a socket already listening,
// inherited: libvirt's way); wait=on makes vireo wait for a first client before the guest
// starts. -qmp and -monitor make one with id "compat_monitor<N>".
enum class MonitorMode { Control, Readline };

struct MonitorConfig {
    ChardevConfig chardev;
    MonitorMode mode = MonitorMode::Control;
    bool pretty = false;
};

// -smbios type=0,... and type=1,...: the fields given (vendor=, version=, date=, release=, uefi=
// for type 0; manufacturer=, product=, version=, serial=, uuid=, sku=, family= for type 1).
struct SmbiosFieldsConfig {
    std::map<std::string, std::string> bios;   // type 0
    std::map<std::string, std::string> system; // type 1
};

// -vga: the machine's VGA. Default: what the machine type does when -vga is not given (for now
// no VGA; QEMU's pc has a std VGA then, see docs/ARCHITECTURE.md "Display").
enum class VgaType { Default, None, Std };

// -sandbox: the seccomp filters (on unless -sandbox off). The sub-options are QEMU's; what each
// means in vireo is in README.md ("The sandbox").
enum class SandboxSetting { Allow, Deny, Children };

// On by default; sanitizer builds leave it off unless -sandbox on asks (LeakSanitizer's check at
// exit does not finish under the filters: README.md, "The sandbox").
#ifdef VIREO_SANITIZER_BUILD
inline constexpr bool k_sandbox_by_default = false;
#else
inline constexpr bool k_sandbox_by_default = true;
#endif

struct SandboxConfig {
    bool enabled = k_sandbox_by_default;
    SandboxSetting obsolete = SandboxSetting::Deny;
    SandboxSetting elevate_privileges = SandboxSetting::Deny;
    SandboxSetting spawn = SandboxSetting::Deny;
    SandboxSetting resource_control = SandboxSetting::Allow; // deny: the loop's SCHED_BATCH is refused
    // Not an option: whether the machine has user-mode networking (a -netdev user, or QEMU's
    // default network), whose host sockets the event loop then makes (uses_user_network).
    bool user_network = false;
};

// What the process gives up once the first machine is built: -runas, -chroot, core dumps.
struct ContainmentConfig {
    std::string run_as;      // -runas USER (a name, or UID[:GID])
    std::string chroot_dir;  // -chroot DIR
    bool core_dumps = false; // -machine dump-guest-core=on: leave core dumps as the environment sets them
};

// -vnc: where the VNC server listens and how clients get in. QEMU's forms: [HOST]:N (TCP port
// 5900+N; an empty host is every address), unix:PATH, and "none" (no server: no VncConfig).
enum class VncShare { AllowExclusive, ForceShared, Ignore };

struct VncConfig {
    std::string host;                       // TCP: empty = every address (IPv4 and IPv6)
    uint32_t display = 0;                   // TCP: port 5900 + display
    std::string unix_path;                  // unix:PATH instead of TCP
    std::optional<uint16_t> websocket_port; // websocket=PORT: a WebSocket listener as well (noVNC)
    bool password = false;                  // password=on: VNC authentication, password set over QMP
    std::string password_secret;            // password-secret=ID: VNC authentication with a -object secret
    VncShare share = VncShare::AllowExclusive;
    std::string text;                       // the option as given, for messages
};

// -object secret,id=ID,data=TEXT|file=PATH
struct SecretConfig {
    std::string id;
    std::string data;
    std::string file;
};

// -daemonize, -pidfile and -msg: how the process runs, not the machine.
struct ProcessConfig {
    bool daemonize = false;      // the parent returns once the VM is ready; stdio goes to /dev/null
    std::string pid_file;        // locked, holds the pid, removed at exit
    bool log_timestamps = false; // -msg timestamp=on: vireo's own log lines start with the UTC time
};

// -rtc base=: what the CMOS clock shows when the machine starts. It then follows the host's
// clock (clock=host, the only kind vireo has).
enum class RtcBase { Utc, LocalTime, Date };

struct RtcConfig {
    RtcBase base = RtcBase::Utc;
    // base=DATE: the guest's clock minus the host's UTC clock, fixed when the command line was
    // read (as QEMU fixes it), so that a reset does not take the clock back to DATE.
    int64_t date_offset_seconds = 0;
};

// How the host keeps guest RAM.
struct GuestRamConfig {
    bool lock = false; // -overcommit mem-lock=on: locked in host RAM (mlock), never swapped
    bool merge = true; // -machine mem-merge= (QEMU's default on): KSM may merge identical pages
};

struct VmConfig {
    std::string name;
    std::string uuid;                     // -uuid, lower case; empty: none given
    std::string machine = "pc";           // "pc" (QEMU's pc-i440fx-X.Y too) or "none" (no machine)
    std::string accel = "kvm";
    std::string cpu = "host";
    uint64_t memory_bytes = 128ULL << 20; // QEMU's default
    GuestRamConfig ram;
    SmpConfig smp;
    std::string bios;                     // -bios: firmware image (empty: SeaBIOS, when no -kernel)
    std::string kernel;
    std::string initrd;
    std::string append;
    std::vector<SerialConfig> serials;    // empty: the default (stdio under -nographic, else none)
    std::optional<SerialConfig> debugcon; // -debugcon: the firmware's debug port 0x402
    BootConfig boot;
    RtcConfig rtc;
    SmbiosFieldsConfig smbios;
    bool nographic = false;
    bool display_none = false;
    VgaType vga = VgaType::Default;       // -vga std|none (-device VGA adds one as well)
    std::optional<VncConfig> vnc;         // -vnc (absent: no VNC server, also for -vnc none)
    std::string keymap = "en-us";         // -k: how VNC keysyms become scan codes
    std::vector<SecretConfig> secrets;    // -object secret
    bool no_reboot = false;
    bool no_shutdown = false;             // -no-shutdown: a guest power-off stops the VM instead
    bool nodefaults = false;              // -nodefaults: no default NIC, serial port or CD-ROM drive
    bool start_paused = false;            // -S: vCPUs held before their first instruction until cont
    // The exit profiler (x-vireo-query-exits): always on; off only to measure its own cost
    // (VIREO_EXIT_PROFILER=off in the environment, bench/qmp_bench.sh).
    bool exit_profiler = true;
    std::vector<MonitorConfig> monitors;
    // The human monitor QEMU adds on its own: under -nographic, muxed with the serial console
    // on stdio (Ctrl-A c). Any -monitor, and -nodefaults, remove it.
    bool default_monitor = true;
    std::vector<DriveConfig> drives;
    std::vector<NetdevConfig> netdevs;
    std::vector<DeviceConfig> devices;
    std::vector<ChardevConfig> chardevs;
    SandboxConfig sandbox;
    ContainmentConfig containment;
    ProcessConfig process;
    // QEMU adds a user-mode NIC when the command line names no network at all; this is false
    // as soon as any -net, -nic or -netdev option (including "-net none" / "-nic none") is given.
    bool default_network = true;
};

} // namespace vireo
