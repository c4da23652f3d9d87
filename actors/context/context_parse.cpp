#include "actors/context/context_parse.hpp"

#include "actors/common/time_text.hpp"
#include "actors/context/json_dom.hpp"
#include "actors/context/log_redaction.hpp"

#include <nlohmann/json.hpp>

#include <utility>

namespace kfix::context {

namespace {

using namespace json_dom;
using simdjson::SUCCESS;

std::string_view head(std::string_view body, size_t n = 200) {
  return truncate_utf8(body, n);
}

} // namespace

caf::expected<logs_page> parse_logs_page(std::string_view json,
                                         size_t max_records) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "logs page"))
    return err;
  logs_page result;
  dom::array data;
  if (has(doc["data"])) {
    if (doc["data"].get_array().get(data) != SUCCESS)
      return make_error(ec::invalid_input, "logs page: `data` is not an array");
    for (auto item : data) {
      if (result.records.size() >= max_records)
        break;
      auto attrs = item["attributes"];
      log_record rec;
      rec.timestamp = text_of(attrs["timestamp"]);
      rec.status = text_of(attrs["status"]);
      rec.service = text_of(attrs["service"]);
      std::string_view msg;
      if (attrs["message"].get_string().get(msg) != SUCCESS)
        msg = {};
      rec.message = redact_log_message(msg);
      result.records.push_back(std::move(rec));
    }
  }
  result.next_cursor = text_of(doc["meta"]["page"]["after"]);
  result.server_partial = text_of(doc["meta"]["status"]) == "timeout";
  dom::array warnings;
  if (doc["meta"]["warnings"].get_array().get(warnings) == SUCCESS)
    for (auto w : warnings)
      result.warnings.push_back(text_of(w["title"]));
  return result;
}

caf::expected<std::vector<std::string>>
parse_datadog_errors(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "datadog error"))
    return err;
  std::vector<std::string> result;
  dom::array errors;
  if (doc["errors"].get_array().get(errors) == SUCCESS) {
    for (auto e : errors) {
      if (e.is_string()) {
        result.push_back(text_of(e));
        continue;
      }
      auto title = text_of(e["title"]);
      auto detail = text_of(e["detail"]);
      if (!title.empty() && !detail.empty())
        result.push_back(title + ": " + detail);
      else if (!title.empty() || !detail.empty())
        result.push_back(title + detail);
    }
  }
  auto single = text_of(doc["error"]);
  if (!single.empty())
    result.push_back(single);
  return result;
}

std::string datadog_error_message(int http_status, std::string_view body) {
  auto result = "HTTP " + std::to_string(http_status);
  if (auto errors = parse_datadog_errors(body); errors && !errors->empty()) {
    result += ": ";
    for (size_t i = 0; i < errors->size(); ++i) {
      if (i > 0)
        result += "; ";
      result += (*errors)[i];
    }
    return result;
  }
  if (http_status == 429)
    return result + ": rate limited";
  auto text = head(body);
  if (!text.empty())
    result += ": " + std::string{text};
  return result;
}

std::string datadog_rate_limit_note(const http::header_map& headers) {
  auto get = [&](const char* name) {
    auto i = headers.find(name);
    return i == headers.end() ? std::string{} : i->second;
  };
  auto limit = get("x-ratelimit-limit");
  auto reset = get("x-ratelimit-reset");
  if (limit.empty() && reset.empty())
    return {};
  auto name = get("x-ratelimit-name");
  std::string result = "rate limit";
  if (!name.empty())
    result += " " + name;
  result += ":";
  if (!limit.empty()) {
    auto remaining = get("x-ratelimit-remaining");
    result += " " + (remaining.empty() ? std::string{"?"} : remaining) + " of "
              + limit + " left";
    auto period = get("x-ratelimit-period");
    if (!period.empty())
      result += " per " + period + " s";
  }
  if (!reset.empty())
    result
      += std::string{limit.empty() ? "" : ","} + " resets in " + reset + " s";
  return result;
}

// -- Datadog requests ---------------------------------------------------------

namespace {

/// The workload part of a logs query: namespace, then the service or the
/// workload tag.
std::string logs_scope_query(const fetch_scope& scope) {
  const auto& ref = scope.workload;
  std::string result = "kube_namespace:" + ref.ns;
  if (!scope.service.empty()) {
    result += " service:" + scope.service;
  } else if (!ref.name.empty()) {
    auto tag = std::string{"kube_deployment"};
    if (ref.kind == "StatefulSet")
      tag = "kube_stateful_set";
    else if (ref.kind == "DaemonSet")
      tag = "kube_daemon_set";
    result += " " + tag + ":" + ref.name;
  }
  return result;
}

} // namespace

std::string datadog_logs_query(const fetch_scope& scope) {
  return logs_scope_query(scope)
         + " (status:error OR status:warn OR status:critical)";
}

std::string startup_logs_query(const fetch_scope& scope) {
  return logs_scope_query(scope)
         + R"( ("started in" OR (started AND seconds) OR "startup took"))";
}

std::string startup_logs_request_body(const fetch_scope& scope,
                                      std::chrono::seconds window, int limit) {
  nlohmann::json body;
  body["filter"]["query"] = startup_logs_query(scope);
  body["filter"]["from"]
    = format_rfc3339_s(scope.alert_time_s - window.count());
  body["filter"]["to"] = format_rfc3339_s(scope.alert_time_s + 300);
  body["page"]["limit"] = limit;
  body["sort"] = "-timestamp";
  return body.dump();
}

std::string logs_request_body(const fetch_scope& scope, int limit,
                              const std::string& cursor) {
  nlohmann::json body;
  body["filter"]["query"] = datadog_logs_query(scope);
  body["filter"]["from"] = format_rfc3339_s(scope.alert_time_s - 3600);
  body["filter"]["to"] = format_rfc3339_s(scope.alert_time_s + 300);
  body["page"]["limit"] = limit;
  if (!cursor.empty())
    body["page"]["cursor"] = cursor;
  body["sort"] = "-timestamp";
  return body.dump();
}

std::string datadog_base_url(const datadog_config& cfg) {
  if (!cfg.api_url.empty())
    return cfg.api_url;
  static const std::map<std::string, std::string> sites = {
    {"us1", "https://api.datadoghq.com"},
    {"us3", "https://api.us3.datadoghq.com"},
    {"us5", "https://api.us5.datadoghq.com"},
    {"eu", "https://api.datadoghq.eu"},
    {"ap1", "https://api.ap1.datadoghq.com"},
    {"ap2", "https://api.ap2.datadoghq.com"},
    {"gov", "https://api.ddog-gov.com"},
  };
  if (auto i = sites.find(cfg.site); i != sites.end())
    return i->second;
  // A site given as its domain ("datadoghq.eu").
  if (cfg.site.find('.') != std::string::npos)
    return "https://api." + cfg.site;
  return sites.at("us1");
}

} // namespace kfix::context
