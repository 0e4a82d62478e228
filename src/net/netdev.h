#pragma once
// Builds the back ends of one -netdev: a tap gives one NetBackend per queue (queues=N), user
// networking gives one. The result goes straight to VirtioNet::create().
#include <memory>
#include <vector>

#include "base/event_loop.h"
#include "net/net_backend.h"

namespace vireo {

struct NetdevConfig;
struct VmConfig;

[[nodiscard]] Result<std::vector<std::unique_ptr<NetBackend>>> create_net_backends(EventLoop& loop, const NetdevConfig& config);

// QEMU's default network (one NIC on user-mode networking): no network option was given.
[[nodiscard]] bool wants_default_network(const VmConfig& config);
// Whether a machine built from `config` may run libslirp: a -netdev user, or the default network.
[[nodiscard]] bool uses_user_network(const VmConfig& config);

} // namespace vireo
