#pragma once
// QEMU-compatible command-line parsing into a VmConfig.
//
// Options take one or two dashes ("-enable-kvm" or "--enable-kvm"). A bare argument that is not
// an option is a disk image, as in QEMU ("vireo disk.img" is "-hda disk.img"). Options are taken
// in order; -h/-help/--help and -version stop the parse at once (errors before them still count).
// Every error is one line, the text after "vireo: ", shaped "-OPTION ARG: what is wrong",
// for example "-m 0: memory size must be positive" or "-vnc: unsupported option".
//
// Networking:
// - -netdev TYPE,id=ID,... gives a NetdevConfig; a NIC for it comes from -device.
// - -nic TYPE,...[,model=virtio][,mac=M][,id=ID] gives a NetdevConfig and a DeviceConfig
//   {virtio-net-pci, netdev=ID[, mac=M]}.
// - -net nic / -net tap|user (the old syntax): in QEMU every such option joins a hub (hub 0, or
//   vlan=N). Vireo has no hub, so each hub may hold at most one NIC and one back end: the NIC
//   is paired with the back end of its hub (netdev=ID); a NIC alone gets no netdev property,
//   a back end alone is kept without NIC; a second NIC or back end on one hub is an error.
//   "-net nic,netdev=ID" pairs directly with that netdev and joins no hub.
//   Back ends without id=/name= get generated ids "net0", "net1", ... not used by anyone else.
// - Devices made by -nic and -net follow those of -device in VmConfig::devices.
// - VmConfig::default_network is false once any -net, -nic or -netdev option is seen.
#include <span>
#include <string>

#include "base/result.h"
#include "config/vm_config.h"

namespace vireo {

struct CommandLine {
    enum class Action { Run, Help, Version };
    Action action = Action::Run;
    VmConfig config;
};

// Parses the arguments that follow argv[0].
[[nodiscard]] Result<CommandLine> parse_command_line(std::span<const std::string> args);

} // namespace vireo
