#pragma once
// Result<T>: a value or an Error carrying errno and a one-line context message.
#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <utility>

#include <fmt/core.h>

namespace vireo {

struct Error {
    int code = 0;          // errno value, 0 when not from a system call
    std::string message;   // one line, names what failed

    [[nodiscard]] std::string describe() const
    {
        if (code == 0)
            return message;
        return fmt::format("{}: {}", message, std::strerror(code));
    }
};

template<typename T>
using Result = std::expected<T, Error>;

// An error without errno: make_error("bad value {}", x)
template<typename... Args>
[[nodiscard]] std::unexpected<Error> make_error(fmt::format_string<Args...> format, Args&&... args)
{
    return std::unexpected(Error { 0, fmt::format(format, std::forward<Args>(args)...) });
}

// An error from the current errno: errno_error("open {}", path)
template<typename... Args>
[[nodiscard]] std::unexpected<Error> errno_error(fmt::format_string<Args...> format, Args&&... args)
{
    int saved = errno;
    return std::unexpected(Error { saved, fmt::format(format, std::forward<Args>(args)...) });
}

namespace detail {
template<typename T>
T take_value(Result<T>&& result) { return std::move(*result); }
inline void take_value(Result<void>&&) { }
} // namespace detail

} // namespace vireo

// TRY(expr): evaluate a Result; on error return it from the enclosing function, else yield the value.
#define TRY(expr)                                              \
    ({                                                         \
        auto _try_result = (expr);                             \
        if (!_try_result) [[unlikely]]                         \
            return std::unexpected(std::move(_try_result.error())); \
        ::vireo::detail::take_value(std::move(_try_result));   \
    })
