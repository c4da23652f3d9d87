#include "actors/context/context_merge.hpp"

#include <algorithm>
#include <iterator>

namespace kfix::context {

namespace {

template <class T>
void append(std::vector<T>& dst, std::vector<T>& src) {
  if (dst.empty()) {
    dst = std::move(src);
    return;
  }
  dst.insert(dst.end(), std::make_move_iterator(src.begin()),
             std::make_move_iterator(src.end()));
}

} // namespace

fetch_scope make_fetch_scope(const enriched_alert& alert) {
  fetch_scope result;
  result.workload = alert.workload;
  result.container = alert.container;
  result.pod = alert.pod;
  result.cluster = alert.cluster;
  result.service = alert.service;
  result.env = alert.env;
  result.alert_time_s = alert.date_ms / 1000;
  return result;
}

std::chrono::milliseconds
call_timeout(std::chrono::milliseconds endpoint_timeout,
             std::chrono::steady_clock::time_point now,
             std::chrono::steady_clock::time_point deadline) {
  using std::chrono::milliseconds;
  auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
  auto result = std::min(endpoint_timeout, left);
  return std::max(result, milliseconds{1});
}

int call_attempts(std::chrono::milliseconds per_attempt,
                  std::chrono::steady_clock::time_point now,
                  std::chrono::steady_clock::time_point deadline) {
  using std::chrono::milliseconds;
  auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
  if (per_attempt.count() <= 0)
    return 1;
  auto n = left.count() / per_attempt.count();
  return static_cast<int>(std::clamp<int64_t>(n, 1, 3));
}

source_status failure_status(const caf::error& err, bool past_deadline) {
  if (past_deadline || code_of(err) == ec::timeout)
    return source_status::timeout;
  return source_status::error;
}

source_report make_report(std::string source, source_status status,
                          std::string reason,
                          std::chrono::steady_clock::time_point start,
                          std::chrono::steady_clock::time_point end) {
  source_report result;
  result.source = std::move(source);
  result.status = status;
  result.reason = std::move(reason);
  result.duration_ms
    = std::chrono::duration_cast<std::chrono::milliseconds>(end - start)
        .count();
  return result;
}

context_bundle merge_context(std::vector<context_part> parts) {
  context_bundle result;
  auto have_ref = false;
  for (auto& part : parts) {
    auto& data = part.data;
    if (!result.workload_found && data.workload_found) {
      result.workload = std::move(data.workload);
      result.workload_found = true;
      have_ref = true;
    } else if (!have_ref && !data.workload.ref.empty()) {
      // Keep at least which workload was asked for.
      result.workload.ref = data.workload.ref;
      have_ref = true;
    }
    append(result.revisions, data.revisions);
    append(result.pods, data.pods);
    append(result.events, data.events);
    append(result.quotas, data.quotas);
    append(result.limit_ranges, data.limit_ranges);
    append(result.hpas, data.hpas);
    append(result.pdbs, data.pdbs);
    append(result.nodes, data.nodes);
    append(result.config_refs, data.config_refs);
    append(result.metrics, data.metrics);
    append(result.logs, data.logs);
    append(result.log_patterns, data.log_patterns);
    append(result.startup_logs, data.startup_logs);
    result.log_events_read += data.log_events_read;
    append(result.sources, data.sources);
    append(result.sources, part.reports);
  }
  return result;
}

} // namespace kfix::context
