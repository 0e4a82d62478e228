#pragma once
// A small LRU cache of metadata clusters (L2 tables, refcount blocks), keyed by file offset.
// Write-through: callers write changed entries to the file at once, so eviction never writes.
// Tables are shared_ptr so a caller may keep using one that was evicted meanwhile.
#include <cstdint>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

namespace vireo::qcow2 {

template<typename T>
class TableCache {
public:
    using Table = std::shared_ptr<std::vector<T>>;

    explicit TableCache(size_t capacity)
        : m_capacity(capacity == 0 ? 1 : capacity)
    {
    }

    [[nodiscard]] Table find(uint64_t offset)
    {
        auto it = m_index.find(offset);
        if (it == m_index.end())
            return nullptr;
        m_lru.splice(m_lru.begin(), m_lru, it->second); // most recently used first
        return it->second->second;
    }

    void insert(uint64_t offset, Table table)
    {
        erase(offset);
        m_lru.emplace_front(offset, std::move(table));
        m_index[offset] = m_lru.begin();
        while (m_lru.size() > m_capacity) {
            m_index.erase(m_lru.back().first);
            m_lru.pop_back();
        }
    }

    void erase(uint64_t offset)
    {
        auto it = m_index.find(offset);
        if (it == m_index.end())
            return;
        m_lru.erase(it->second);
        m_index.erase(it);
    }

    [[nodiscard]] size_t size() const { return m_lru.size(); }

private:
    size_t m_capacity;
    std::list<std::pair<uint64_t, Table>> m_lru;
    std::unordered_map<uint64_t, typename std::list<std::pair<uint64_t, Table>>::iterator> m_index;
};

} // namespace vireo::qcow2
