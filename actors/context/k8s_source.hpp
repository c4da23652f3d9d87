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
  /// Events kept (the newest); every page up to `max_pages` is read, and
  /// at most twice this many are held while reading.
  size_t max_events = 500;
  /// Up to this many pods (and nodes), events are listed per object with a
  /// `fieldSelector`; beyond it, one list of the namespace (of `default` for
  /// Node events) is filtered here.
  size_t max_event_queries_per_pod = 8;
  /// Revisions (ReplicaSets, ControllerRevisions) kept, newest first.
  size_t max_revisions = 20;
  /// Secrets and ConfigMaps checked for existence.
  size_t max_config_objects = 20;
  /// Nodes summarised when pods are Pending.
  size_t max_nodes = 200;
  /// The largest response body accepted.
  size_t max_response_bytes = 64u << 20;
};

/// The report names of the Kubernetes fetch, in order.
inline constexpr const char* kubernetes_sources[] = {
  "kubernetes.workload", "kubernetes.revisions", "kubernetes.pods",
  "kubernetes.events",   "kubernetes.quotas",    "kubernetes.limitranges",
  "kubernetes.hpa",      "kubernetes.pdb",       "kubernetes.config",
  "kubernetes.nodes",
};

/// Reads what the Kubernetes API says about the alert's workload: the
/// object (the kind is discovered when the alert names none; an alert that
/// names only a pod gets the pod's controller, through its ReplicaSet for a
/// Deployment); its revisions
/// (ReplicaSets of a Deployment, ControllerRevisions otherwise) with pod
/// templates; its pods by label selector; the events of the workload, its
/// ReplicaSets, pods and their nodes; the namespace's ResourceQuotas and
/// LimitRanges; the HPA targeting it; the PDBs selecting its pods; whether
/// the Secrets and ConfigMaps it uses exist; and, when pods are Pending,
/// every node's allocatable and requested resources.
///
/// Independent calls run concurrently. Each part has its report (see
/// `kubernetes_sources`): 403, 404 and other non-2xx answers are `error`
/// with the HTTP status and the Status message (a Secret that 404s is
/// evidence, `missing`, not an error); network failures are `error` or
/// `timeout`; a 404 on the workload skips the rest; calls are cut to the
/// deadline and what was not fetched in time is `timeout`. Lists are paged
/// and capped, so memory stays bounded. Never throws.
context_part fetch_kubernetes(http::client& client, const api_endpoint& api,
                              const fetch_scope& scope,
                              std::chrono::steady_clock::time_point deadline,
                              const k8s_limits& limits = k8s_limits{});

/// The collection path of a workload kind ("deployments"), or "" for an
/// unknown kind.
std::string workload_resource(const std::string& kind);

} // namespace kfix::context
