#pragma once
// The listening socket of a `-chardev socket,...,server=on` (also behind -qmp and -mon): the
// one reading of its options, for the virtio console's chardev and the monitors alike.
//   path=PATH           a Unix stream socket, created with mode 0600 (an old file is replaced)
//   host=H,port=P       TCP on an IPv4 address (host empty or "localhost": 127.0.0.1)
//   fd=N                a socket already listening, inherited from the parent (libvirt)
// The socket is non-blocking and close-on-exec.
#include <string>

#include "base/result.h"
#include "base/unique_fd.h"
#include "config/vm_config.h"

namespace vireo {

struct SocketListener {
    UniqueFd fd;
    std::string unlink_path; // the Unix socket's file, removed when the listener goes
    std::string description; // "unix:/run/vm.qmp,server=on", for messages and query-chardev
    bool wait = false;       // wait=on: the owner waits for a first client before the guest starts
};

[[nodiscard]] Result<SocketListener> open_socket_listener(const ChardevConfig& config);

// A Unix stream socket bound to path (a file left there before is replaced), non-blocking,
// close-on-exec, mode 0600 from the start; the caller listens on it.
[[nodiscard]] Result<UniqueFd> bind_unix_socket(const std::string& path);

} // namespace vireo
