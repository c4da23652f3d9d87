#include "actors/context/context_parse.hpp"

#include "actors/common/time_text.hpp"
#include "actors/context/log_redaction.hpp"

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <tuple>
#include <utility>

namespace kfix::context {

namespace {

namespace dom = simdjson::dom;
using simdjson::SUCCESS;

// -- JSON helpers -------------------------------------------------------------

caf::error json_error(simdjson::error_code err, std::string_view what) {
  return make_error(ec::invalid_input, std::string{what} + ": invalid JSON: "
                                         + simdjson::error_message(err));
}

/// Parses `json` into `doc`; the parser owns the memory.
caf::error parse_doc(dom::parser& parser, std::string_view json,
                     dom::element& doc, std::string_view what) {
  if (auto err = parser.parse(json.data(), json.size()).get(doc))
    return json_error(err, what);
  return caf::none;
}

std::string format_number(double x) {
  if (std::isfinite(x) && std::floor(x) == x && std::fabs(x) < 9.0e15)
    return std::to_string(static_cast<int64_t>(x));
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", x);
  return buf;
}

/// A scalar as text: strings as they are, numbers and booleans formatted;
/// "" for null, objects, arrays and missing values.
std::string text_of(simdjson::simdjson_result<dom::element> x) {
  dom::element e;
  if (x.get(e) != SUCCESS)
    return {};
  switch (e.type()) {
    case dom::element_type::STRING: {
      std::string_view sv;
      if (e.get_string().get(sv) == SUCCESS)
        return std::string{sv};
      return {};
    }
    case dom::element_type::INT64: {
      int64_t i = 0;
      if (e.get_int64().get(i) == SUCCESS)
        return std::to_string(i);
      return {};
    }
    case dom::element_type::UINT64: {
      uint64_t u = 0;
      if (e.get_uint64().get(u) == SUCCESS)
        return std::to_string(u);
      return {};
    }
    case dom::element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d) == SUCCESS)
        return format_number(d);
      return {};
    }
    case dom::element_type::BOOL: {
      bool b = false;
      if (e.get_bool().get(b) == SUCCESS)
        return b ? "true" : "false";
      return {};
    }
    default:
      return {};
  }
}

std::string text_of(dom::element e) {
  return text_of(simdjson::simdjson_result<dom::element>{std::move(e)});
}

/// A number (integers and doubles, numeric strings too), or nullopt.
std::optional<double> number_of(simdjson::simdjson_result<dom::element> x) {
  dom::element e;
  if (x.get(e) != SUCCESS)
    return std::nullopt;
  switch (e.type()) {
    case dom::element_type::INT64: {
      int64_t i = 0;
      if (e.get_int64().get(i) == SUCCESS)
        return static_cast<double>(i);
      return std::nullopt;
    }
    case dom::element_type::UINT64: {
      uint64_t u = 0;
      if (e.get_uint64().get(u) == SUCCESS)
        return static_cast<double>(u);
      return std::nullopt;
    }
    case dom::element_type::DOUBLE: {
      double d = 0;
      if (e.get_double().get(d) == SUCCESS)
        return d;
      return std::nullopt;
    }
    case dom::element_type::STRING: {
      auto s = text_of(e);
      char* end = nullptr;
      auto d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end == s.c_str() + s.size())
        return d;
      return std::nullopt;
    }
    default:
      return std::nullopt;
  }
}

int32_t int_of(simdjson::simdjson_result<dom::element> x, int32_t fallback) {
  auto n = number_of(x);
  if (!n || !std::isfinite(*n))
    return fallback;
  auto v = std::clamp(*n, -2147483648.0, 2147483647.0);
  return static_cast<int32_t>(v);
}

bool bool_of(simdjson::simdjson_result<dom::element> x) {
  bool b = false;
  return x.get_bool().get(b) == SUCCESS && b;
}

bool has(simdjson::simdjson_result<dom::element> x) {
  dom::element e;
  return x.get(e) == SUCCESS && !e.is_null();
}

/// The scalar members of an object as strings ({"memory": "1Gi"}).
std::map<std::string, std::string>
string_map(simdjson::simdjson_result<dom::element> x) {
  std::map<std::string, std::string> result;
  dom::object obj;
  if (x.get_object().get(obj) != SUCCESS)
    return result;
  for (auto field : obj)
    result.emplace(std::string{field.key}, text_of(field.value));
  return result;
}

/// Checks that `doc` is a list and sets `items` to its `items` array;
/// `present` is false when the list has no items (missing or null).
caf::error list_items(dom::element doc, dom::array& items, bool& present,
                      std::string_view what) {
  present = false;
  dom::object obj;
  if (doc.get_object().get(obj) != SUCCESS)
    return make_error(ec::invalid_input,
                      std::string{what} + ": expected a JSON object");
  auto kind = text_of(doc["kind"]);
  if (kind == "Status")
    return make_error(ec::upstream_error, std::string{what} + ": got a Status: "
                                            + text_of(doc["message"]));
  auto x = doc["items"];
  if (!has(x)) {
    // `items: null` and a missing `items` both mean an empty list.
    return caf::none;
  }
  if (x.get_array().get(items) != SUCCESS)
    return make_error(ec::invalid_input,
                      std::string{what} + ": `items` is not an array");
  present = true;
  return caf::none;
}

std::string continue_of(dom::element doc) {
  return text_of(doc["metadata"]["continue"]);
}

// -- Kubernetes objects -------------------------------------------------------

container_spec parse_container(dom::element c) {
  container_spec result;
  result.name = text_of(c["name"]);
  result.image = text_of(c["image"]);
  result.requests = string_map(c["resources"]["requests"]);
  result.limits = string_map(c["resources"]["limits"]);
  return result;
}

pod_state parse_pod(dom::element p) {
  pod_state result;
  result.name = text_of(p["metadata"]["name"]);
  result.phase = text_of(p["status"]["phase"]);
  result.node = text_of(p["spec"]["nodeName"]);
  dom::array statuses;
  if (p["status"]["containerStatuses"].get_array().get(statuses) == SUCCESS) {
    for (auto s : statuses) {
      container_status cs;
      cs.name = text_of(s["name"]);
      cs.restart_count = int_of(s["restartCount"], 0);
      cs.ready = bool_of(s["ready"]);
      auto state = s["state"];
      if (has(state["running"]))
        cs.state = "running";
      else if (has(state["waiting"]))
        cs.state = "waiting";
      else if (has(state["terminated"]))
        cs.state = "terminated";
      cs.waiting_reason = text_of(state["waiting"]["reason"]);
      // The most recent termination: the current state when terminated,
      // else the last one.
      auto term = has(state["terminated"]) ? state["terminated"]
                                           : s["lastState"]["terminated"];
      if (has(term)) {
        cs.last_termination_reason = text_of(term["reason"]);
        cs.last_exit_code = int_of(term["exitCode"], 0);
        cs.last_finished_at = text_of(term["finishedAt"]);
      }
      result.containers.push_back(std::move(cs));
    }
  } else {
    // No statuses yet (Pending): list the declared containers.
    dom::array specs;
    if (p["spec"]["containers"].get_array().get(specs) == SUCCESS)
      for (auto c : specs) {
        container_status cs;
        cs.name = text_of(c["name"]);
        result.containers.push_back(std::move(cs));
      }
  }
  return result;
}

event_record parse_event(dom::element e) {
  event_record result;
  result.type = text_of(e["type"]);
  result.reason = text_of(e["reason"]);
  // core/v1 first, events.k8s.io/v1 second.
  auto involved
    = has(e["involvedObject"]) ? e["involvedObject"] : e["regarding"];
  result.involved_kind = text_of(involved["kind"]);
  result.involved_name = text_of(involved["name"]);
  result.message
    = has(e["message"]) ? text_of(e["message"]) : text_of(e["note"]);
  if (has(e["count"]))
    result.count = int_of(e["count"], 1);
  else if (has(e["series"]["count"]))
    result.count = int_of(e["series"]["count"], 1);
  else if (has(e["deprecatedCount"]))
    result.count = int_of(e["deprecatedCount"], 1);
  for (auto key : {"lastTimestamp", "deprecatedLastTimestamp", "eventTime",
                   "firstTimestamp", "deprecatedFirstTimestamp"}) {
    result.last_seen = text_of(e[key]);
    if (!result.last_seen.empty())
      break;
  }
  auto observed = text_of(e["series"]["lastObservedTime"]);
  if (!observed.empty())
    result.last_seen = observed;
  if (result.last_seen.empty())
    result.last_seen = text_of(e["metadata"]["creationTimestamp"]);
  return result;
}

quota_state parse_quota(dom::element q) {
  quota_state result;
  result.name = text_of(q["metadata"]["name"]);
  result.hard = has(q["status"]["hard"]) ? string_map(q["status"]["hard"])
                                         : string_map(q["spec"]["hard"]);
  result.used = string_map(q["status"]["used"]);
  return result;
}

template <class T, class F>
caf::expected<list_page<T>> parse_list(std::string_view json,
                                       std::string_view what, F item) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, what))
    return err;
  dom::array items;
  auto present = false;
  if (auto err = list_items(doc, items, present, what))
    return err;
  list_page<T> result;
  result.continue_token = continue_of(doc);
  if (present)
    for (auto x : items)
      result.items.push_back(item(x));
  return result;
}

std::string_view head(std::string_view body, size_t n = 200) {
  return truncate_utf8(body, n);
}

bool all_of_class(std::string_view x, bool digits_only) {
  if (x.empty())
    return false;
  for (auto c : x) {
    auto digit = c >= '0' && c <= '9';
    auto lower = c >= 'a' && c <= 'z';
    if (!(digit || (!digits_only && lower)))
      return false;
  }
  return true;
}

// -- Datadog ------------------------------------------------------------------

std::string normalise_unit(std::string unit) {
  if (unit == "bytes")
    return "byte";
  if (unit == "nanocores")
    return "nanocore";
  if (unit == "cores")
    return "core";
  return unit;
}

std::string unit_of(simdjson::simdjson_result<dom::element> x) {
  dom::element e;
  if (x.get(e) != SUCCESS)
    return {};
  if (e.is_string())
    return normalise_unit(text_of(e));
  dom::array arr;
  if (e.get_array().get(arr) == SUCCESS) {
    for (auto u : arr) {
      if (!u.is_null())
        return normalise_unit(text_of(u["name"]));
      break;
    }
    return {};
  }
  return normalise_unit(text_of(e["name"]));
}

/// The value of tag `key` in a comma-separated scope or a tag list.
std::string tag_value(std::string_view scope, std::string_view key) {
  size_t pos = 0;
  while (pos <= scope.size()) {
    auto end = scope.find(',', pos);
    if (end == std::string_view::npos)
      end = scope.size();
    auto tag = scope.substr(pos, end - pos);
    while (!tag.empty() && tag.front() == ' ')
      tag.remove_prefix(1);
    if (tag.size() > key.size() && tag.substr(0, key.size()) == key
        && tag[key.size()] == ':')
      return std::string{tag.substr(key.size() + 1)};
    pos = end + 1;
  }
  return {};
}

std::string container_of(dom::element series) {
  auto result = tag_value(text_of(series["scope"]), "kube_container_name");
  if (!result.empty())
    return result;
  dom::array tags;
  if (series["tag_set"].get_array().get(tags) == SUCCESS)
    for (auto t : tags) {
      auto found = tag_value(text_of(t), "kube_container_name");
      if (!found.empty())
        return found;
    }
  return {};
}

/// The metric of a series: `metric`, else the name inside `expression`
/// ("max:kubernetes.memory.usage{...}").
std::string metric_of(dom::element series) {
  auto metric = text_of(series["metric"]);
  if (!metric.empty())
    return metric;
  std::string_view expr;
  if (series["expression"].get_string().get(expr) != SUCCESS)
    return {};
  auto colon = expr.find(':');
  auto brace = expr.find('{');
  if (colon != std::string_view::npos && colon < brace)
    expr.remove_prefix(colon + 1);
  return std::string{expr.substr(0, expr.find('{'))};
}

} // namespace

// -- Kubernetes ---------------------------------------------------------------

caf::expected<workload_state> parse_workload(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "workload"))
    return err;
  auto kind = text_of(doc["kind"]);
  if (kind == "Status")
    return make_error(ec::upstream_error,
                      "workload: got a Status: " + text_of(doc["message"]));
  workload_state result;
  result.ref.kind = kind;
  result.ref.ns = text_of(doc["metadata"]["namespace"]);
  result.ref.name = text_of(doc["metadata"]["name"]);
  if (result.ref.name.empty())
    return make_error(ec::invalid_input, "workload: no metadata.name");
  result.uid = text_of(doc["metadata"]["uid"]);
  result.resource_version = text_of(doc["metadata"]["resourceVersion"]);
  auto spec = doc["spec"];
  if (kind == "DaemonSet")
    result.replicas = int_of(doc["status"]["desiredNumberScheduled"], 0);
  else
    result.replicas = int_of(spec["replicas"], 1);
  auto strategy
    = has(spec["strategy"]) ? spec["strategy"] : spec["updateStrategy"];
  result.strategy = text_of(strategy["type"]);
  result.max_surge = text_of(strategy["rollingUpdate"]["maxSurge"]);
  result.revision
    = text_of(doc["metadata"]["annotations"]["deployment.kubernetes.io/"
                                             "revision"]);
  result.selector = string_map(spec["selector"]["matchLabels"]);
  dom::array containers;
  if (spec["template"]["spec"]["containers"].get_array().get(containers)
      == SUCCESS)
    for (auto c : containers)
      result.containers.push_back(parse_container(c));
  return result;
}

std::string
build_label_selector(const std::map<std::string, std::string>& labels) {
  std::string result;
  for (const auto& [key, value] : labels) {
    if (!result.empty())
      result += ',';
    result += key;
    result += '=';
    result += value;
  }
  return result;
}

caf::expected<std::string> parse_workload_selector(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "workload"))
    return err;
  auto selector = doc["spec"]["selector"];
  auto result = build_label_selector(string_map(selector["matchLabels"]));
  dom::array exprs;
  if (selector["matchExpressions"].get_array().get(exprs) == SUCCESS) {
    for (auto x : exprs) {
      auto key = text_of(x["key"]);
      auto op = text_of(x["operator"]);
      std::string values;
      dom::array arr;
      if (x["values"].get_array().get(arr) == SUCCESS)
        for (auto v : arr) {
          if (!values.empty())
            values += ',';
          values += text_of(v);
        }
      std::string term;
      if (op == "In")
        term = key + " in (" + values + ")";
      else if (op == "NotIn")
        term = key + " notin (" + values + ")";
      else if (op == "Exists")
        term = key;
      else if (op == "DoesNotExist")
        term = "!" + key;
      else
        return make_error(ec::invalid_input,
                          "workload: unknown selector operator " + op);
      if (!result.empty())
        result += ',';
      result += term;
    }
  }
  if (result.empty())
    return make_error(ec::invalid_input, "workload: empty selector");
  return result;
}

caf::expected<list_page<pod_state>> parse_pod_list(std::string_view json) {
  return parse_list<pod_state>(json, "pod list", parse_pod);
}

caf::expected<list_page<event_record>> parse_event_list(std::string_view json) {
  return parse_list<event_record>(json, "event list", parse_event);
}

caf::expected<list_page<quota_state>> parse_quota_list(std::string_view json) {
  return parse_list<quota_state>(json, "quota list", parse_quota);
}

caf::expected<k8s_status> parse_k8s_status(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "status"))
    return err;
  if (text_of(doc["kind"]) != "Status")
    return make_error(ec::invalid_input, "status: not a Status object");
  k8s_status result;
  result.status = text_of(doc["status"]);
  result.message = text_of(doc["message"]);
  result.reason = text_of(doc["reason"]);
  result.code = int_of(doc["code"], 0);
  return result;
}

std::string k8s_error_message(int http_status, std::string_view body) {
  auto result = "HTTP " + std::to_string(http_status);
  if (auto st = parse_k8s_status(body); st && !st->message.empty())
    return result + ": " + st->message;
  auto text = head(body);
  if (!text.empty())
    result += ": " + std::string{text};
  return result;
}

bool is_workload_event(const event_record& event, const workload_ref& workload,
                       const std::set<std::string>& pods,
                       const std::set<std::string>& nodes) {
  const auto& name = event.involved_name;
  if (event.involved_kind == "Node")
    return nodes.count(name) > 0;
  if (name == workload.name)
    return true;
  if (event.involved_kind == "Pod" && pods.count(name) > 0)
    return true;
  auto prefix = workload.name + "-";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix))
    return false;
  auto rest = std::string_view{name}.substr(prefix.size());
  if (workload.kind == "Deployment") {
    if (event.involved_kind == "ReplicaSet")
      return all_of_class(rest, false);
    if (event.involved_kind == "Pod") {
      auto dash = rest.find('-');
      return dash != std::string_view::npos
             && all_of_class(rest.substr(0, dash), false)
             && rest.size() - dash - 1 == 5
             && all_of_class(rest.substr(dash + 1), false);
    }
    return false;
  }
  if (event.involved_kind != "Pod")
    return false;
  if (workload.kind == "StatefulSet")
    return all_of_class(rest, true);
  if (workload.kind == "DaemonSet")
    return rest.size() == 5 && all_of_class(rest, false);
  return false;
}

std::vector<event_record> select_events(std::vector<event_record> events,
                                        size_t cap) {
  auto key = [](const event_record& x) {
    return std::tie(x.involved_kind, x.involved_name, x.reason, x.message,
                    x.last_seen, x.count, x.type);
  };
  std::vector<std::pair<int64_t, size_t>> order;
  order.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    order.emplace_back(parse_rfc3339_ms(events[i].last_seen).value_or(0), i);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& x, const auto& y) {
                     return x.first > y.first;
                   });
  std::vector<event_record> result;
  result.reserve(std::min(cap, events.size()));
  for (const auto& [ms, i] : order) {
    if (result.size() >= cap)
      break;
    auto dup = std::any_of(result.begin(), result.end(), [&](const auto& x) {
      return x.last_seen == events[i].last_seen && key(x) == key(events[i]);
    });
    if (!dup)
      result.push_back(std::move(events[i]));
  }
  return result;
}

// -- Datadog ------------------------------------------------------------------

double percentile_nearest_rank(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto n = static_cast<double>(sorted.size());
  auto rank = std::ceil(p * n / 100.0 - 1e-9);
  auto idx = static_cast<size_t>(std::clamp(rank, 1.0, n)) - 1;
  return sorted[idx];
}

std::string default_unit(std::string_view metric) {
  if (metric.find("memory") != std::string_view::npos)
    return "byte";
  if (metric.find("cpu.requests") != std::string_view::npos
      || metric.find("cpu.limits") != std::string_view::npos)
    return "core";
  if (metric.find("cpu") != std::string_view::npos)
    return "nanocore";
  return "count";
}

std::string window_label(std::chrono::seconds window) {
  auto s = window.count();
  if (s % 86400 == 0 && s > 86400)
    return std::to_string(s / 86400) + "d";
  if (s % 3600 == 0 && s > 0)
    return std::to_string(s / 3600) + "h";
  if (s % 60 == 0 && s > 0)
    return std::to_string(s / 60) + "m";
  return std::to_string(s) + "s";
}

caf::expected<std::vector<series_summary>>
summarise_metric_response(std::string_view json, std::string_view window) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "metric query"))
    return err;
  if (text_of(doc["status"]) == "error") {
    auto msg = text_of(doc["error"]);
    return make_error(ec::upstream_error,
                      "metric query: " + (msg.empty() ? "error" : msg));
  }
  std::vector<series_summary> result;
  dom::array series;
  if (!has(doc["series"]))
    return result;
  if (doc["series"].get_array().get(series) != SUCCESS)
    return make_error(ec::invalid_input,
                      "metric query: `series` is not an array");
  std::vector<double> values;
  for (auto s : series) {
    series_summary sum;
    sum.metric = metric_of(s);
    sum.container = container_of(s);
    sum.window = std::string{window};
    sum.unit = unit_of(s["unit"]);
    if (sum.unit.empty())
      sum.unit = default_unit(sum.metric);
    values.clear();
    auto last_ts = -std::numeric_limits<double>::infinity();
    dom::array points;
    if (s["pointlist"].get_array().get(points) == SUCCESS)
      for (auto p : points) {
        dom::array pair;
        if (p.get_array().get(pair) != SUCCESS)
          continue;
        auto ts = number_of(pair.at(0));
        auto v = number_of(pair.at(1));
        if (!v || !std::isfinite(*v))
          continue;
        values.push_back(*v);
        if (ts && *ts >= last_ts) {
          last_ts = *ts;
          sum.last = *v;
        }
      }
    if (values.empty())
      continue;
    std::sort(values.begin(), values.end());
    sum.samples = static_cast<int64_t>(values.size());
    sum.p50 = percentile_nearest_rank(values, 50);
    sum.p95 = percentile_nearest_rank(values, 95);
    sum.p99 = percentile_nearest_rank(values, 99);
    sum.max = values.back();
    result.push_back(std::move(sum));
  }
  return result;
}

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

// -- Datadog requests ---------------------------------------------------------

std::string datadog_scope(const fetch_scope& scope) {
  const auto& ref = scope.workload;
  std::string result = "kube_namespace:" + ref.ns;
  auto tag = std::string{"kube_deployment"};
  if (ref.kind == "StatefulSet")
    tag = "kube_stateful_set";
  else if (ref.kind == "DaemonSet")
    tag = "kube_daemon_set";
  if (!ref.name.empty())
    result += "," + tag + ":" + ref.name;
  if (!scope.cluster.empty())
    result += ",kube_cluster_name:" + scope.cluster;
  return result;
}

std::vector<metric_query> plan_metric_queries(const fetch_scope& scope,
                                              const datadog_config& cfg) {
  using std::chrono::seconds;
  static constexpr const char* sizing_metrics[] = {
    "kubernetes.memory.working_set", "kubernetes.memory.usage",
    "kubernetes.memory.rss",         "kubernetes.memory.limits",
    "kubernetes.memory.requests",    "kubernetes.containers.restarts",
    "kubernetes.cpu.usage.total",
  };
  auto tags = datadog_scope(scope);
  auto make = [&](const char* metric, seconds window) {
    metric_query q;
    q.metric = metric;
    q.query = std::string{"max:"} + metric + "{" + tags
              + "} by {kube_container_name}";
    q.to_s = scope.alert_time_s;
    q.from_s = scope.alert_time_s - window.count();
    q.window = window_label(window);
    return q;
  };
  std::vector<metric_query> result;
  auto sizing = std::chrono::duration_cast<seconds>(cfg.sizing_window);
  for (auto metric : sizing_metrics)
    result.push_back(make(metric, sizing));
  result.push_back(make("kubernetes.memory.working_set",
                        std::chrono::duration_cast<seconds>(cfg.short_window)));
  return result;
}

std::string datadog_logs_query(const fetch_scope& scope) {
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
  result += " (status:error OR status:warn OR status:critical)";
  return result;
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
