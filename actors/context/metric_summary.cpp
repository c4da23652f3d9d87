#include "actors/context/metric_summary.hpp"

#include "actors/context/json_dom.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <tuple>

namespace kfix::context {

namespace {

using namespace json_dom;
using simdjson::SUCCESS;

/// Container metrics: `max` across the workload's pods, by container.
constexpr const char* memory_metrics[] = {
  metric_names::memory_usage,    metric_names::memory_working_set,
  metric_names::memory_rss,      metric_names::memory_limits,
  metric_names::memory_requests,
};
constexpr const char* cpu_metrics[] = {
  metric_names::cpu_usage,
  metric_names::cpu_limits,
  metric_names::cpu_requests,
  metric_names::cfs_periods,
  metric_names::cfs_throttled_periods,
  metric_names::cfs_throttled_seconds,
};

bool starts_with(std::string_view x, std::string_view prefix) {
  return x.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view x, std::string_view suffix) {
  return x.size() >= suffix.size()
         && x.substr(x.size() - suffix.size()) == suffix;
}

/// The value of tag `key` in a comma-separated scope.
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

/// The value of `key` in the series' scope, else in its tag_set.
std::string series_tag(dom::element series, std::string_view key) {
  auto result = tag_value(text_of(series["scope"]), key);
  if (result.empty()) {
    dom::array tags;
    if (series["tag_set"].get_array().get(tags) == SUCCESS)
      for (auto t : tags) {
        result = tag_value(text_of(t), key);
        if (!result.empty())
          break;
      }
  }
  return result == "N/A" ? std::string{} : result;
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

/// The space aggregator: `aggr`, else the prefix of `expression`.
std::string aggregation_of(dom::element series) {
  auto aggr = text_of(series["aggr"]);
  if (!aggr.empty())
    return aggr;
  auto expr = text_of(series["expression"]);
  auto colon = expr.find(':');
  auto brace = expr.find('{');
  if (colon != std::string::npos && colon < brace)
    return expr.substr(0, colon);
  return {};
}

/// A unit name in K-Fix's vocabulary and the factor to the base unit.
struct unit_scale {
  std::string name;
  double factor = 1;
};

unit_scale normalise(std::string_view family, std::string_view name,
                     double scale_factor) {
  if (family == "bytes" || name == "byte" || name == "bytes")
    return {"byte", scale_factor};
  if (family == "cpu" || name == "nanocore" || name == "core")
    return {"core", scale_factor};
  if (family == "time" || name == "second" || name == "nanosecond")
    return {"second", scale_factor};
  return {std::string{name}, 1};
}

/// The unit of a Datadog name without a scale factor in the response.
unit_scale normalise_name(std::string_view name) {
  if (name == "nanocore" || name == "nanocores")
    return {"core", 1e-9};
  if (name == "millicore" || name == "millicores")
    return {"core", 1e-3};
  if (name == "core" || name == "cores")
    return {"core", 1};
  if (name == "byte" || name == "bytes")
    return {"byte", 1};
  if (name == "kibibyte")
    return {"byte", 1024};
  if (name == "mebibyte")
    return {"byte", 1048576};
  if (name == "nanosecond")
    return {"second", 1e-9};
  if (name == "millisecond")
    return {"second", 1e-3};
  if (name == "second" || name == "seconds")
    return {"second", 1};
  return {std::string{name}, 1};
}

unit_scale unit_of(dom::element series, const std::string& metric) {
  dom::array arr;
  if (series["unit"].get_array().get(arr) == SUCCESS) {
    unit_scale primary;
    std::string per;
    size_t i = 0;
    for (auto u : arr) {
      if (i == 0 && !u.is_null()) {
        auto scale = number_of(u["scale_factor"]);
        primary
          = scale ? normalise(text_of(u["family"]), text_of(u["name"]), *scale)
                  : normalise_name(text_of(u["name"]));
      } else if (i == 1 && !u.is_null()) {
        per = text_of(u["name"]);
      }
      ++i;
    }
    if (!primary.name.empty()) {
      if (!per.empty())
        primary.name += "/" + per;
      return primary;
    }
  } else if (series["unit"].is_string()) {
    return normalise_name(text_of(series["unit"]));
  }
  auto result = normalise_name(default_unit(metric));
  // Rates without a unit in the response.
  if (metric == metric_names::cfs_periods
      || metric == metric_names::cfs_throttled_periods
      || (starts_with(metric, "trace.")
          && (ends_with(metric, ".hits") || ends_with(metric, ".errors"))))
    result.name = "per_second";
  else if (metric == metric_names::cfs_throttled_seconds)
    result.name = "second/second";
  return result;
}

series_summary summarise(const metric_series& s, std::string_view window,
                         std::vector<double>& scratch) {
  series_summary sum;
  sum.metric = s.metric;
  sum.container = s.container;
  sum.service = s.service;
  sum.window = std::string{window};
  sum.unit = s.unit;
  sum.aggregation = s.aggregation;
  scratch.clear();
  auto last_ts = -std::numeric_limits<double>::infinity();
  for (const auto& [ts, v] : s.points) {
    scratch.push_back(v);
    if (ts >= last_ts) {
      last_ts = ts;
      sum.last = v;
    }
  }
  std::sort(scratch.begin(), scratch.end());
  sum.samples = static_cast<int64_t>(scratch.size());
  sum.p50 = percentile_nearest_rank(scratch, 50);
  sum.p95 = percentile_nearest_rank(scratch, 95);
  sum.p99 = percentile_nearest_rank(scratch, 99);
  sum.max = scratch.empty() ? 0 : scratch.back();
  return sum;
}

/// num / den point by point (same timestamps, den > 0).
metric_series ratio(const metric_series& num, const metric_series& den,
                    std::string metric) {
  metric_series result;
  result.metric = std::move(metric);
  result.container = num.container;
  result.service = num.service;
  result.unit = "fraction";
  result.aggregation = "derived";
  std::map<double, double> by_ts(den.points.begin(), den.points.end());
  for (const auto& [ts, v] : num.points) {
    auto i = by_ts.find(ts);
    if (i != by_ts.end() && i->second > 0)
      result.points.emplace_back(ts, v / i->second);
  }
  return result;
}

/// The derived series: throttled ratio per container, error rate per
/// service and operation.
std::vector<metric_series> derived(const std::vector<metric_series>& series) {
  std::vector<metric_series> result;
  auto find = [&](const std::string& metric, const metric_series& like) {
    for (const auto& s : series)
      if (s.metric == metric && s.container == like.container
          && s.service == like.service)
        return &s;
    return static_cast<const metric_series*>(nullptr);
  };
  for (const auto& s : series) {
    if (s.metric == metric_names::cfs_throttled_periods) {
      if (const auto* den = find(metric_names::cfs_periods, s))
        result.push_back(ratio(s, *den, metric_names::cpu_throttled_ratio));
    } else if (starts_with(s.metric, "trace.")
               && ends_with(s.metric, ".errors")) {
      auto op = s.metric.substr(0, s.metric.size() - 7);
      if (const auto* den = find(op + ".hits", s))
        result.push_back(ratio(s, *den, op + ".error_rate"));
    }
  }
  return result;
}

std::string join_queries(const std::vector<std::string>& queries) {
  std::string result;
  for (const auto& q : queries) {
    if (!result.empty())
      result += ",";
    result += q;
  }
  return result;
}

} // namespace

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
  else if (!scope.pod.empty())
    result += ",pod_name:" + scope.pod;
  if (!scope.cluster.empty())
    result += ",kube_cluster_name:" + scope.cluster;
  return result;
}

std::string apm_service(const fetch_scope& scope) {
  return scope.service.empty() ? scope.workload.name : scope.service;
}

std::vector<metric_query> plan_metric_queries(const fetch_scope& scope,
                                              const datadog_config& cfg) {
  using std::chrono::seconds;
  auto tags = datadog_scope(scope);
  auto by_container = [&](const char* metric) {
    return std::string{"max:"} + metric + "{" + tags
           + "} by {kube_container_name}";
  };
  std::vector<metric_query> families;
  auto add = [&](std::string family, std::vector<std::string> metrics,
                 std::vector<std::string> queries) {
    metric_query q;
    q.family = std::move(family);
    q.metrics = std::move(metrics);
    q.query = join_queries(queries);
    families.push_back(std::move(q));
  };
  auto add_by_container = [&](std::string family, const auto& names) {
    std::vector<std::string> metrics;
    std::vector<std::string> queries;
    for (const char* m : names) {
      metrics.emplace_back(m);
      queries.push_back(by_container(m));
    }
    add(std::move(family), std::move(metrics), std::move(queries));
  };
  add_by_container("memory", memory_metrics);
  add_by_container("cpu", cpu_metrics);
  add("pod", {metric_names::restarts, metric_names::ephemeral_storage_usage},
      {by_container(metric_names::restarts),
       std::string{"max:"} + metric_names::ephemeral_storage_usage + "{" + tags
         + "}"});
  auto service = apm_service(scope);
  if (!service.empty() && !cfg.apm_operations.empty()) {
    auto apm_tags = "service:" + service;
    if (!scope.env.empty())
      apm_tags += ",env:" + scope.env;
    std::vector<std::string> metrics;
    std::vector<std::string> queries;
    for (const auto& op : cfg.apm_operations) {
      auto base = "trace." + op;
      metrics.push_back(base + ".hits");
      queries.push_back("sum:" + base + ".hits{" + apm_tags + "}.as_rate()");
      metrics.push_back(base + ".errors");
      queries.push_back("sum:" + base + ".errors{" + apm_tags + "}.as_rate()");
      metrics.push_back(base);
      queries.push_back("p99:" + base + "{" + apm_tags + "}");
      // The older per-service percentile gauge of the same span, which
      // many monitors still alert on.
      metrics.push_back(base + ".duration.by.service.99p");
      queries.push_back("avg:" + base + ".duration.by.service.99p{" + apm_tags
                        + "}");
    }
    add("apm", std::move(metrics), std::move(queries));
  }
  std::vector<metric_query> result;
  for (auto window : {std::chrono::duration_cast<seconds>(cfg.sizing_window),
                      std::chrono::duration_cast<seconds>(cfg.short_window)}) {
    for (auto q : families) {
      q.to_s = scope.alert_time_s;
      q.from_s = scope.alert_time_s - window.count();
      q.window = window_label(window);
      result.push_back(std::move(q));
    }
  }
  return result;
}

std::string default_unit(std::string_view metric) {
  if (metric.find("memory") != std::string_view::npos
      || metric.find("ephemeral_storage") != std::string_view::npos)
    return "byte";
  if (metric.find("cpu.requests") != std::string_view::npos
      || metric.find("cpu.limits") != std::string_view::npos)
    return "core";
  if (metric.find("cpu.usage") != std::string_view::npos)
    return "nanocore";
  if (metric.find("cfs.throttled.seconds") != std::string_view::npos)
    return "second";
  if (starts_with(metric, "trace.") && !ends_with(metric, ".hits")
      && !ends_with(metric, ".errors"))
    return "second";
  return "count";
}

caf::expected<std::vector<metric_series>>
parse_metric_response(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "metric query"))
    return err;
  if (text_of(doc["status"]) == "error") {
    auto msg = text_of(doc["error"]);
    return make_error(ec::upstream_error,
                      "metric query: " + (msg.empty() ? "error" : msg));
  }
  std::vector<metric_series> result;
  if (!has(doc["series"]))
    return result;
  dom::array series;
  if (doc["series"].get_array().get(series) != SUCCESS)
    return make_error(ec::invalid_input,
                      "metric query: `series` is not an array");
  for (auto s : series) {
    metric_series out;
    out.metric = metric_of(s);
    out.container = series_tag(s, "kube_container_name");
    if (starts_with(out.metric, "trace."))
      out.service = series_tag(s, "service");
    out.aggregation = aggregation_of(s);
    auto unit = unit_of(s, out.metric);
    out.unit = unit.name;
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
        out.points.emplace_back(ts.value_or(0), *v * unit.factor);
      }
    if (!out.points.empty())
      result.push_back(std::move(out));
  }
  return result;
}

double percentile_nearest_rank(const std::vector<double>& sorted, double p) {
  if (sorted.empty())
    return 0;
  auto n = static_cast<double>(sorted.size());
  auto rank = std::ceil(p * n / 100.0 - 1e-9);
  auto idx = static_cast<size_t>(std::clamp(rank, 1.0, n)) - 1;
  return sorted[idx];
}

std::vector<series_summary>
summarise_series(const std::vector<metric_series>& series,
                 std::string_view window) {
  std::vector<series_summary> result;
  std::vector<double> scratch;
  for (const auto& s : series)
    if (!s.points.empty())
      result.push_back(summarise(s, window, scratch));
  for (const auto& s : derived(series))
    if (!s.points.empty())
      result.push_back(summarise(s, window, scratch));
  return result;
}

caf::expected<std::vector<series_summary>>
summarise_metric_response(std::string_view json, std::string_view window) {
  auto series = parse_metric_response(json);
  if (!series)
    return series.error();
  return summarise_series(*series, window);
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

} // namespace kfix::context
