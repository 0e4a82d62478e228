#pragma once
// Character back ends from -chardev, for devices other than the UART (virtconsole):
// bytes out (write) and bytes in (delivered to a sink set by the device).
// file: output to a file; null: nothing; stdio: output to stdout;
// socket: a Unix-domain stream socket (path=, server=on) or TCP listener on loopback (host=, port=)
// that takes one client at a time, in both directions.
#include <functional>
#include <memory>
#include <span>

#include "base/event_loop.h"
#include "base/result.h"
#include "config/vm_config.h"
#include "devices/virtio/console/console_backend.h"

namespace vireo {

class Chardev : public ConsoleBackend {
public:
    using InputSink = std::function<void(std::span<const uint8_t>)>;
    // Where bytes from the outside go (set once, before the loop runs).
    virtual void set_input_sink(InputSink sink) { m_sink = std::move(sink); }

protected:
    InputSink m_sink;
};

[[nodiscard]] Result<std::shared_ptr<Chardev>> create_chardev(EventLoop& loop, const ChardevConfig& config);

} // namespace vireo
