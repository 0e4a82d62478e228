#pragma once
// The JSON value type of the monitor, and QMP's error classes (qmp-spec "Error"; QEMU 7.2's
// QapiErrorClass). Objects keep their members in insertion order, so replies read as QEMU's.
#include <expected>
#include <string>
#include <string_view>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace vireo {

using Json = nlohmann::ordered_json;

enum class QmpErrorClass { GenericError, CommandNotFound, DeviceNotActive, DeviceNotFound, KVMMissingCap };

[[nodiscard]] constexpr std::string_view error_class_name(QmpErrorClass error_class)
{
    switch (error_class) {
    case QmpErrorClass::GenericError:
        return "GenericError";
    case QmpErrorClass::CommandNotFound:
        return "CommandNotFound";
    case QmpErrorClass::DeviceNotActive:
        return "DeviceNotActive";
    case QmpErrorClass::DeviceNotFound:
        return "DeviceNotFound";
    case QmpErrorClass::KVMMissingCap:
        return "KVMMissingCap";
    }
    return "GenericError";
}

struct QmpError {
    QmpErrorClass error_class = QmpErrorClass::GenericError;
    std::string desc;
};

// A command's result: its "return" value, or the error of its reply.
using QmpResult = std::expected<Json, QmpError>;

template<typename... Args>
[[nodiscard]] std::unexpected<QmpError> qmp_error(QmpErrorClass error_class, fmt::format_string<Args...> format,
    Args&&... args)
{
    return std::unexpected(QmpError { error_class, fmt::format(format, std::forward<Args>(args)...) });
}

// One line of JSON (or indented, for pretty=on), never throwing: bytes that are not UTF-8
// (which a parsed request cannot hold, but a guest-supplied name might) become U+FFFD.
[[nodiscard]] inline std::string to_json_text(const Json& value, bool pretty = false)
{
    return value.dump(pretty ? 4 : -1, ' ', false, Json::error_handler_t::replace);
}

} // namespace vireo
