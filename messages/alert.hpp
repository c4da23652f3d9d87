#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kfix {

/// The alert types of the recorded-incident format, v1.
enum class alert_type : uint8_t {
  oom_killed,
  memory_pressure,
  cpu_throttling,
  cpu_saturation,
  hpa_maxed,
  crash_loop,
  error_rate,
  latency,
  image_pull,
  probe_failure,
  pending_pods,
  quota_exceeded,
  ephemeral_storage,
  unknown,
};

std::string_view to_string(alert_type type);

/// Parses the spec's name of an alert type; nullopt for an unknown name.
std::optional<alert_type> parse_alert_type(std::string_view name);

/// A Kubernetes workload, as `kind` (Deployment, StatefulSet, DaemonSet),
/// namespace and name.
struct workload_ref {
  std::string kind;
  std::string ns;
  std::string name;

  bool empty() const {
    return name.empty();
  }
  /// "Deployment shop/checkout".
  std::string display() const;
  friend bool operator==(const workload_ref& x, const workload_ref& y) {
    return x.kind == y.kind && x.ns == y.ns && x.name == y.name;
  }
};

/// One Datadog webhook delivery, parsed and enriched with what its tags,
/// scope, query and message tell about the workload and the breach.
struct enriched_alert {
  // -- delivery and monitor ---------------------------------------------------
  std::string delivery_id; // $ID, unique per event
  std::string monitor_id;  // $ALERT_ID
  std::string cycle_key;   // $ALERT_CYCLE_KEY, groups one incident
  std::string aggreg_key;  // $AGGREG_KEY
  std::string transition;  // Triggered, Re-Triggered, Recovered, ...
  std::string event_type;  // query_alert_monitor, ...
  std::string priority;    // P1..P5
  std::string title;
  std::string body;
  std::string link;
  int64_t date_ms = 0; // epoch milliseconds
  // -- what was measured ------------------------------------------------------
  std::string query;
  std::string metric;
  std::string scope;
  std::optional<double> value;
  std::optional<double> threshold;
  std::optional<double> warn_threshold;
  std::string comparator;
  // -- where ------------------------------------------------------------------
  workload_ref workload;
  std::string pod;
  std::string container;
  std::string cluster;
  std::string env;
  std::string team;
  std::string service;
  std::vector<std::string> tags;
  // -- interpretation ---------------------------------------------------------
  alert_type type = alert_type::unknown;
  /// Fields the payload lacked that would have helped, e.g. "alert_query".
  std::vector<std::string> missing;
};

void to_json(nlohmann::json& j, const workload_ref& x);
void to_json(nlohmann::json& j, const enriched_alert& x);

} // namespace kfix
