#include "actors/context/datadog_source.hpp"

#include "actors/context/context_parse.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace kfix::context {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr auto metrics_source = "datadog.metrics";
constexpr auto logs_source = "datadog.logs";
/// A failed call: the report status and reason.
struct failure {
  source_status status = source_status::error;
  std::string reason;
};

/// Classifies a call: nullopt for a 2xx answer (body in `body`).
std::optional<failure> check(caf::expected<http::incoming>& res,
                             clock_type::time_point deadline) {
  if (!res)
    return failure{failure_status(res.error(), clock_type::now() >= deadline),
                   render(res.error())};
  if (!res->ok())
    return failure{source_status::error,
                   datadog_error_message(res->status, res->body)};
  return std::nullopt;
}

http::outgoing base_request(const api_endpoint& api, const std::string& base,
                            clock_type::time_point deadline) {
  http::outgoing req;
  req.service = "datadog";
  req.url = base;
  req.headers = api.headers;
  req.headers.emplace_back("Accept", "application/json");
  auto now = clock_type::now();
  req.timeout = call_timeout(api.timeout, now, deadline);
  req.max_attempts = call_attempts(req.timeout, now, deadline);
  return req;
}

source_report fetch_metrics(http::client& client, const api_endpoint& api,
                            const std::string& base, const fetch_scope& scope,
                            const datadog_config& cfg,
                            clock_type::time_point deadline,
                            std::vector<series_summary>& out) {
  auto start = clock_type::now();
  if (start >= deadline)
    return make_report(metrics_source, source_status::timeout,
                       "deadline passed before the call", start, start);
  auto plan = plan_metric_queries(scope, cfg);
  std::vector<http::outgoing> reqs;
  for (const auto& q : plan) {
    auto req = base_request(api, base, deadline);
    req.url += "/api/v1/query?"
               + http::build_query({{"from", std::to_string(q.from_s)},
                                    {"to", std::to_string(q.to_s)},
                                    {"query", q.query}});
    reqs.push_back(std::move(req));
  }
  auto responses = client.send_all(reqs);
  size_t failed = 0;
  failure first;
  for (size_t i = 0; i < plan.size(); ++i) {
    std::optional<failure> fail;
    if (i >= responses.size()) {
      fail = failure{source_status::error, "no answer"};
    } else if (fail = check(responses[i], deadline); !fail) {
      auto summaries
        = summarise_metric_response(responses[i]->body, plan[i].window);
      if (summaries)
        out.insert(out.end(), std::make_move_iterator(summaries->begin()),
                   std::make_move_iterator(summaries->end()));
      else
        fail = failure{source_status::error, render(summaries.error())};
    }
    if (fail && failed++ == 0)
      first = std::move(*fail);
  }
  auto end = clock_type::now();
  if (failed == 0)
    return make_report(metrics_source, source_status::ok, {}, start, end);
  if (failed == plan.size())
    return make_report(metrics_source, first.status, std::move(first.reason),
                       start, end);
  return make_report(metrics_source, source_status::partial,
                     std::to_string(failed) + " of "
                       + std::to_string(plan.size())
                       + " metric queries failed: " + first.reason,
                     start, end);
}

source_report fetch_logs(http::client& client, const api_endpoint& api,
                         const std::string& base, const fetch_scope& scope,
                         const datadog_config& cfg,
                         const datadog_limits& limits,
                         clock_type::time_point deadline,
                         std::vector<log_record>& out) {
  auto start = clock_type::now();
  auto cap = static_cast<size_t>(std::max(cfg.max_log_events, 0));
  if (cap == 0)
    return make_report(logs_source, source_status::skipped,
                       "max_log_events is 0", start, start);
  std::string cursor;
  auto server_partial = false;
  // A page holds at least one record, so this bounds the loop even when a
  // server repeats itself.
  for (size_t page = 0; page <= cap; ++page) {
    auto now = clock_type::now();
    if (now >= deadline) {
      auto status
        = out.empty() ? source_status::timeout : source_status::partial;
      return make_report(logs_source, status,
                         "deadline passed after " + std::to_string(out.size())
                           + " log events",
                         start, now);
    }
    auto left = cap - out.size();
    auto page_limit = static_cast<size_t>(std::max(limits.log_page_limit, 1));
    auto limit = static_cast<int>(std::min(left, page_limit));
    auto req = base_request(api, base, deadline);
    req.method = "POST";
    req.url += "/api/v2/logs/events/search";
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = logs_request_body(scope, limit, cursor);
    auto res = client.send(req);
    if (auto fail = check(res, deadline)) {
      auto status = out.empty() ? fail->status : source_status::partial;
      auto reason = out.empty() ? std::move(fail->reason)
                                : "stopped after " + std::to_string(out.size())
                                    + " log events: " + fail->reason;
      return make_report(logs_source, status, std::move(reason), start,
                         clock_type::now());
    }
    // Parse one record more than needed to see whether there are more.
    auto parsed = parse_logs_page(res->body, left + 1);
    if (!parsed) {
      auto status = out.empty() ? source_status::error : source_status::partial;
      return make_report(logs_source, status, render(parsed.error()), start,
                         clock_type::now());
    }
    server_partial = server_partial || parsed->server_partial;
    auto more = parsed->records.size() > left;
    if (more)
      parsed->records.resize(left);
    out.insert(out.end(), std::make_move_iterator(parsed->records.begin()),
               std::make_move_iterator(parsed->records.end()));
    auto next = std::move(parsed->next_cursor);
    if (out.size() >= cap && (more || !next.empty()))
      return make_report(logs_source, source_status::partial,
                         "capped at " + std::to_string(cap) + " log events",
                         start, clock_type::now());
    if (next.empty() || next == cursor || parsed->records.empty())
      break;
    cursor = std::move(next);
  }
  if (server_partial)
    return make_report(logs_source, source_status::partial,
                       "Datadog returned partial results (meta.status "
                       "timeout)",
                       start, clock_type::now());
  return make_report(logs_source, source_status::ok, {}, start,
                     clock_type::now());
}

} // namespace

context_part fetch_datadog(http::client& client, const api_endpoint& api,
                           const fetch_scope& scope, const datadog_config& cfg,
                           std::chrono::steady_clock::time_point deadline,
                           const datadog_limits& limits) {
  context_part part;
  part.data.workload.ref = scope.workload;
  if (scope.workload.ns.empty()) {
    auto now = clock_type::now();
    for (auto source : {metrics_source, logs_source})
      part.reports.push_back(make_report(source, source_status::skipped,
                                         "the alert names no namespace", now,
                                         now));
    return part;
  }
  auto base = api.base_url.empty() ? datadog_base_url(cfg) : api.base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  part.reports.push_back(
    fetch_metrics(client, api, base, scope, cfg, deadline, part.data.metrics));
  part.reports.push_back(fetch_logs(client, api, base, scope, cfg, limits,
                                    deadline, part.data.logs));
  return part;
}

} // namespace kfix::context
