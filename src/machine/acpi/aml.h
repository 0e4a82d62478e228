#pragma once
// A tiny AML encoder for the DSDT (ACPI 6.4 §20, "ACPI Machine Language Specification"): each
// function returns the encoded bytes of one term, so a namespace is built by nesting calls.
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace vireo::aml {

using Bytes = std::vector<uint8_t>;

// Concatenates terms into one term list.
[[nodiscard]] Bytes terms(std::initializer_list<Bytes> list);
[[nodiscard]] Bytes terms(std::span<const Bytes> list);

// PkgLength for a body of `body_size` bytes (the encoding counts its own bytes, §20.2.4).
[[nodiscard]] Bytes pkg_length(size_t body_size);

// NameString from a path like "\\_SB.PCI0", "_HID" or "^COM1"; segments shorter than four
// characters are padded with '_'.
[[nodiscard]] Bytes name_string(std::string_view path);

[[nodiscard]] Bytes integer(uint64_t value); // the shortest of Zero/One/Byte/Word/DWord/QWord
[[nodiscard]] Bytes string(std::string_view text);
[[nodiscard]] Bytes eisa_id(std::string_view id); // "PNP0A03" -> its compressed DWord
[[nodiscard]] Bytes buffer(std::span<const uint8_t> data);
[[nodiscard]] Bytes package(std::initializer_list<Bytes> elements);
[[nodiscard]] Bytes package(std::span<const Bytes> elements);

[[nodiscard]] Bytes name(std::string_view path, const Bytes& object);
[[nodiscard]] Bytes scope(std::string_view path, const Bytes& body);
[[nodiscard]] Bytes device(std::string_view path, const Bytes& body);
[[nodiscard]] Bytes method(std::string_view path, uint8_t arg_count, const Bytes& body);
[[nodiscard]] Bytes return_value(const Bytes& value);

// Resource descriptors for _CRS (ACPI 6.4 §6.4), finished by an End Tag into a buffer.
class ResourceTemplate {
public:
    void io(uint16_t min, uint16_t max, uint8_t alignment, uint8_t length); // I/O Port Descriptor, 16-bit decode
    void irq(uint8_t irq);                                                  // IRQNoFlags: edge, active high
    void word_bus_number(uint16_t min, uint16_t max);
    void word_io(uint16_t min, uint16_t max);                      // bridge I/O window
    void dword_memory(uint32_t min, uint32_t max, bool cacheable);  // bridge memory window
    void qword_memory(uint64_t min, uint64_t max, bool cacheable);

    // The descriptors plus End Tag as an AML Buffer object.
    [[nodiscard]] Bytes buffer() const;

private:
    Bytes m_bytes;
};

} // namespace vireo::aml
