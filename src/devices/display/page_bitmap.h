#pragma once
// One bit per 4 KiB page of video memory: what changed since the last refresh. The same layout
// as KVM's dirty log (bit n of word n / 64), so the two are merged with one OR.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vireo {

class PageBitmap {
public:
    static constexpr uint64_t k_page_size = 4096;

    explicit PageBitmap(uint64_t bytes = 0)
        : m_pages((bytes + k_page_size - 1) / k_page_size)
        , m_words((m_pages + 63) / 64, 0)
    {
    }
    [[nodiscard]] uint64_t pages() const { return m_pages; }
    [[nodiscard]] std::span<uint64_t> words() { return m_words; }

    void mark_page(uint64_t page)
    {
        if (page < m_pages)
            m_words[page / 64] |= uint64_t { 1 } << (page % 64);
    }
    // Marks every page touched by [offset, offset + length).
    void mark(uint64_t offset, uint64_t length)
    {
        if (length == 0)
            return;
        uint64_t last = (offset + length - 1) / k_page_size;
        for (uint64_t page = offset / k_page_size; page <= last && page < m_pages; ++page)
            mark_page(page);
    }
    void mark_all()
    {
        for (uint64_t page = 0; page < m_pages; ++page)
            mark_page(page);
    }
    [[nodiscard]] bool test(uint64_t page) const
    {
        return page < m_pages && (m_words[page / 64] >> (page % 64)) & 1;
    }
    // Whether any page of [offset, offset + length) is marked.
    [[nodiscard]] bool any_in(uint64_t offset, uint64_t length) const
    {
        if (length == 0)
            return false;
        uint64_t last = (offset + length - 1) / k_page_size;
        for (uint64_t page = offset / k_page_size; page <= last && page < m_pages; ++page) {
            if (test(page))
                return true;
        }
        return false;
    }
    [[nodiscard]] bool any() const
    {
        return std::ranges::any_of(m_words, [](uint64_t word) { return word != 0; });
    }
    void merge(std::span<const uint64_t> other)
    {
        for (size_t i = 0; i < m_words.size() && i < other.size(); ++i)
            m_words[i] |= other[i];
    }
    void clear() { std::ranges::fill(m_words, 0); }

private:
    uint64_t m_pages;
    std::vector<uint64_t> m_words;
};

} // namespace vireo
