#pragma once

#include "messages/alert.hpp"
#include "messages/context.hpp"
#include "messages/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kfix::context {

// -- inputs and outputs shared by the context sources -------------------------

/// An API base URL with the auth headers to send (already resolved from
/// secrets).
struct api_endpoint {
  std::string base_url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds timeout{5000};
};

/// What one source learned: the bundle fields it fills, and its reports.
struct context_part {
  context_bundle data;
  std::vector<source_report> reports;
};

/// Where and when: the alert's workload, container, pod, cluster and time.
struct fetch_scope {
  workload_ref workload;
  std::string container;
  std::string pod;
  std::string cluster;
  std::string service;
  std::string env;
  int64_t alert_time_s = 0;
};

/// The scope of an enriched alert (its workload, pod, container, cluster,
/// service, env, and its date in seconds).
fetch_scope make_fetch_scope(const enriched_alert& alert);

/// The timeout of one call: the endpoint's, cut to the time left before the
/// deadline (at least 1 ms; callers check `now < deadline` first).
std::chrono::milliseconds
call_timeout(std::chrono::milliseconds endpoint_timeout,
             std::chrono::steady_clock::time_point now,
             std::chrono::steady_clock::time_point deadline);

/// How many attempts (1 to 3) the HTTP client may make so that retries stay
/// within the time left.
int call_attempts(std::chrono::milliseconds per_attempt,
                  std::chrono::steady_clock::time_point now,
                  std::chrono::steady_clock::time_point deadline);

/// The status for a call that got no HTTP answer: `timeout` when the error
/// is a timeout or the deadline has passed, else `error`.
source_status failure_status(const caf::error& err, bool past_deadline);

/// A report with its duration measured from `start` to `end`.
source_report make_report(std::string source, source_status status,
                          std::string reason,
                          std::chrono::steady_clock::time_point start,
                          std::chrono::steady_clock::time_point end);

// -- merging ------------------------------------------------------------------

/// Merges the parts of several sources into one bundle: the first part that
/// found the workload provides it; every list (revisions, pods, events,
/// quotas, limit ranges, HPAs, PDBs, nodes, config references, metrics,
/// logs, log patterns) is concatenated in part order and the log counts
/// added; every report of every part is kept (the parts' `data.sources`
/// first, then their `reports`).
context_bundle merge_context(std::vector<context_part> parts);

} // namespace kfix::context
