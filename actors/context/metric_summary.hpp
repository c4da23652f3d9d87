#pragma once

#include "actors/context/context_merge.hpp"
#include "config/config.hpp"
#include "messages/context.hpp"
#include "messages/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/// The Datadog metric side of the context, pure: which queries to send
/// (`GET /api/v1/query`, several comma-separated queries per request), and
/// how their series become per-container (or per-service) summaries with
/// normalised units and the derived ratios.
namespace kfix::context {

/// One `GET /api/v1/query` of the Datadog fetch: a family of metrics over
/// one window, as comma-separated queries.
struct metric_query {
  /// memory | cpu | pod | apm.
  std::string family;
  /// The metrics asked for, in query order.
  std::vector<std::string> metrics;
  /// `max:<metric>{<scope>} by {kube_container_name},...`.
  std::string query;
  int64_t from_s = 0;
  int64_t to_s = 0;
  std::string window;
};

/// The Datadog tag scope of the alert's workload:
/// `kube_namespace:<ns>,kube_deployment:<name>` (`kube_stateful_set`,
/// `kube_daemon_set` by kind; `pod_name:<pod>` when the alert names only a
/// pod), plus `kube_cluster_name:<cluster>` when known.
std::string datadog_scope(const fetch_scope& scope);

/// The APM service of the alert: its `service` tag, else the workload's
/// name (unified service tagging names the service after the workload).
std::string apm_service(const fetch_scope& scope);

/// The metric queries, for the sizing window and the short window each
/// ending at the alert time: memory (usage, working set, RSS, limits,
/// requests), CPU (usage, limits, requests, CFS periods, throttled periods
/// and seconds), pod (restarts, ephemeral storage) by container with the
/// `max` space aggregator, and APM per operation of `cfg.apm_operations`
/// for the service (`sum:` hits and errors as rates, `p99:` latency).
std::vector<metric_query> plan_metric_queries(const fetch_scope& scope,
                                              const datadog_config& cfg);

/// One series of a query response, its values normalised.
struct metric_series {
  std::string metric;
  /// kube_container_name of the series (empty when it has none, `N/A`).
  std::string container;
  /// The `service` tag of trace metrics.
  std::string service;
  std::string unit;
  /// The space aggregator of its query (max, sum, p99, ...).
  std::string aggregation;
  /// (timestamp ms, value); null points dropped.
  std::vector<std::pair<double, double>> points;
};

/// The Datadog unit of a metric when the response names none: nanocore for
/// CPU usage, core for CPU requests and limits, byte for memory and
/// storage, second for trace latency, count otherwise.
std::string default_unit(std::string_view metric);

/// Parses a `GET /api/v1/query` response into series with normalised
/// units: `unit` arrays (or `default_unit`) scaled to byte, core and second
/// by their scale factor (nanocores / 1e9), rates marked `/second`. An error
/// when the body is no JSON or has `status: error`.
[[nodiscard]] caf::expected<std::vector<metric_series>>
parse_metric_response(std::string_view json);

/// The nearest-rank percentile `p` (0 < p <= 100) of ascending `sorted`
/// values: the value at rank ceil(p / 100 * n); 0 for no values.
double percentile_nearest_rank(const std::vector<double>& sorted, double p);

/// Summarises series (p50/p95/p99/max/last and sample count; series
/// without points dropped) and adds the derived ratios point by point: the
/// throttled ratio (throttled periods / periods) per container and the
/// error rate (errors / hits) per service and operation.
std::vector<series_summary>
summarise_series(const std::vector<metric_series>& series,
                 std::string_view window);

/// `parse_metric_response` then `summarise_series`.
[[nodiscard]] caf::expected<std::vector<series_summary>>
summarise_metric_response(std::string_view json, std::string_view window);

/// A window label: "7d" for whole days beyond one day, else hours ("24h",
/// "1h"), else minutes ("30m").
std::string window_label(std::chrono::seconds window);

} // namespace kfix::context
