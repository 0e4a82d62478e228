#include "net/netdev.h"

#include <algorithm>

#include "config/vm_config.h"
#include "net/slirp_backend.h"
#include "net/tap.h"

namespace vireo {

Result<std::vector<std::unique_ptr<NetBackend>>> create_net_backends(EventLoop& loop, const NetdevConfig& config)
{
    std::vector<std::unique_ptr<NetBackend>> backends;
    if (config.type == "tap") {
        auto options = TRY(tap_options_from_config(config));
        for (auto& queue : TRY(TapBackend::open(loop, options)))
            backends.push_back(std::move(queue));
    } else if (config.type == "user") {
        auto options = TRY(slirp_options_from_config(config));
        backends.push_back(TRY(SlirpBackend::create(loop, options)));
    } else {
        return make_error("netdev {}: unsupported type '{}' (tap and user are)", config.id, config.type);
    }
    return backends;
}

bool wants_default_network(const VmConfig& config)
{
    return config.default_network && config.netdevs.empty();
}

bool uses_user_network(const VmConfig& config)
{
    return wants_default_network(config)
        || std::any_of(config.netdevs.begin(), config.netdevs.end(),
            [](const NetdevConfig& netdev) { return netdev.type == "user"; });
}

} // namespace vireo
