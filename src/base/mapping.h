#pragma once
// A move-only owner of an mmap()ed range.
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <utility>

#include "base/result.h"

namespace vireo {

class Mapping {
public:
    Mapping() = default;
    Mapping(void* address, size_t size)
        : m_address(address)
        , m_size(size)
    {
    }
    Mapping(Mapping&& other) noexcept
        : m_address(std::exchange(other.m_address, nullptr))
        , m_size(std::exchange(other.m_size, 0))
    {
    }
    Mapping& operator=(Mapping&& other) noexcept
    {
        if (this != &other) {
            unmap();
            m_address = std::exchange(other.m_address, nullptr);
            m_size = std::exchange(other.m_size, 0);
        }
        return *this;
    }
    Mapping(const Mapping&) = delete;
    Mapping& operator=(const Mapping&) = delete;
    ~Mapping() { unmap(); }

    // mmap(fd, offset) or anonymous memory when fd < 0.
    [[nodiscard]] static Result<Mapping> map(size_t size, int prot, int flags, int fd = -1, off_t offset = 0)
    {
        void* address = ::mmap(nullptr, size, prot, flags | (fd < 0 ? MAP_ANONYMOUS : 0), fd, offset);
        if (address == MAP_FAILED)
            return errno_error("mmap of {} bytes", size);
        return Mapping(address, size);
    }

    [[nodiscard]] uint8_t* data() const { return static_cast<uint8_t*>(m_address); }
    [[nodiscard]] size_t size() const { return m_size; }

private:
    void unmap()
    {
        if (m_address)
            ::munmap(m_address, m_size);
        m_address = nullptr;
        m_size = 0;
    }

    void* m_address = nullptr;
    size_t m_size = 0;
};

} // namespace vireo
