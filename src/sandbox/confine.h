#pragma once
// What vireo gives up once the first machine is built and before the guest runs: -chroot,
// -runas, core dumps, and the event-loop thread's seccomp filter (sandbox.h).
#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "config/vm_config.h"

namespace vireo::sandbox {

// The identity -runas names, looked up at startup (a chroot may hide /etc/passwd and /etc/group).
struct RunAs {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups; // supplementary groups: the user's (by name), or just gid
};

// "USER" (a user name: its uid, primary gid and groups) or "UID[:GID]" (numeric; GID defaults to
// UID). Nothing when -runas is not given.
[[nodiscard]] Result<std::optional<RunAs>> resolve_run_as(const std::string& spec);

// In order: chroot to the directory (and cd /), drop to the user (groups, gid, uid; and checks
// that root cannot be regained), turn core dumps off unless asked for, run last_step (what the
// process does as itself for the last time: -daemonize's hand-over), then the calling thread
// (the event loop's) enters its filter.
[[nodiscard]] Result<void> confine_process(const ContainmentConfig& containment, const std::optional<RunAs>& run_as,
    const std::function<Result<void>()>& last_step = {});

} // namespace vireo::sandbox
