#include "eval/sim/datadog_simulator.hpp"

#include "eval/sim/dd_logs.hpp"
#include "eval/sim/dd_metrics.hpp"
#include "eval/sim/faults.hpp"
#include "eval/sim/util.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

namespace kfix::sim {

namespace {

using json = nlohmann::json;

struct rate_limit {
  const char* name;
  const char* limit;
  const char* period;
};

rate_limit rate_limit_for(const std::string& path) {
  if (starts_with(path, "/api/v2/logs"))
    return {"logs_query", "300", "3600"};
  return {"metrics_query", "1600", "3600"};
}

std::string phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too many requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Error " + std::to_string(status);
  }
}

uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ULL;
  for (auto c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

struct log_request {
  std::string query = "*";
  json from = "now-15m";
  json to = "now";
  int64_t limit = 10;
  std::string cursor;
  std::string sort = "-timestamp";
};

} // namespace

struct datadog_simulator::impl {
  std::vector<json> series;
  std::vector<json> logs;
  std::vector<int64_t> log_ms;

  mutable std::mutex mtx;
  int64_t now_ms = 0;
  std::string public_base = "https://api.datadoghq.com";
  fault_injector faults;

  explicit impl(cluster_state state)
    : series(std::move(state.metric_series)), logs(std::move(state.logs)) {
    for (size_t i = 0; i < logs.size(); ++i) {
      auto& ev = logs[i];
      if (!ev.contains("id") || !ev["id"].is_string())
        ev["id"]
          = "AQAAA" + base64url_encode("kfix-sim-log-" + std::to_string(i));
      if (!ev.contains("type"))
        ev["type"] = "log";
      auto ms = log_timestamp_ms(ev);
      log_ms.push_back(ms);
      now_ms = std::max(now_ms, ms);
    }
  }

  http::response serve(const http::request& req) const;
  http::response
  metrics(const std::multimap<std::string, std::string>& q) const;
  http::response search_logs(const log_request& lr) const;
  http::response fault_response(int status, const std::string& path) const;
};

http::response
datadog_simulator::impl::fault_response(int status,
                                        const std::string& path) const {
  if (status == 502)
    return make_json_response(
      502, json{{"status", "error"},
                {"code", 502},
                {"errors", {"Bad Gateway"}},
                {"statuspage", "http://status.datadoghq.com"},
                {"twitter", "http://twitter.com/datadogops"},
                {"email", "support@datadoghq.com"}});
  auto resp = error_response(status, phrase(status));
  if (status == 429) {
    auto rl = rate_limit_for(path);
    resp.header("X-RateLimit-Limit", rl.limit);
    resp.header("X-RateLimit-Period", rl.period);
    resp.header("X-RateLimit-Remaining", "0");
    resp.header("X-RateLimit-Reset", "1");
    resp.header("X-RateLimit-Name", rl.name);
  }
  return resp;
}

http::response datadog_simulator::impl::serve(const http::request& req) const {
  auto path = request_path(req);
  auto method = req.method.empty() ? std::string{"GET"} : req.method;
  if (path.size() > 1 && path.back() == '/')
    path.pop_back();
  auto query = request_query(req);
  if (path == "/api/v1/validate") {
    if (method != "GET")
      return error_response(405, phrase(405));
    return make_json_response(200, json{{"valid", true}});
  }
  if (path == "/api/v1/query") {
    if (method != "GET")
      return error_response(405, phrase(405));
    return metrics(query);
  }
  if (path == "/api/v2/logs/events/search") {
    if (method != "POST")
      return error_response(405, phrase(405));
    json body = json::object();
    if (!trim(req.body).empty()) {
      body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object())
        return error_response(400, "API input validation failed: the body "
                                   "must be a JSON object");
    }
    log_request lr;
    if (body.contains("filter")) {
      const auto& f = body["filter"];
      if (!f.is_object())
        return error_response(400, "API input validation failed: filter "
                                   "must be an object");
      if (f.contains("query")) {
        if (!f["query"].is_string())
          return error_response(400, "API input validation failed: "
                                     "filter.query must be a string");
        lr.query = f["query"].get<std::string>();
      }
      if (f.contains("from"))
        lr.from = f["from"];
      if (f.contains("to"))
        lr.to = f["to"];
    }
    if (body.contains("page")) {
      const auto& p = body["page"];
      if (!p.is_object())
        return error_response(400, "API input validation failed: page must "
                                   "be an object");
      if (p.contains("limit")) {
        if (!p["limit"].is_number_integer())
          return error_response(400, "API input validation failed: "
                                     "page.limit must be an integer");
        lr.limit = p["limit"].get<int64_t>();
      }
      if (p.contains("cursor")) {
        if (!p["cursor"].is_string())
          return error_response(400, "API input validation failed: "
                                     "page.cursor must be a string");
        lr.cursor = p["cursor"].get<std::string>();
      }
    }
    if (body.contains("sort")) {
      if (!body["sort"].is_string())
        return error_response(400, "API input validation failed: sort must "
                                   "be timestamp or -timestamp");
      lr.sort = body["sort"].get<std::string>();
    }
    return search_logs(lr);
  }
  if (path == "/api/v2/logs/events") {
    if (method != "GET")
      return error_response(405, phrase(405));
    log_request lr;
    if (auto v = query_value(query, "filter[query]"))
      lr.query = *v;
    if (auto v = query_value(query, "filter[from]"))
      lr.from = *v;
    if (auto v = query_value(query, "filter[to]"))
      lr.to = *v;
    if (auto v = query_value(query, "page[limit]")) {
      auto n = parse_int(*v);
      if (!n)
        return error_response(400, "API input validation failed: "
                                   "page[limit] must be an integer");
      lr.limit = *n;
    }
    if (auto v = query_value(query, "page[cursor]"))
      lr.cursor = *v;
    if (auto v = query_value(query, "sort"))
      lr.sort = *v;
    return search_logs(lr);
  }
  return error_response(404, phrase(404));
}

http::response datadog_simulator::impl::metrics(
  const std::multimap<std::string, std::string>& q) const {
  for (auto name : {"from", "to", "query"})
    if (!query_value(q, name) || query_value(q, name)->empty())
      return error_response(400,
                            std::string{"Missing required parameter: "} + name);
  auto seconds = [](const std::string& text) -> std::optional<int64_t> {
    if (auto n = parse_int(text))
      return n;
    if (auto d = parse_double(text))
      return static_cast<int64_t>(*d);
    return std::nullopt;
  };
  auto from = seconds(*query_value(q, "from"));
  auto to = seconds(*query_value(q, "to"));
  if (!from)
    return error_response(400, "Invalid value for parameter 'from': "
                                 + *query_value(q, "from"));
  if (!to)
    return error_response(400, "Invalid value for parameter 'to': "
                                 + *query_value(q, "to"));
  if (*from > *to)
    return error_response(400, "Invalid time range: 'from' must be before "
                               "'to'");
  auto text = *query_value(q, "query");
  auto parsed = parse_metric_query(text);
  if (!parsed)
    return error_response(400, error_message(parsed.error()));
  return make_json_response(
    200, evaluate_metric_query(text, *parsed, *from, *to, series));
}

http::response
datadog_simulator::impl::search_logs(const log_request& lr) const {
  if (lr.limit < 1 || lr.limit > 1000)
    return error_response(400, "API input validation failed: page.limit: "
                               "must be between 1 and 1000, got "
                                 + std::to_string(lr.limit));
  if (lr.sort != "-timestamp" && lr.sort != "timestamp")
    return error_response(400, "API input validation failed: sort: must be "
                               "timestamp or -timestamp, got "
                                 + lr.sort);
  int64_t now = 0;
  {
    std::lock_guard<std::mutex> guard{mtx};
    now = now_ms;
  }
  auto from = parse_log_time(lr.from, now);
  auto to = parse_log_time(lr.to, now);
  if (!from)
    return error_response(400, "Invalid filter.from: " + lr.from.dump());
  if (!to)
    return error_response(400, "Invalid filter.to: " + lr.to.dump());
  auto query = log_query::parse(lr.query);
  if (!query)
    return error_response(400, error_message(query.error()));
  bool descending = lr.sort == "-timestamp";
  // Matching events, as (timestamp, index).
  std::vector<std::pair<int64_t, size_t>> hits;
  for (size_t i = 0; i < logs.size(); ++i)
    if (log_ms[i] >= *from && log_ms[i] <= *to && query->matches(logs[i]))
      hits.emplace_back(log_ms[i], i);
  auto before = [&](const std::pair<int64_t, size_t>& x,
                    const std::pair<int64_t, size_t>& y) {
    return descending ? x > y : x < y;
  };
  std::sort(hits.begin(), hits.end(), before);
  size_t start = 0;
  if (!lr.cursor.empty()) {
    auto bytes = base64_decode(lr.cursor);
    auto doc = bytes ? json::parse(*bytes, nullptr, false) : json{};
    if (!bytes || doc.is_discarded() || !doc.is_object() || !doc.contains("ts")
        || !doc["ts"].is_number_integer() || !doc.contains("n")
        || !doc["n"].is_number_unsigned() || doc.value("sort", "") != lr.sort)
      return error_response(400, "Invalid cursor: " + lr.cursor);
    std::pair<int64_t, size_t> last{doc["ts"].get<int64_t>(),
                                    doc["n"].get<size_t>()};
    start = static_cast<size_t>(
      std::upper_bound(hits.begin(), hits.end(), last, before) - hits.begin());
  }
  auto end = std::min(hits.size(), start + static_cast<size_t>(lr.limit));
  json data = json::array();
  for (auto i = start; i < end; ++i)
    data.push_back(logs[hits[i].second]);
  json request_key{{"q", lr.query},
                   {"from", lr.from},
                   {"to", lr.to},
                   {"sort", lr.sort},
                   {"cursor", lr.cursor}};
  json meta{
    {"elapsed", 1},
    {"request_id",
     "pddv1ChZ" + base64url_encode(std::to_string(fnv1a(request_key.dump())))},
    {"status", "done"}};
  json body{{"data", data}};
  if (end < hits.size()) {
    auto& last = hits[end - 1];
    auto cursor = base64url_encode(
      json{{"ts", last.first}, {"n", last.second}, {"sort", lr.sort}}.dump());
    meta["page"] = json{{"after", cursor}};
    auto time_text = [](const json& v) {
      return v.is_string() ? v.get<std::string>() : v.dump();
    };
    std::string base;
    {
      std::lock_guard<std::mutex> guard{mtx};
      base = public_base;
    }
    body["links"] = json{
      {"next", base + "/api/v2/logs/events?sort=" + percent_encode(lr.sort)
                 + "&filter%5Bquery%5D=" + percent_encode(lr.query)
                 + "&filter%5Bfrom%5D=" + percent_encode(time_text(lr.from))
                 + "&filter%5Bto%5D=" + percent_encode(time_text(lr.to))
                 + "&page%5Bcursor%5D=" + cursor
                 + "&page%5Blimit%5D=" + std::to_string(lr.limit)}};
  }
  body["meta"] = meta;
  return make_json_response(200, body);
}

// -- datadog_simulator --------------------------------------------------------

datadog_simulator::datadog_simulator(cluster_state state)
  : impl_(std::make_unique<impl>(std::move(state))) {}

datadog_simulator::~datadog_simulator() = default;

http::response datadog_simulator::handle(const http::request& req) const {
  auto path = request_path(req);
  auto [wait, failure] = impl_->faults.on_request(path);
  if (wait.count() > 0)
    std::this_thread::sleep_for(wait);
  if (failure)
    return impl_->fault_response(*failure, path);
  if (!header_value(req, "dd-api-key")
      || !header_value(req, "dd-application-key"))
    return error_response(403, "Forbidden");
  auto resp = impl_->serve(req);
  if (resp.status == 404) {
    impl_->faults.record_unknown((req.method.empty() ? "GET" : req.method) + " "
                                 + path);
  } else {
    auto rl = rate_limit_for(path);
    resp.header("X-RateLimit-Limit", rl.limit);
    resp.header("X-RateLimit-Period", rl.period);
    resp.header("X-RateLimit-Remaining",
                std::to_string(std::stoi(rl.limit) - 1));
    resp.header("X-RateLimit-Reset", "3600");
    resp.header("X-RateLimit-Name", rl.name);
  }
  return resp;
}

void datadog_simulator::set_now(int64_t now_ms) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->now_ms = now_ms;
}

int64_t datadog_simulator::now() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->now_ms;
}

void datadog_simulator::set_public_base(std::string base_url) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->public_base = std::move(base_url);
}

void datadog_simulator::fail_path(std::string path_prefix, int status,
                                  int times) {
  impl_->faults.fail_path(std::move(path_prefix), status, times);
}

void datadog_simulator::delay_path(std::string path_prefix,
                                   std::chrono::milliseconds delay) {
  impl_->faults.delay_path(std::move(path_prefix), delay);
}

void datadog_simulator::clear_faults() {
  impl_->faults.clear();
}

size_t datadog_simulator::request_count() const {
  return impl_->faults.request_count();
}

std::vector<std::string> datadog_simulator::unknown_requests() const {
  return impl_->faults.unknown_requests();
}

http::response datadog_simulator::error_response(int status,
                                                 const std::string& message) {
  return make_json_response(status, json{{"errors", {message}}});
}

} // namespace kfix::sim
