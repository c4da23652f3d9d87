#pragma once

#include "messages/alert.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// The context bundle: everything the Kubernetes and Datadog fetchers learned
/// about one incident, typed for the decision engine and serialisable to JSON
/// (docs/context.md describes the JSON).
///
/// Units are normalised: memory and storage in bytes, CPU in cores (Datadog's
/// nanocores are divided by 1e9), durations in seconds. Every metric summary
/// names its unit.
namespace kfix {

/// How one context source answered.
enum class source_status : uint8_t { ok, partial, timeout, error, skipped };

std::string_view to_string(source_status status);

/// The status of one context source ("kubernetes.pods", "datadog.metrics",
/// ...). A 403 or 404 is an answer, not a failure of the incident: the source
/// is `error` with the HTTP status and the API's message, and the rest of the
/// bundle is used as it is.
struct source_report {
  std::string source;
  source_status status = source_status::ok;
  /// Why the status is not `ok`: the HTTP status and message, the deadline.
  std::string reason;
  int64_t duration_ms = 0;
  /// The HTTP status behind an `error` (403, 404, 429, ...); 0 when no HTTP
  /// answer explains it.
  int32_t http_status = 0;
};

/// Resource quantities by resource name ("memory" -> "768Mi").
using resource_map = std::map<std::string, std::string>;

/// A condition of a Kubernetes object (`status.conditions[]`).
struct condition_state {
  std::string type;   // Available, PodScheduled, ScalingLimited, ...
  std::string status; // True | False | Unknown
  std::string reason;
  std::string message;
  std::string last_transition;
};

/// A liveness, readiness or startup probe, with Kubernetes' defaults for
/// the fields the manifest leaves out.
struct probe_spec {
  /// What the probe does: "httpGet http :8080/healthz", "tcpSocket :5432",
  /// "exec cat /tmp/ready", "grpc :9090".
  std::string handler;
  int32_t initial_delay_seconds = 0;
  int32_t period_seconds = 10;
  int32_t timeout_seconds = 1;
  int32_t failure_threshold = 3;
  int32_t success_threshold = 1;
};

/// An environment variable of a container. Literal values are not kept
/// (they may be secrets); only where a value comes from.
struct env_var {
  std::string name;
  /// value | secret | configmap | field | resource.
  std::string source = "value";
  /// The Secret or ConfigMap; the fieldPath or resource for field/resource.
  std::string ref_name;
  /// The key in the Secret or ConfigMap.
  std::string ref_key;
  bool optional = false;
};

/// An `envFrom` entry: every key of a Secret or ConfigMap.
struct env_from_source {
  std::string kind; // Secret | ConfigMap
  std::string name;
  std::string prefix;
  bool optional = false;
};

/// A container as a pod template declares it.
struct container_spec {
  std::string name;
  std::string image;
  /// requests and limits by resource: cpu, memory, ephemeral-storage, ...
  resource_map requests;
  resource_map limits;
  std::optional<probe_spec> liveness;
  std::optional<probe_spec> readiness;
  std::optional<probe_spec> startup;
  std::vector<env_var> env;
  std::vector<env_from_source> env_from;
};

/// The workload object, reduced to what reasoning and safety need.
struct workload_state {
  workload_ref ref;
  std::string uid;
  std::string resource_version;
  int32_t replicas = 1;
  /// RollingUpdate maxSurge as written ("25%", "1"); empty for the default.
  std::string max_surge;
  std::string max_unavailable;
  std::string strategy;
  /// deployment.kubernetes.io/revision, empty for StatefulSets.
  std::string revision;
  /// spec.selector.matchLabels.
  std::map<std::string, std::string> selector;
  /// The whole selector in `labelSelector` syntax (matchExpressions too).
  std::string selector_text;
  /// The pod template's labels.
  std::map<std::string, std::string> template_labels;
  std::vector<container_spec> containers;
  std::vector<container_spec> init_containers;
  std::string creation_timestamp;
  int64_t generation = 0;
  int64_t observed_generation = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  int32_t updated_replicas = 0;
  int32_t unavailable_replicas = 0;
  bool paused = false;
  int32_t revision_history_limit = 10;
  std::string service_account;
  /// StatefulSet: status.currentRevision / updateRevision.
  std::string current_revision_name;
  std::string update_revision_name;
  std::vector<condition_state> conditions;

  const container_spec* container(const std::string& name) const;
};

/// A revision of the workload's pod template: a ReplicaSet of a Deployment
/// (revision from `deployment.kubernetes.io/revision`) or a
/// ControllerRevision of a StatefulSet or DaemonSet. The target of a
/// `rollback` to `revision`.
struct revision_state {
  std::string kind; // ReplicaSet | ControllerRevision
  std::string name;
  int64_t revision = 0;
  std::string created_at;
  /// pod-template-hash (ReplicaSet) or the ControllerRevision's name suffix;
  /// pods carry it in `pod_state::template_hash`.
  std::string template_hash;
  int32_t replicas = 0;
  int32_t ready_replicas = 0;
  int32_t available_replicas = 0;
  /// Whether the workload runs this revision now.
  bool current = false;
  /// The `kubernetes.io/change-cause` annotation, if any.
  std::string change_cause;
  std::vector<container_spec> containers;
};

/// A container's runtime status.
struct container_status {
  std::string name;
  std::string image;
  int32_t restart_count = 0;
  bool ready = false;
  bool started = false;
  std::string state; // running | waiting | terminated
  /// state.running.startedAt (or terminated.startedAt).
  std::string state_started_at;
  std::string waiting_reason;
  std::string waiting_message;
  /// The most recent termination: the current state when terminated, else
  /// `lastState.terminated`.
  std::string last_termination_reason;
  int32_t last_exit_code = 0;
  std::string last_termination_message;
  std::string last_started_at;
  std::string last_finished_at;
};

struct pod_state {
  std::string name;
  std::string phase;
  std::string node;
  std::vector<container_status> containers;
  std::vector<container_status> init_containers;
  std::string created_at;
  std::string start_time;
  /// status.reason / status.message (Evicted, ...).
  std::string reason;
  std::string message;
  std::string qos_class;
  /// The controller owning the pod (ReplicaSet, StatefulSet, DaemonSet).
  std::string owner_kind;
  std::string owner_name;
  /// pod-template-hash or controller-revision-hash: which revision it runs.
  std::string template_hash;
  /// The sum of the containers' requests (cpu, memory, ...), as quantities.
  resource_map requests;
  std::vector<condition_state> conditions;

  /// The condition of `type` (PodScheduled, Ready, ...), or nullptr.
  const condition_state* condition(const std::string& type) const;
};

/// A Kubernetes event about the workload, its pods or their nodes.
struct event_record {
  std::string type; // Normal | Warning
  std::string reason;
  std::string message;
  std::string involved_kind;
  std::string involved_name;
  int32_t count = 1;
  std::string first_seen;
  std::string last_seen;
  std::string ns;
  /// The component that reported it (kubelet, default-scheduler, ...).
  std::string source;
};

struct quota_state {
  std::string name;
  resource_map hard;
  resource_map used;
  std::vector<std::string> scopes;
};

/// One entry of a LimitRange's `spec.limits`.
struct limit_range_item {
  std::string type;              // Container | Pod | PersistentVolumeClaim
  resource_map default_limits;   // `default`
  resource_map default_requests; // `defaultRequest`
  resource_map min;
  resource_map max;
  resource_map max_limit_request_ratio;
};

struct limit_range_state {
  std::string name;
  std::vector<limit_range_item> items;
};

/// One metric of an HPA with its target and current value.
struct hpa_metric {
  std::string type; // Resource | ContainerResource | Pods | Object | External
  /// The resource (cpu, memory) or the metric name.
  std::string name;
  std::string container;   // ContainerResource only
  std::string target_type; // Utilization | Value | AverageValue
  /// The target: a percentage for Utilization, else a quantity.
  std::string target;
  std::string current;
};

/// The HorizontalPodAutoscaler (autoscaling/v2) that targets the workload.
struct hpa_state {
  std::string name;
  std::string target_kind;
  std::string target_name;
  int32_t min_replicas = 1;
  int32_t max_replicas = 0;
  int32_t current_replicas = 0;
  int32_t desired_replicas = 0;
  std::string last_scale_time;
  std::vector<hpa_metric> metrics;
  /// AbleToScale, ScalingActive, ScalingLimited.
  std::vector<condition_state> conditions;
};

/// A PodDisruptionBudget whose selector selects the workload's pods.
struct pdb_state {
  std::string name;
  /// As written ("1", "50%"); empty when not set.
  std::string min_available;
  std::string max_unavailable;
  std::string selector;
  int32_t current_healthy = 0;
  int32_t desired_healthy = 0;
  int32_t disruptions_allowed = 0;
  int32_t expected_pods = 0;
  std::vector<condition_state> conditions;
};

/// A node's allocatable resources and what the pods on it request, for
/// Pending pods (can the pod fit anywhere?).
struct node_summary {
  std::string name;
  double allocatable_cpu_cores = 0;
  int64_t allocatable_memory_bytes = 0;
  int64_t allocatable_pods = 0;
  /// Sums over the node's pods that are not Succeeded or Failed.
  double requested_cpu_cores = 0;
  int64_t requested_memory_bytes = 0;
  int64_t pods = 0;
  bool unschedulable = false;
  /// "key=value:NoSchedule".
  std::vector<std::string> taints;
  /// Ready, MemoryPressure, DiskPressure, PIDPressure.
  std::vector<condition_state> conditions;
  resource_map allocatable;
};

/// A Secret or ConfigMap the workload's pod template refers to, and whether
/// it exists: a missing one is evidence ("missing config map, escalate").
struct config_reference {
  std::string kind; // Secret | ConfigMap
  std::string name;
  /// The key asked for; empty when the whole object is used.
  std::string key;
  /// Where it is used: "env DB_PASSWORD of app", "envFrom of app",
  /// "volume config", "imagePullSecrets".
  std::string used_by;
  bool optional = false;
  /// present | missing | key_missing | unknown (could not be read).
  std::string status = "unknown";
  /// Why `unknown`: the HTTP status and message.
  std::string reason;
};

/// A metric over a window, summarised per container across its pods (or
/// per service for APM metrics).
struct series_summary {
  std::string metric;
  /// The container (kube_container_name); empty for pod-level and service
  /// metrics.
  std::string container;
  std::string window; // "1h" | "7d"
  /// byte | core | fraction | second | per_second | second_per_second |
  /// count, or the unit Datadog named.
  std::string unit;
  int64_t samples = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
  double last = 0;
  /// The APM service (trace metrics); empty for container metrics.
  std::string service;
  /// How pods were combined at each point: max, sum, p99 (the query's space
  /// aggregator), or derived (a ratio K-Fix computed point by point).
  std::string aggregation;
};

/// The metric names the bundle's summaries carry.
namespace metric_names {
inline constexpr const char* memory_usage = "kubernetes.memory.usage";
inline constexpr const char* memory_working_set
  = "kubernetes.memory.working_set";
inline constexpr const char* memory_rss = "kubernetes.memory.rss";
inline constexpr const char* memory_limits = "kubernetes.memory.limits";
inline constexpr const char* memory_requests = "kubernetes.memory.requests";
/// In cores after normalisation (Datadog sends nanocores).
inline constexpr const char* cpu_usage = "kubernetes.cpu.usage.total";
inline constexpr const char* cpu_limits = "kubernetes.cpu.limits";
inline constexpr const char* cpu_requests = "kubernetes.cpu.requests";
inline constexpr const char* cfs_periods = "kubernetes.cpu.cfs.periods";
inline constexpr const char* cfs_throttled_periods
  = "kubernetes.cpu.cfs.throttled.periods";
inline constexpr const char* cfs_throttled_seconds
  = "kubernetes.cpu.cfs.throttled.seconds";
/// Derived: throttled periods / periods, point by point (a fraction).
inline constexpr const char* cpu_throttled_ratio
  = "kubernetes.cpu.cfs.throttled.ratio";
inline constexpr const char* restarts = "kubernetes.containers.restarts";
inline constexpr const char* ephemeral_storage_usage
  = "kubernetes.ephemeral_storage.usage";
} // namespace metric_names

/// A group of log events with the same normalised text: numbers, ids,
/// addresses and times replaced by placeholders (`<num>`, `<hex>`, `<uuid>`,
/// `<ip>`, `<time>`).
struct log_pattern {
  std::string pattern;
  int64_t count = 0;
  std::string first_seen;
  std::string last_seen;
  std::string status;
  std::string service;
  /// The newest message of the group, redacted.
  std::string example;
};

struct log_record {
  std::string timestamp;
  std::string status;
  std::string service;
  std::string message;
};

/// Everything the context fetchers learned about one incident.
struct context_bundle {
  workload_state workload;
  bool workload_found = false;
  /// The workload's revisions, newest first.
  std::vector<revision_state> revisions;
  std::vector<pod_state> pods;
  /// Newest first.
  std::vector<event_record> events;
  std::vector<quota_state> quotas;
  std::vector<limit_range_state> limit_ranges;
  /// The HPAs whose scaleTargetRef is the workload (normally one).
  std::vector<hpa_state> hpas;
  std::vector<pdb_state> pdbs;
  /// Filled when pods are Pending.
  std::vector<node_summary> nodes;
  std::vector<config_reference> config_refs;
  std::vector<series_summary> metrics;
  /// The newest error and warning logs, redacted (a bounded list).
  std::vector<log_record> logs;
  /// Every log event read, grouped; most frequent first.
  std::vector<log_pattern> log_patterns;
  /// Log events read from Datadog (grouped into `log_patterns`).
  int64_t log_events_read = 0;
  /// The application's start-up lines of the sizing window, whatever their
  /// status ("Started X in 84.2 seconds"): how long a start takes.
  std::vector<log_record> startup_logs;
  std::vector<source_report> sources;

  /// The summary of `metric` for `container` over `window`, if fetched.
  const series_summary* find_metric(const std::string& metric,
                                    const std::string& container,
                                    const std::string& window) const;
  /// The summary of an APM `metric` for `service` over `window`.
  const series_summary* find_service_metric(const std::string& metric,
                                            const std::string& service,
                                            const std::string& window) const;
  /// The report of `source`, or nullptr.
  const source_report* find_source(const std::string& source) const;
  /// The revision the workload runs now, or nullptr.
  const revision_state* current_revision() const;
  /// The revision with the highest number, or nullptr.
  const revision_state* newest_revision() const;
  /// The HPA targeting the workload, or nullptr.
  const hpa_state* hpa() const;
};

void to_json(nlohmann::json& j, const source_report& x);
void to_json(nlohmann::json& j, const condition_state& x);
void to_json(nlohmann::json& j, const probe_spec& x);
void to_json(nlohmann::json& j, const env_var& x);
void to_json(nlohmann::json& j, const env_from_source& x);
void to_json(nlohmann::json& j, const container_spec& x);
void to_json(nlohmann::json& j, const workload_state& x);
void to_json(nlohmann::json& j, const revision_state& x);
void to_json(nlohmann::json& j, const container_status& x);
void to_json(nlohmann::json& j, const pod_state& x);
void to_json(nlohmann::json& j, const event_record& x);
void to_json(nlohmann::json& j, const quota_state& x);
void to_json(nlohmann::json& j, const limit_range_item& x);
void to_json(nlohmann::json& j, const limit_range_state& x);
void to_json(nlohmann::json& j, const hpa_metric& x);
void to_json(nlohmann::json& j, const hpa_state& x);
void to_json(nlohmann::json& j, const pdb_state& x);
void to_json(nlohmann::json& j, const node_summary& x);
void to_json(nlohmann::json& j, const config_reference& x);
void to_json(nlohmann::json& j, const series_summary& x);
void to_json(nlohmann::json& j, const log_pattern& x);
void to_json(nlohmann::json& j, const log_record& x);
void to_json(nlohmann::json& j, const context_bundle& x);

} // namespace kfix
