#pragma once

#include "actors/common/http_client.hpp"
#include "actors/context/context_merge.hpp"
#include "config/config.hpp"

#include <chrono>

namespace kfix::context {

/// Caps of the Datadog fetch beyond `datadog_config`.
struct datadog_limits {
  /// `page.limit` of a logs search page (Datadog allows up to 1000).
  int log_page_limit = 500;
  /// The largest response body accepted.
  size_t max_response_bytes = 64u << 20;
  /// Start-up log lines read over the sizing window (0: none).
  int startup_lines = 20;
};

/// Reads the workload's metrics from Datadog (report `datadog.metrics`):
/// the queries of `plan_metric_queries` for the sizing and the short
/// window, concurrently, summarised per container (and per APM service)
/// with normalised units and the derived throttled ratio and error rate.
/// Datadog errors (403, 429 after the client's retries, with what the
/// rate-limit headers say) become `error` reports with the `errors[]`
/// messages, `partial` when some queries failed; what the deadline cut off
/// is `timeout`. Never throws.
context_part
fetch_datadog_metrics(http::client& client, const api_endpoint& api,
                      const fetch_scope& scope, const datadog_config& cfg,
                      std::chrono::steady_clock::time_point deadline,
                      const datadog_limits& limits = {});

/// Reads the workload's error, warn and critical logs from alert time - 1 h
/// to + 5 min, newest first (report `datadog.logs`), following
/// `meta.page.after` up to `cfg.max_log_events`; every event read is
/// redacted and grouped into patterns (at most `cfg.max_log_patterns`), the
/// newest `cfg.max_log_records` are kept. `partial` when capped, cut by the
/// deadline or when Datadog answered `meta.status: timeout`. Never throws.
context_part fetch_datadog_logs(http::client& client, const api_endpoint& api,
                                const fetch_scope& scope,
                                const datadog_config& cfg,
                                std::chrono::steady_clock::time_point deadline,
                                const datadog_limits& limits = {});

/// Both, one after the other, merged into one part.
context_part fetch_datadog(http::client& client, const api_endpoint& api,
                           const fetch_scope& scope, const datadog_config& cfg,
                           std::chrono::steady_clock::time_point deadline,
                           const datadog_limits& limits = datadog_limits{});

} // namespace kfix::context
