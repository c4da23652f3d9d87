#include "actors/context/datadog_source.hpp"

#include "actors/context/context_parse.hpp"
#include "actors/context/log_patterns.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

namespace kfix::context {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr auto metrics_source = "datadog.metrics";
constexpr auto logs_source = "datadog.logs";

/// A failed call: the report status, reason and HTTP status.
struct failure {
  source_status status = source_status::error;
  std::string reason;
  int http_status = 0;
};

/// Classifies a call: nullopt for a 2xx answer.
std::optional<failure> check(caf::expected<http::incoming>& res,
                             clock_type::time_point deadline) {
  if (!res)
    return failure{failure_status(res.error(), clock_type::now() >= deadline),
                   render(res.error()), 0};
  if (!res->ok()) {
    auto reason = datadog_error_message(res->status, res->body);
    if (res->status == 429)
      if (auto note = datadog_rate_limit_note(res->headers); !note.empty())
        reason += " (" + note + ")";
    return failure{source_status::error, std::move(reason), res->status};
  }
  return std::nullopt;
}

std::string base_url(const api_endpoint& api, const datadog_config& cfg) {
  auto base = api.base_url.empty() ? datadog_base_url(cfg) : api.base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base;
}

http::outgoing base_request(const api_endpoint& api, const std::string& base,
                            clock_type::time_point deadline,
                            const datadog_limits& limits) {
  http::outgoing req;
  req.service = "datadog";
  req.url = base;
  req.headers = api.headers;
  req.headers.emplace_back("Accept", "application/json");
  auto now = clock_type::now();
  req.timeout = call_timeout(api.timeout, now, deadline);
  req.max_attempts = call_attempts(req.timeout, now, deadline);
  req.deadline = deadline;
  req.max_response_bytes = limits.max_response_bytes;
  return req;
}

source_report report_of(const char* source, const failure& f,
                        source_status status, std::string reason,
                        clock_type::time_point start) {
  auto r
    = make_report(source, status, std::move(reason), start, clock_type::now());
  r.http_status = f.http_status;
  return r;
}

/// Whether the scope names something to read about.
bool skip_without_namespace(context_part& part, const fetch_scope& scope,
                            const char* source) {
  if (!scope.workload.ns.empty())
    return false;
  auto now = clock_type::now();
  part.reports.push_back(make_report(source, source_status::skipped,
                                     "the alert names no namespace", now, now));
  return true;
}

} // namespace

context_part fetch_datadog_metrics(http::client& client,
                                   const api_endpoint& api,
                                   const fetch_scope& scope,
                                   const datadog_config& cfg,
                                   clock_type::time_point deadline,
                                   const datadog_limits& limits) {
  context_part part;
  part.data.workload.ref = scope.workload;
  if (skip_without_namespace(part, scope, metrics_source))
    return part;
  auto start = clock_type::now();
  if (start >= deadline) {
    part.reports.push_back(make_report(metrics_source, source_status::timeout,
                                       "deadline passed before the call", start,
                                       start));
    return part;
  }
  auto base = base_url(api, cfg);
  auto plan = plan_metric_queries(scope, cfg);
  std::vector<http::outgoing> reqs;
  for (const auto& q : plan) {
    auto req = base_request(api, base, deadline, limits);
    req.url += "/api/v1/query?"
               + http::build_query({{"from", std::to_string(q.from_s)},
                                    {"to", std::to_string(q.to_s)},
                                    {"query", q.query}});
    reqs.push_back(std::move(req));
  }
  auto responses = client.send_all(reqs);
  size_t failed = 0;
  failure first;
  auto& out = part.data.metrics;
  for (size_t i = 0; i < plan.size(); ++i) {
    std::optional<failure> fail;
    if (i >= responses.size()) {
      fail = failure{source_status::error, "no answer", 0};
    } else if (fail = check(responses[i], deadline); !fail) {
      auto summaries
        = summarise_metric_response(responses[i]->body, plan[i].window);
      responses[i]->body = {};
      if (summaries)
        out.insert(out.end(), std::make_move_iterator(summaries->begin()),
                   std::make_move_iterator(summaries->end()));
      else
        fail = failure{source_status::error, render(summaries.error()), 0};
    }
    if (fail && failed++ == 0)
      first = std::move(*fail);
  }
  if (failed == 0)
    part.reports.push_back(make_report(metrics_source, source_status::ok, {},
                                       start, clock_type::now()));
  else if (failed == plan.size())
    part.reports.push_back(
      report_of(metrics_source, first, first.status, first.reason, start));
  else
    part.reports.push_back(
      report_of(metrics_source, first, source_status::partial,
                std::to_string(failed) + " of " + std::to_string(plan.size())
                  + " metric queries failed: " + first.reason,
                start));
  return part;
}

context_part fetch_datadog_logs(http::client& client, const api_endpoint& api,
                                const fetch_scope& scope,
                                const datadog_config& cfg,
                                clock_type::time_point deadline,
                                const datadog_limits& limits) {
  context_part part;
  part.data.workload.ref = scope.workload;
  if (skip_without_namespace(part, scope, logs_source))
    return part;
  auto start = clock_type::now();
  auto cap = static_cast<size_t>(std::max(cfg.max_log_events, 0));
  auto keep = static_cast<size_t>(std::max(cfg.max_log_records, 0));
  auto& records = part.data.logs;
  log_pattern_builder patterns;
  size_t read = 0;
  // Groups what was read, whatever ends the loop.
  auto finish = [&](source_status status, std::string reason,
                    const failure& f = {}) {
    part.data.log_patterns
      = patterns.finish(static_cast<size_t>(std::max(cfg.max_log_patterns, 0)));
    part.data.log_events_read = static_cast<int64_t>(read);
    part.reports.push_back(
      report_of(logs_source, f, status, std::move(reason), start));
    return std::move(part);
  };
  if (cap == 0)
    return finish(source_status::skipped, "max_log_events is 0");
  auto base = base_url(api, cfg);
  std::string cursor;
  auto server_partial = false;
  // A page holds at least one record, so this bounds the loop even when a
  // server repeats itself.
  for (size_t page = 0; page <= cap; ++page) {
    if (clock_type::now() >= deadline) {
      auto status = read == 0 ? source_status::timeout : source_status::partial;
      return finish(status, "deadline passed after " + std::to_string(read)
                              + " log events");
    }
    auto left = cap - read;
    auto page_limit = static_cast<size_t>(std::max(limits.log_page_limit, 1));
    auto limit = static_cast<int>(std::min(left, page_limit));
    auto req = base_request(api, base, deadline, limits);
    req.method = "POST";
    req.url += "/api/v2/logs/events/search";
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = logs_request_body(scope, limit, cursor);
    auto res = client.send(req);
    if (auto fail = check(res, deadline)) {
      auto status = read == 0 ? fail->status : source_status::partial;
      auto reason = read == 0 ? fail->reason
                              : "stopped after " + std::to_string(read)
                                  + " log events: " + fail->reason;
      return finish(status, std::move(reason), *fail);
    }
    // Parse one record more than needed to see whether there are more.
    auto parsed = parse_logs_page(res->body, left + 1);
    res->body = {};
    if (!parsed) {
      auto status = read == 0 ? source_status::error : source_status::partial;
      return finish(status, render(parsed.error()));
    }
    server_partial = server_partial || parsed->server_partial;
    auto more = parsed->records.size() > left;
    if (more)
      parsed->records.resize(left);
    for (auto& rec : parsed->records) {
      patterns.add(rec);
      ++read;
      if (records.size() < keep)
        records.push_back(std::move(rec));
    }
    auto next = std::move(parsed->next_cursor);
    if (read >= cap && (more || !next.empty()))
      return finish(source_status::partial,
                    "capped at " + std::to_string(cap) + " log events");
    if (next.empty() || next == cursor || parsed->records.empty())
      break;
    cursor = std::move(next);
  }
  // The start-up lines of the sizing window: a few, on one page.
  if (clock_type::now() < deadline && limits.startup_lines > 0) {
    auto req = base_request(api, base, deadline, limits);
    req.method = "POST";
    req.url += "/api/v2/logs/events/search";
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = startup_logs_request_body(
      scope,
      std::chrono::duration_cast<std::chrono::seconds>(cfg.sizing_window),
      limits.startup_lines);
    auto res = client.send(req);
    if (!check(res, deadline))
      if (auto parsed = parse_logs_page(
            res->body, static_cast<size_t>(limits.startup_lines)))
        for (auto& rec : parsed->records)
          part.data.startup_logs.push_back(std::move(rec));
  }
  if (server_partial)
    return finish(source_status::partial,
                  "Datadog returned partial results (meta.status timeout)");
  return finish(source_status::ok, {});
}

context_part fetch_datadog(http::client& client, const api_endpoint& api,
                           const fetch_scope& scope, const datadog_config& cfg,
                           clock_type::time_point deadline,
                           const datadog_limits& limits) {
  std::vector<context_part> parts;
  parts.push_back(
    fetch_datadog_metrics(client, api, scope, cfg, deadline, limits));
  parts.push_back(
    fetch_datadog_logs(client, api, scope, cfg, deadline, limits));
  context_part result;
  result.data = merge_context(std::move(parts));
  result.data.workload.ref = scope.workload;
  result.reports = std::move(result.data.sources);
  result.data.sources.clear();
  return result;
}

} // namespace kfix::context
