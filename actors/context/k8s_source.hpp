#pragma once

#include "actors/common/http_client.hpp"
#include "actors/context/context_merge.hpp"

#include <chrono>
#include <cstddef>

namespace kfix::context {

/// Caps of the Kubernetes fetch; they bound calls and memory.
struct k8s_limits {
  /// `limit` of every list call.
  int page_size = 500;
  /// Pages followed through `continue` per list.
  int max_pages = 10;
  size_t max_pods = 500;
  size_t max_events = 500;
  /// Up to this many pods (and nodes), events are listed per object with a
  /// `fieldSelector`; beyond it, one list of the namespace (of `default` for
  /// Node events) is filtered here.
  size_t max_event_queries_per_pod = 8;
};

/// Reads the alert's workload, its pods, the events of the workload, its
/// ReplicaSets, pods and their nodes, and the namespace's quotas from the
/// Kubernetes API. Reports `kubernetes.workload`,
/// `kubernetes.pods`, `kubernetes.events` and `kubernetes.quotas`: 403/404
/// and other non-2xx answers become `error` reports with the Status message,
/// network failures `error` or `timeout`; a 404 on the workload skips the
/// rest; calls are cut to the deadline and what was not fetched in time is
/// reported as `timeout`. Never throws.
context_part fetch_kubernetes(http::client& client, const api_endpoint& api,
                              const fetch_scope& scope,
                              std::chrono::steady_clock::time_point deadline,
                              const k8s_limits& limits = k8s_limits{});

/// The collection path of a workload kind ("deployments"), or "" for an
/// unknown kind.
std::string workload_resource(const std::string& kind);

} // namespace kfix::context
