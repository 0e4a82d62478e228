#pragma once
// Scan code sets of an AT keyboard behind an 8042: the keyboard speaks set 2 (or 1 when asked),
// and the controller, with the command byte's translate bit (the PC default), turns set 2 into
// set 1 for the CPU ("Keyboard Scan Code Specification", Microsoft, rev. 1.3a, appendix).
#include <cstdint>
#include <vector>

#include "devices/legacy/ps2_input.h"

namespace vireo::ps2 {

// The bytes a keyboard sends for `key` in scan code set `set` (1, or 2; 3 is sent as 2);
// empty for a key the set has no code for.
[[nodiscard]] std::vector<uint8_t> key_bytes(PcKey key, bool down, uint8_t set);
// The 8042's translation of keyboard bytes (set 2) into set 1: F0 (break) sets bit 7 of the
// next code, E0/E1 pass unchanged.
[[nodiscard]] std::vector<uint8_t> translate_to_set1(const std::vector<uint8_t>& set2);

} // namespace vireo::ps2
