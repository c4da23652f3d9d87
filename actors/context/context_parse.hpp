#pragma once

/// The context parsers and request builders: Kubernetes objects
/// (k8s_objects.hpp), Datadog metrics (metric_summary.hpp), and here the
/// Datadog logs, error bodies and request shapes.

#include "actors/common/http.hpp"
#include "actors/common/time_text.hpp"
#include "actors/context/context_merge.hpp"
#include "actors/context/k8s_objects.hpp"
#include "actors/context/metric_summary.hpp"
#include "config/config.hpp"
#include "messages/context.hpp"
#include "messages/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kfix::context {

// -- Datadog logs and errors -------------------------------------------------

/// One page of a Logs Search v2 answer.
struct logs_page {
  std::vector<log_record> records;
  /// `meta.page.after`; empty on the last page.
  std::string next_cursor;
  /// `meta.status` was `timeout`: the server returned partial results.
  bool server_partial = false;
  /// `meta.warnings[].title`.
  std::vector<std::string> warnings;
};

/// Parses a Logs Search v2 page, keeping at most `max_records` records.
/// Messages are redacted and truncated (log_redaction) before they are kept.
[[nodiscard]] caf::expected<logs_page>
parse_logs_page(std::string_view json,
                size_t max_records = std::numeric_limits<size_t>::max());

/// The messages of a Datadog error body: `errors[]` elements as strings or
/// objects (`title: detail`), or the `error` string of a v1 query. An error
/// when the body is not JSON (429 bodies may be HTML).
[[nodiscard]] caf::expected<std::vector<std::string>>
parse_datadog_errors(std::string_view json);

/// "HTTP 429: <errors joined by '; '>", or the start of the body.
std::string datadog_error_message(int http_status, std::string_view body);

/// What Datadog's `X-RateLimit-*` headers (lower-case names) say, for the
/// report of a 429: "rate limit logs_query: 0 of 300 left per 3600 s, resets
/// in 12 s"; empty when the answer has none.
std::string datadog_rate_limit_note(const http::header_map& headers);

// -- Datadog requests ---------------------------------------------------------

/// The Logs Search query: namespace, then `service:<s>` when the alert has a
/// service, else the workload tag, then error, warn and critical statuses.
std::string datadog_logs_query(const fetch_scope& scope);

/// The query for the application's start-up lines ("Started X in 84.2
/// seconds", "node started in 184s"), whatever their status: how long a
/// start takes decides a startup probe (remediation.md §5.11).
std::string startup_logs_query(const fetch_scope& scope);

/// The body of the start-up lines search over `window` before the alert.
std::string startup_logs_request_body(const fetch_scope& scope,
                                      std::chrono::seconds window, int limit);

/// The body of `POST /api/v2/logs/events/search`: the query, from alert
/// time - 1 h to alert time + 5 min (RFC 3339), newest first, `page.limit`
/// and the cursor of the previous page (if any).
std::string logs_request_body(const fetch_scope& scope, int limit,
                              const std::string& cursor);

/// The API base URL: `api_url` when set, else the site's
/// (`us1` -> https://api.datadoghq.com, `eu` -> https://api.datadoghq.eu).
std::string datadog_base_url(const datadog_config& cfg);

} // namespace kfix::context
