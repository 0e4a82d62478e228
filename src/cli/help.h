#pragma once
// The texts behind -help and -version.
#include <string>

namespace vireo {

// Usage and the supported options, QEMU-style; ends with a newline.
[[nodiscard]] std::string help_text();

// "vireo version X.Y.Z, QEMU-compatible options"; ends with a newline.
[[nodiscard]] std::string version_text();

} // namespace vireo
