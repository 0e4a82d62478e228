#include "sandbox/confine.h"

#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>

#include "sandbox/sandbox.h"

namespace vireo::sandbox {

namespace {

template<typename T>
std::optional<T> parse_id(std::string_view text)
{
    T value {};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

} // namespace

Result<std::optional<RunAs>> resolve_run_as(const std::string& spec)
{
    if (spec.empty())
        return std::optional<RunAs> {};
    auto colon = spec.find(':');
    auto uid = parse_id<uid_t>(std::string_view(spec).substr(0, colon));
    if (uid) {
        RunAs run_as { *uid, static_cast<gid_t>(*uid), {} };
        if (colon != std::string::npos) {
            auto gid = parse_id<gid_t>(std::string_view(spec).substr(colon + 1));
            if (!gid)
                return make_error("-runas {}: bad group id", spec);
            run_as.gid = *gid;
        }
        run_as.groups = { run_as.gid };
        return std::optional(run_as);
    }
    errno = 0;
    const passwd* user = ::getpwnam(spec.c_str());
    if (!user)
        return errno ? errno_error("-runas {}", spec) : make_error("-runas {}: no such user", spec);
    RunAs run_as { user->pw_uid, user->pw_gid, {} };
    int count = 32;
    for (;;) {
        run_as.groups.resize(static_cast<size_t>(count));
        int wanted = count;
        if (::getgrouplist(spec.c_str(), user->pw_gid, run_as.groups.data(), &wanted) >= 0) {
            run_as.groups.resize(static_cast<size_t>(wanted));
            break;
        }
        if (wanted <= count)
            return make_error("-runas {}: cannot list its groups", spec);
        count = wanted;
    }
    return std::optional(run_as);
}

Result<void> confine_process(const ContainmentConfig& containment, const std::optional<RunAs>& run_as,
    const std::function<Result<void>()>& last_step)
{
    if (!containment.chroot_dir.empty()) {
        if (::chroot(containment.chroot_dir.c_str()) < 0)
            return errno_error("-chroot {}", containment.chroot_dir);
        if (::chdir("/") < 0)
            return errno_error("-chroot {}: chdir /", containment.chroot_dir);
    }
    if (run_as) {
        // Groups first: once the uid is dropped, they could not be changed.
        if (::setgroups(run_as->groups.size(), run_as->groups.data()) < 0)
            return errno_error("-runas: setgroups");
        if (::setgid(run_as->gid) < 0)
            return errno_error("-runas: setgid {}", run_as->gid);
        if (::setuid(run_as->uid) < 0)
            return errno_error("-runas: setuid {}", run_as->uid);
        if (run_as->uid != 0 && ::setuid(0) == 0)
            return make_error("-runas: root could be regained after dropping to uid {}", run_as->uid);
    }
    // vireo never executes another program; should anything try, it gains no privilege by it
    // (the sandbox sets this too, for its filters).
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return errno_error("PR_SET_NO_NEW_PRIVS");
    // A core dump would hold the VMM's heap (guest data in flight, disk buffers); guest RAM is
    // MADV_DONTDUMP anyway. Not dumpable also keeps other processes of the user from ptrace.
    if (!containment.core_dumps) {
        rlimit none { 0, 0 };
        if (::setrlimit(RLIMIT_CORE, &none) < 0)
            return errno_error("RLIMIT_CORE");
        if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
            return errno_error("PR_SET_DUMPABLE");
    }
    if (last_step)
        TRY(last_step());
    return enter(ThreadKind::EventLoop);
}

} // namespace vireo::sandbox
