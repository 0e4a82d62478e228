#pragma once
// Every thread vireo starts besides the main one goes through spawn_thread: it gets its name,
// runs its set-up, installs its kind's filter and only then runs its body.
//
// Under the sandbox, a thread does not come from its caller (the event loop, whose filter it
// would inherit and keep beneath its own) but from the spawner, a thread started by
// sandbox::prepare() before any filter, whose own filter allows only what creating a thread
// takes plus what its children may do (the vCPU, I/O worker and display lists). So the event
// loop's filter holds only the event loop's calls, and it cannot create threads at all.
#include <functional>
#include <string>
#include <thread>

#include "sandbox/syscall_rule.h"

namespace vireo::sandbox {

// Starts a thread of `kind` named `name` (at most 15 characters show): it runs `setup` under
// its creator's filter (for what must happen before its own, such as taking a signal), enters
// the filter of `kind`, then runs `body`. Throws std::system_error as std::thread does.
[[nodiscard]] std::thread spawn_thread(ThreadKind kind, const std::string& name, std::function<void()> body,
    std::function<void()> setup = {});

// Starts the spawner (sandbox::prepare does, with the sandbox on). Until then, and without the
// sandbox, threads are created by their caller.
void start_spawner();

} // namespace vireo::sandbox
