#pragma once
// The builder: the thread that makes and unmakes machines (at start, at every reset, at exit) and
// opens a monitor's new media, so that the event loop's filter need not allow what that takes
// (opening files, guest RAM, KVM's set-up ioctls, io_uring rings, listening sockets). The loop
// hands it a job and waits, as if it had run the job itself: nothing else runs meanwhile.
// The guest has no way to give it data; it acts on the configuration and on monitor commands.
#include <functional>

namespace vireo::sandbox {

// Runs `job` on the builder and waits for it (what it throws is thrown here). Without the
// sandbox, or before start_builder, runs it on the calling thread.
void run_on_builder(const std::function<void()>& job);

// Starts the builder under its filter (sandbox::prepare does, with the sandbox on).
void start_builder();

} // namespace vireo::sandbox
