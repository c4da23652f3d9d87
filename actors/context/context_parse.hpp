#pragma once

#include "actors/common/time_text.hpp"
#include "actors/context/context_merge.hpp"
#include "config/config.hpp"
#include "messages/context.hpp"
#include "messages/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kfix::context {

// -- Kubernetes ---------------------------------------------------------------

/// One page of a Kubernetes list: its items and the `metadata.continue`
/// token ("" on the last page).
template <class T>
struct list_page {
  std::vector<T> items;
  std::string continue_token;
};

/// The `Status` object of a failed Kubernetes call.
struct k8s_status {
  std::string status;  // Failure
  std::string message; // deployments.apps "checkout" not found
  std::string reason;  // NotFound
  int32_t code = 0;    // 404
};

/// Parses a Deployment, StatefulSet or DaemonSet as the API returns it on
/// GET: uid, resourceVersion, replicas, strategy and maxSurge, revision
/// annotation, selector matchLabels and the template's containers with their
/// requests and limits.
[[nodiscard]] caf::expected<workload_state>
parse_workload(std::string_view json);

/// The label selector of a workload (`spec.selector`) in the query syntax of
/// `labelSelector`: matchLabels as `k=v`, then matchExpressions (`k in (a,b)`,
/// `k notin (a)`, `k`, `!k`), comma-joined. An error when the workload has
/// no selector, so that a caller never lists the whole namespace by mistake.
[[nodiscard]] caf::expected<std::string>
parse_workload_selector(std::string_view json);

/// Builds `a=1,b=2` from matchLabels.
std::string
build_label_selector(const std::map<std::string, std::string>& labels);

/// Parses a PodList: phase, node and container statuses (restarts,
/// readiness, state, waiting reason, and the most recent termination: the
/// current state when terminated, else `lastState.terminated`).
[[nodiscard]] caf::expected<list_page<pod_state>>
parse_pod_list(std::string_view json);

/// Parses a core/v1 EventList or an events.k8s.io/v1 EventList.
[[nodiscard]] caf::expected<list_page<event_record>>
parse_event_list(std::string_view json);

/// Parses a ResourceQuotaList: `status.hard` (else `spec.hard`) and
/// `status.used`.
[[nodiscard]] caf::expected<list_page<quota_state>>
parse_quota_list(std::string_view json);

/// Parses a Kubernetes `Status` (the body of every non-2xx answer).
[[nodiscard]] caf::expected<k8s_status> parse_k8s_status(std::string_view json);

/// "HTTP 403: <Status message>", or the start of the body when it is no
/// Status.
std::string k8s_error_message(int http_status, std::string_view body);

/// Whether an event concerns the workload: the workload itself (or an
/// object of the same name: HPA, PDB, Service), one of `pods`, one of
/// `nodes` (kind Node: node-problem-detector OOM kills, pressure), or (by
/// name pattern) a ReplicaSet or Pod of the workload that is gone already
/// (`<name>-<hash>`, `<name>-<hash>-<suffix>`, `<name>-<n>`).
bool is_workload_event(const event_record& event, const workload_ref& workload,
                       const std::set<std::string>& pods,
                       const std::set<std::string>& nodes = {});

/// Sorts events newest first (by `last_seen`), drops exact duplicates and
/// keeps at most `cap`.
std::vector<event_record> select_events(std::vector<event_record> events,
                                        size_t cap);

// -- Datadog ------------------------------------------------------------------

/// The nearest-rank percentile `p` (0 < p <= 100) of ascending `sorted`
/// values: the value at rank ceil(p / 100 * n); 0 for no values.
double percentile_nearest_rank(const std::vector<double>& sorted, double p);

/// The unit K-Fix uses for a metric when the response names none: byte for
/// memory, nanocore for CPU usage, core for CPU requests and limits, count
/// otherwise.
std::string default_unit(std::string_view metric);

/// A window label: "7d" for whole days beyond one day, else hours ("24h",
/// "1h"), else minutes ("30m").
std::string window_label(std::chrono::seconds window);

/// Summarises every series of a `GET /api/v1/query` response into one
/// `series_summary` (container from `kube_container_name` in `scope` or
/// `tag_set`; null points skipped; series without a point dropped). An error
/// when the body is no JSON or has `status: error`.
[[nodiscard]] caf::expected<std::vector<series_summary>>
summarise_metric_response(std::string_view json, std::string_view window);

/// One page of a Logs Search v2 answer.
struct logs_page {
  std::vector<log_record> records;
  /// `meta.page.after`; empty on the last page.
  std::string next_cursor;
  /// `meta.status` was `timeout`: the server returned partial results.
  bool server_partial = false;
  /// `meta.warnings[].title`.
  std::vector<std::string> warnings;
};

/// Parses a Logs Search v2 page, keeping at most `max_records` records.
/// Messages are redacted and truncated (log_redaction) before they are kept.
[[nodiscard]] caf::expected<logs_page>
parse_logs_page(std::string_view json,
                size_t max_records = std::numeric_limits<size_t>::max());

/// The messages of a Datadog error body: `errors[]` elements as strings or
/// objects (`title: detail`), or the `error` string of a v1 query. An error
/// when the body is not JSON (429 bodies may be HTML).
[[nodiscard]] caf::expected<std::vector<std::string>>
parse_datadog_errors(std::string_view json);

/// "HTTP 429: <errors joined by '; '>", or the start of the body.
std::string datadog_error_message(int http_status, std::string_view body);

// -- Datadog requests ---------------------------------------------------------

/// One `GET /api/v1/query` of the Datadog fetch.
struct metric_query {
  std::string metric;
  /// `max:<metric>{<scope>} by {kube_container_name}`.
  std::string query;
  int64_t from_s = 0;
  int64_t to_s = 0;
  std::string window;
};

/// The Datadog tag scope of the alert's workload:
/// `kube_namespace:<ns>,kube_deployment:<name>` (`kube_stateful_set`,
/// `kube_daemon_set` by kind), plus `kube_cluster_name:<cluster>` when
/// known.
std::string datadog_scope(const fetch_scope& scope);

/// The metric queries: working set, usage, RSS, memory limits and requests,
/// restarts and CPU usage over the sizing window ending at the alert, and the
/// working set again over the short window.
std::vector<metric_query> plan_metric_queries(const fetch_scope& scope,
                                              const datadog_config& cfg);

/// The Logs Search query: namespace, then `service:<s>` when the alert has a
/// service, else the workload tag, then error, warn and critical statuses.
std::string datadog_logs_query(const fetch_scope& scope);

/// The body of `POST /api/v2/logs/events/search`: the query, from alert
/// time - 1 h to alert time + 5 min (RFC 3339), newest first, `page.limit`
/// and the cursor of the previous page (if any).
std::string logs_request_body(const fetch_scope& scope, int limit,
                              const std::string& cursor);

/// The API base URL: `api_url` when set, else the site's
/// (`us1` -> https://api.datadoghq.com, `eu` -> https://api.datadoghq.eu).
std::string datadog_base_url(const datadog_config& cfg);

} // namespace kfix::context
