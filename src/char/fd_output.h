#pragma once
// Serial output back ends: an fd (stdout, or a file that the back end owns) or nothing.
#include "base/unique_fd.h"
#include "devices/legacy/serial_16550.h"

namespace vireo {

class FdSerialOutput final : public SerialOutput {
public:
    // Writes to fd without owning it (stdout).
    explicit FdSerialOutput(int fd)
        : m_fd(fd)
    {
    }
    // Writes to an fd it owns (a file).
    explicit FdSerialOutput(UniqueFd owned)
        : m_fd(owned.get())
        , m_owned(std::move(owned))
    {
    }
    void write(std::span<const uint8_t> bytes) override;

private:
    int m_fd;
    UniqueFd m_owned;
};

class NullSerialOutput final : public SerialOutput {
public:
    void write(std::span<const uint8_t>) override { }
};

} // namespace vireo
