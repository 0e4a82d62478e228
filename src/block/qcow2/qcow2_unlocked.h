#pragma once
// Drops a held lock for the scope of a blocking call, then takes it again (null: no lock).
#include <mutex>

namespace vireo::qcow2 {

class Unlocked {
public:
    explicit Unlocked(std::mutex* lock)
        : m_lock(lock)
    {
        if (m_lock)
            m_lock->unlock();
    }
    ~Unlocked()
    {
        if (m_lock)
            m_lock->lock();
    }
    Unlocked(const Unlocked&) = delete;
    Unlocked& operator=(const Unlocked&) = delete;

private:
    std::mutex* m_lock;
};

} // namespace vireo::qcow2
