#pragma once
// The exit profiler's report as the monitor shows it: x-vireo-query-exits's JSON (and its
// schema type, for query-qmp-schema) and info exits's table. docs/ARCHITECTURE.md, "The exit
// profiler", describes both.
#include <string>

#include "monitor/qmp_json.h"
#include "monitor/qmp_schema.h"
#include "profile/exit_report.h"

namespace vireo {

[[nodiscard]] Json exit_profile_json(const ExitProfileReport& report);
[[nodiscard]] TypeRef exit_profile_type();
// Lines end with CRLF, as the human monitor's.
[[nodiscard]] std::string exit_profile_text(const ExitProfileReport& report);
// "950 ns", "12.3 us", "4.56 ms", "7.89 s"
[[nodiscard]] std::string format_duration_ns(uint64_t ns);

} // namespace vireo
