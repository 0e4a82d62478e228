#pragma once
// The two legacy ways to reset a PC besides the i8042: the PIIX/ICH Reset Control Register
// at port 0xCF9 and System Control Port A (port 0x92, "fast reset" and the A20 gate).
#include <cstdint>
#include <functional>
#include <mutex>
#include <span>

#include "bus/bus_device.h"

namespace vireo {

// Reset Control Register (Intel PIIX3 datasheet, RC 0xCF9): bit 1 SYS_RST (hard vs soft),
// bit 2 RST_CPU (do it), bit 3 FULL_RST. Any write with RST_CPU set resets the machine
// (Linux's reboot=pci writes 0x02 then 0x06, or 0x0E).
//
// Port 0xCF9 lies inside 0xCF8-0xCFB, PCI configuration mechanism #1's CONFIG_ADDRESS. The
// PCI config-address device must claim 0xCF8 length 4 and pass 1-byte accesses at offset 1
// to write_value/read_value; use this object as a BusDevice only where nothing owns 0xCF8.
class ResetControl final : public BusDevice {
public:
    static constexpr uint64_t k_length = 1;

    // reset is called from a vCPU thread, without this object's lock.
    explicit ResetControl(std::function<void()> reset);

    // A guest byte write to 0xCF9; returns true if it requested (and called) a reset.
    bool write_value(uint8_t value);
    // A guest byte read of 0xCF9: the last value written (bits 3:1).
    uint8_t read_value() const;

    void reset();

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    std::function<void()> m_reset;
    mutable std::mutex m_lock;
    uint8_t m_value = 0;
};

// System Control Port A (port 0x92, 1 byte; IBM PS/2): bit 0 = fast reset (a write with it
// set resets the machine; it reads back 0), bit 1 = A20 gate (kept for read-back only: KVM
// does not mask A20).
class SystemControlPortA final : public BusDevice {
public:
    static constexpr uint64_t k_length = 1;

    explicit SystemControlPortA(std::function<void()> reset);

    void reset();

    void read(uint64_t offset, std::span<uint8_t> data) override;
    void write(uint64_t offset, std::span<const uint8_t> data) override;

private:
    std::function<void()> m_reset;
    std::mutex m_lock;
    uint8_t m_value = 0;
};

} // namespace vireo
