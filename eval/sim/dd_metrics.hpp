#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// Datadog metric queries (`GET /api/v1/query`) evaluated over recorded
/// series.
namespace kfix::sim {

/// One metric query: `space_aggr:metric{scope} by {keys}.rollup(m, s)`.
struct metric_query {
  /// avg, sum, min, max, or a percentile of distribution metrics (p50, p75,
  /// p90, p95, p99); empty when the query names none (avg is used).
  std::string aggregator;
  std::string metric;
  /// Scope terms as written ("kube_namespace:shop", "!env:dev",
  /// "pod_name:checkout-*"); empty for `*`.
  std::vector<std::string> scope;
  std::vector<std::string> group_by;
  /// `.rollup(method, seconds)`; method empty or seconds 0 when not given.
  std::string rollup_method;
  int64_t rollup_seconds = 0;
};

/// Parses a query; comma-separated queries give several. Functions around
/// a query (`abs(...)`, `top(..., 10, 'mean', 'desc')`) and modifiers other
/// than `.rollup` are ignored: the inner metric query is used.
[[nodiscard]] caf::expected<std::vector<metric_query>>
parse_metric_query(std::string_view text);

/// True when `tags` satisfies every scope term.
bool scope_matches(const std::vector<std::string>& scope,
                   const std::vector<std::string>& tags);

/// Evaluates `GET /api/v1/query` (from/to in seconds) over `series` (the
/// entries of metrics.json) and returns the v1 response body.
nlohmann::json evaluate_metric_query(const std::string& query_text,
                                     const std::vector<metric_query>& queries,
                                     int64_t from_s, int64_t to_s,
                                     const std::vector<nlohmann::json>& series);

/// The v1 `unit` array for a unit name (byte, nanocore, core, percent, ...),
/// or null.
nlohmann::json unit_json(std::string_view unit);

} // namespace kfix::sim
