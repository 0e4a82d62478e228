#include "devices/legacy/reset_control.h"

#include <algorithm>

namespace vireo {

namespace {

constexpr uint8_t k_rcr_cpu_reset = 0x04;
constexpr uint8_t k_rcr_mask = 0x0e; // SYS_RST, RST_CPU, FULL_RST; the rest reserved

constexpr uint8_t k_port_a_fast_reset = 0x01;
constexpr uint8_t k_port_a_a20 = 0x02;

} // namespace

ResetControl::ResetControl(std::function<void()> reset)
    : m_reset(std::move(reset))
{
}

bool ResetControl::write_value(uint8_t value)
{
    {
        std::lock_guard guard(m_lock);
        m_value = value & k_rcr_mask;
    }
    if (!(value & k_rcr_cpu_reset))
        return false;
    if (m_reset)
        m_reset();
    return true;
}

uint8_t ResetControl::read_value() const
{
    std::lock_guard guard(m_lock);
    return m_value;
}

void ResetControl::reset()
{
    std::lock_guard guard(m_lock);
    m_value = 0;
}

void ResetControl::read(uint64_t offset, std::span<uint8_t> data)
{
    std::ranges::fill(data, 0xff);
    if (offset == 0 && !data.empty())
        data[0] = read_value();
}

void ResetControl::write(uint64_t offset, std::span<const uint8_t> data)
{
    if (offset == 0 && !data.empty())
        write_value(data[0]);
}

SystemControlPortA::SystemControlPortA(std::function<void()> reset)
    : m_reset(std::move(reset))
{
    m_value = k_port_a_a20;
}

void SystemControlPortA::reset()
{
    std::lock_guard guard(m_lock);
    m_value = k_port_a_a20;
}

void SystemControlPortA::read(uint64_t offset, std::span<uint8_t> data)
{
    std::ranges::fill(data, 0xff);
    if (offset == 0 && !data.empty()) {
        std::lock_guard guard(m_lock);
        data[0] = m_value;
    }
}

void SystemControlPortA::write(uint64_t offset, std::span<const uint8_t> data)
{
    if (offset != 0 || data.empty())
        return;
    {
        std::lock_guard guard(m_lock);
        m_value = data[0] & static_cast<uint8_t>(~k_port_a_fast_reset);
    }
    if ((data[0] & k_port_a_fast_reset) && m_reset)
        m_reset();
}

} // namespace vireo
