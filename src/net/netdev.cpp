#include "net/netdev.h"

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

} // namespace vireo
