#pragma once
// Builds the back ends of one -netdev: a tap gives one NetBackend per queue (queues=N), user
// networking gives one. The result goes straight to VirtioNet::create().
#include <memory>
#include <vector>

#include "base/event_loop.h"
#include "net/net_backend.h"

namespace vireo {

struct NetdevConfig;

[[nodiscard]] Result<std::vector<std::unique_ptr<NetBackend>>> create_net_backends(EventLoop& loop, const NetdevConfig& config);

} // namespace vireo
