#pragma once

#include "messages/context.hpp"
#include "messages/error.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

/// Parsers of the Kubernetes objects the context needs, as the API returns
/// them (GET of one object, pages of lists), into the bundle's types. Pure:
/// no I/O. Every parser tolerates missing fields; a body that is no JSON, or
/// a `Status` where an object was expected, is an error.
namespace kfix::context {

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

// -- the workload -------------------------------------------------------------

/// Parses a Deployment, StatefulSet or DaemonSet as the API returns it on
/// GET: identity, replicas and status counts, strategy, revision annotation,
/// selector, conditions, and the template's containers with their requests,
/// limits, probes and environment references.
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

/// The Secrets and ConfigMaps the workload's pod template uses: env
/// `valueFrom` (with the key), `envFrom`, volumes (also projected) and
/// `imagePullSecrets`, one entry per use. Status `unknown` until checked.
[[nodiscard]] caf::expected<std::vector<config_reference>>
parse_config_references(std::string_view workload_json);

/// The keys of a Secret or ConfigMap (`data`, `binaryData`, `stringData`);
/// the values are not kept.
[[nodiscard]] caf::expected<std::set<std::string>>
parse_config_keys(std::string_view json);

// -- revisions ----------------------------------------------------------------

/// Parses a ReplicaSetList into the Deployment's revisions: only the
/// ReplicaSets its controller ownerReference ties to `w.uid` (all when the
/// uid is unknown), with the revision annotation, counts and template
/// containers; `current` for the one whose revision equals `w.revision`.
[[nodiscard]] caf::expected<list_page<revision_state>>
parse_replica_set_list(std::string_view json, const workload_state& w);

/// Parses a ControllerRevisionList into a StatefulSet's or DaemonSet's
/// revisions (owned by `w.uid`; containers from `data.spec.template`);
/// `current` for the StatefulSet's `updateRevision`, or the highest
/// revision of a DaemonSet.
[[nodiscard]] caf::expected<list_page<revision_state>>
parse_controller_revision_list(std::string_view json, const workload_state& w);

/// Sorts revisions newest first and keeps at most `cap`; for a
/// DaemonSet-style list without a marked current one, marks the newest.
void order_revisions(std::vector<revision_state>& revisions, size_t cap,
                     bool mark_newest_current);

// -- pods, events, quotas -----------------------------------------------------

/// Parses a PodList: phase, node, owner, revision hash, conditions, start
/// time, the sum of requests, and container statuses (state and its
/// reasons and messages, restarts, readiness, the most recent termination:
/// the current state when terminated, else `lastState.terminated`).
[[nodiscard]] caf::expected<list_page<pod_state>>
parse_pod_list(std::string_view json);

/// Parses a core/v1 EventList or an events.k8s.io/v1 EventList.
[[nodiscard]] caf::expected<list_page<event_record>>
parse_event_list(std::string_view json);

/// Parses a ResourceQuotaList: `status.hard` (else `spec.hard`),
/// `status.used` and `spec.scopes`.
[[nodiscard]] caf::expected<list_page<quota_state>>
parse_quota_list(std::string_view json);

/// Parses a LimitRangeList.
[[nodiscard]] caf::expected<list_page<limit_range_state>>
parse_limit_range_list(std::string_view json);

/// Parses a HorizontalPodAutoscalerList (autoscaling/v2), keeping the HPAs
/// whose `scaleTargetRef` is `target` (kind and name).
[[nodiscard]] caf::expected<list_page<hpa_state>>
parse_hpa_list(std::string_view json, const workload_ref& target);

/// Parses a PodDisruptionBudgetList, keeping those whose selector selects
/// `pod_labels` (an empty selector selects every pod, as in policy/v1).
[[nodiscard]] caf::expected<list_page<pdb_state>>
parse_pdb_list(std::string_view json,
               const std::map<std::string, std::string>& pod_labels);

// -- nodes --------------------------------------------------------------------

/// Parses a NodeList: allocatable (cpu in cores, memory in bytes, pods),
/// taints, unschedulable and the Ready and pressure conditions.
[[nodiscard]] caf::expected<list_page<node_summary>>
parse_node_list(std::string_view json);

/// What one scheduled pod requests on its node.
struct pod_request {
  std::string node;
  double cpu_cores = 0;
  int64_t memory_bytes = 0;
};

/// Parses a PodList for the requests of scheduled pods (pods without a node
/// are skipped): the sum over containers, or the largest init container
/// when that is more, as the scheduler counts.
[[nodiscard]] caf::expected<list_page<pod_request>>
parse_pod_requests(std::string_view json);

/// Adds the requests of `pods` to the summaries of their nodes.
void add_requests(std::vector<node_summary>& nodes,
                  const std::vector<pod_request>& pods);

/// The controller of an object (its `ownerReferences` entry with
/// `controller: true`), as kind and name in the object's namespace; an
/// empty ref when it has none. An error for a body that is no object.
[[nodiscard]] caf::expected<workload_ref>
parse_controller(std::string_view json);

// -- selectors and errors -----------------------------------------------------

/// Whether `selector` (a label selector in query syntax: `k=v`, `k!=v`,
/// `k in (a,b)`, `k notin (a)`, `k`, `!k`) selects `labels`. An empty
/// selector selects everything.
bool selector_matches(std::string_view selector,
                      const std::map<std::string, std::string>& labels);

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

} // namespace kfix::context
