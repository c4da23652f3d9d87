#pragma once

#include "messages/alert.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kfix {

/// How one context source answered.
enum class source_status : uint8_t { ok, partial, timeout, error, skipped };

std::string_view to_string(source_status status);

/// The status of one context source ("kubernetes", "datadog.metrics", ...).
struct source_report {
  std::string source;
  source_status status = source_status::ok;
  /// Why the status is not `ok`: the HTTP status and message, the deadline.
  std::string reason;
  int64_t duration_ms = 0;
};

/// Resource quantities by resource name ("memory" -> "768Mi").
using resource_map = std::map<std::string, std::string>;

/// A container as the workload's pod template declares it.
struct container_spec {
  std::string name;
  std::string image;
  resource_map requests;
  resource_map limits;
};

/// The workload object, reduced to what reasoning and safety need.
struct workload_state {
  workload_ref ref;
  std::string uid;
  std::string resource_version;
  int32_t replicas = 1;
  /// RollingUpdate maxSurge as written ("25%", "1"); empty for the default.
  std::string max_surge;
  std::string strategy;
  /// deployment.kubernetes.io/revision, empty for StatefulSets.
  std::string revision;
  std::map<std::string, std::string> selector;
  std::vector<container_spec> containers;

  const container_spec* container(const std::string& name) const;
};

/// A container's runtime status.
struct container_status {
  std::string name;
  int32_t restart_count = 0;
  bool ready = false;
  std::string state; // running | waiting | terminated
  std::string waiting_reason;
  std::string last_termination_reason;
  int32_t last_exit_code = 0;
  std::string last_finished_at;
};

struct pod_state {
  std::string name;
  std::string phase;
  std::string node;
  std::vector<container_status> containers;
};

/// A Kubernetes event about the workload or its pods.
struct event_record {
  std::string type; // Normal | Warning
  std::string reason;
  std::string message;
  std::string involved_kind;
  std::string involved_name;
  int32_t count = 1;
  std::string last_seen;
};

struct quota_state {
  std::string name;
  resource_map hard;
  resource_map used;
};

/// A metric over a window, summarised per container across its pods.
struct series_summary {
  std::string metric;
  std::string container;
  std::string window; // "1h" | "7d"
  std::string unit;   // byte | nanocore | core | count
  int64_t samples = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
  double last = 0;
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
  std::vector<pod_state> pods;
  std::vector<event_record> events;
  std::vector<quota_state> quotas;
  std::vector<series_summary> metrics;
  std::vector<log_record> logs;
  std::vector<source_report> sources;

  /// The summary of `metric` for `container` over `window`, if fetched.
  const series_summary* find_metric(const std::string& metric,
                                    const std::string& container,
                                    const std::string& window) const;
};

void to_json(nlohmann::json& j, const source_report& x);
void to_json(nlohmann::json& j, const container_spec& x);
void to_json(nlohmann::json& j, const workload_state& x);
void to_json(nlohmann::json& j, const container_status& x);
void to_json(nlohmann::json& j, const pod_state& x);
void to_json(nlohmann::json& j, const event_record& x);
void to_json(nlohmann::json& j, const quota_state& x);
void to_json(nlohmann::json& j, const series_summary& x);
void to_json(nlohmann::json& j, const log_record& x);
void to_json(nlohmann::json& j, const context_bundle& x);

} // namespace kfix
