#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

/// RFC 3339 timestamps as the Kubernetes and Datadog APIs write them.
namespace kfix {

/// Parses an RFC 3339 / ISO-8601 timestamp ("2026-03-14T10:02:11Z",
/// fractions and offsets allowed) into epoch milliseconds.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

/// Formats epoch milliseconds as "2026-03-14T10:02:11.000Z".
std::string format_rfc3339_ms(int64_t ms);

/// Formats epoch seconds as "2026-03-14T10:02:11Z".
std::string format_rfc3339_s(int64_t seconds);

} // namespace kfix
