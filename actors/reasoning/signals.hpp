#pragma once

#include "messages/alert.hpp"
#include "messages/context.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// What the context bundle says about an incident, reduced to named signals
/// that playbooks (config/playbooks/*.yaml) test and cite, and to typed
/// facts that the sizing methods compute from. Pure.
namespace kfix::reasoning {

/// A signal's value: a number, a flag or a text.
struct signal_value {
  enum kind_t { number, flag, text } kind = number;
  double num = 0;
  bool on = false;
  std::string str;

  /// How the value reads in a justification: numbers without trailing
  /// zeros, flags as yes/no.
  std::string display() const;
};

/// Signals by name ("memory.oom_pods", "rollout.age_hours", ...).
class signal_map {
public:
  void set(const std::string& name, double value);
  void set(const std::string& name, bool value);
  void set(const std::string& name, std::string value);
  void set(const std::string& name, const char* value);

  const signal_value* find(const std::string& name) const;
  /// The display text of a signal, or `fallback` when absent.
  std::string text(const std::string& name,
                   const std::string& fallback = {}) const;
  /// The number of a numeric signal, or nullopt.
  std::optional<double> number(const std::string& name) const;
  bool flag(const std::string& name) const;

  const std::map<std::string, signal_value>& all() const {
    return values_;
  }

private:
  std::map<std::string, signal_value> values_;
};

/// A container's resources as numbers (nullopt: not set).
struct container_resources {
  std::optional<int64_t> memory_request;
  std::optional<int64_t> memory_limit;
  std::optional<int64_t> cpu_request_m;
  std::optional<int64_t> cpu_limit_m;
  std::optional<int64_t> ephemeral_request;
  std::optional<int64_t> ephemeral_limit;
};

container_resources resources_of(const container_spec& spec);

/// A summary's percentiles, already in base units (bytes, cores, ...).
struct window_stats {
  int64_t samples = 0;
  double p50 = 0;
  double p95 = 0;
  double p99 = 0;
  double max = 0;
  double last = 0;
};

/// The typed facts the sizing methods and the rollback expander use.
struct incident_facts {
  enriched_alert alert;
  int64_t alert_time_s = 0;
  workload_ref workload;
  bool workload_found = false;
  /// The container the incident is about (the alert's, else the one with
  /// the most trouble, else the only one); empty when none.
  std::string container;
  container_resources resources;
  int32_t replicas = 1;
  /// Pods of the workload that count against a quota during a rollout:
  /// replicas plus the surge.
  int32_t rollout_peak_pods = 1;
  // -- metrics (nullopt when the bundle has no summary) ----------------------
  std::optional<window_stats> working_set_7d;
  std::optional<window_stats> working_set_1h;
  std::optional<window_stats> cpu_7d; // cores
  std::optional<window_stats> cpu_1h;
  std::optional<window_stats> throttle_7d; // fraction of periods
  std::optional<window_stats> throttle_1h;
  std::optional<window_stats> ephemeral_7d; // bytes
  std::optional<window_stats> error_rate_7d;
  std::optional<window_stats> error_rate_1h;
  std::optional<window_stats> latency_7d; // seconds
  std::optional<window_stats> latency_1h;
  /// The highest working set seen in any window.
  std::optional<int64_t> memory_peak;
  // -- revisions --------------------------------------------------------------
  const revision_state* current_revision = nullptr;
  const revision_state* previous_revision = nullptr;
  /// Hours from the current revision's creation to the alert.
  std::optional<double> rollout_age_hours;
  // -- namespace limits
  // ---------------------------------------------------------
  /// Headroom (hard - used) per quota-tracked resource ("limits.memory"),
  /// the smallest over the quotas that track it.
  std::map<std::string, double> quota_headroom;
  std::map<std::string, double> quota_hard;
  /// LimitRange Container max / maxLimitRequestRatio per resource.
  std::map<std::string, double> limit_range_max;
  std::map<std::string, double> limit_range_ratio;
  /// The largest node's allocatable memory (bytes) and CPU (cores), when
  /// nodes were read.
  std::optional<double> node_memory_max;
  std::optional<double> node_cpu_max;
  /// The longest start-up seen in the logs or statuses, in seconds.
  std::optional<double> startup_seconds;
};

/// Everything gathered: the typed facts and the named signals.
struct incident_signals {
  incident_facts facts;
  signal_map values;
  /// Evidence sentences, by topic ("memory", "rollout", "pods", ...), that
  /// justifications cite.
  std::map<std::string, std::string> evidence;
};

/// Picks the container the incident is about: the alert's container when
/// the workload has it; else the one with OOM kills, crash loops, waiting
/// reasons or restarts (most pods first); else the only container; else the
/// first one.
std::string pick_target_container(const enriched_alert& alert,
                                  const context_bundle& bundle);

/// Gathers the signals of an incident. The names, documented for playbook
/// authors in docs/playbooks.md, are stable.
incident_signals gather_signals(const enriched_alert& alert,
                                const context_bundle& bundle);

/// Converts a summary to base units: CPU in cores (nanocores / 1e9 when
/// the unit says nanocore), everything else as it is.
window_stats stats_of(const series_summary& s);

} // namespace kfix::reasoning
