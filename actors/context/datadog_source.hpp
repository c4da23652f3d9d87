#pragma once

#include "actors/common/http_client.hpp"
#include "actors/context/context_merge.hpp"
#include "config/config.hpp"

#include <chrono>

namespace kfix::context {

/// Caps of the Datadog fetch beyond `datadog_config`.
struct datadog_limits {
  /// `page.limit` of a logs search page (Datadog allows up to 1000).
  int log_page_limit = 100;
};

/// Reads the workload's metrics and logs from Datadog. Reports
/// `datadog.metrics` (per-container summaries of working set, usage, RSS,
/// memory limits and requests, restarts and CPU over the sizing window, and
/// the working set over the short window; queries run concurrently) and
/// `datadog.logs` (error, warn and critical logs from alert time - 1 h to
/// + 5 min, newest first, following `meta.page.after` up to
/// `cfg.max_log_events`, redacted and truncated; `partial` when capped).
/// Datadog errors (403, 429 after the client's retries, ...) become `error`
/// reports with the `errors[]` messages; what the deadline cut off is
/// `timeout`. Never throws.
context_part fetch_datadog(http::client& client, const api_endpoint& api,
                           const fetch_scope& scope, const datadog_config& cfg,
                           std::chrono::steady_clock::time_point deadline,
                           const datadog_limits& limits = datadog_limits{});

} // namespace kfix::context
