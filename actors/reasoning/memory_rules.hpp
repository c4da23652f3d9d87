#pragma once

#include "config/config.hpp"
#include "messages/alert.hpp"
#include "messages/context.hpp"
#include "messages/plan.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace kfix::reasoning {

/// The working-set metric the memory rules size from.
inline constexpr const char* working_set_metric
  = "kubernetes.memory.working_set";

/// What the bundle says about one container's memory.
struct memory_evidence {
  std::string container;
  /// Current values from the workload's pod template; nullopt when unset.
  std::optional<int64_t> limit;
  std::optional<int64_t> request;
  /// Working set over the sizing window ("7d") and the short window ("1h");
  /// nullopt when the bundle has no such summary.
  std::optional<series_summary> long_window;
  std::optional<series_summary> short_window;
  /// The highest working set seen in either window, in bytes.
  std::optional<int64_t> peak;
  /// p95 of the sizing window (the short window when the long one is
  /// missing), in bytes.
  std::optional<int64_t> p95;
  /// Pods whose container's last termination was OOMKilled.
  int32_t oom_killed_pods = 0;
  /// Pods that have the container at all.
  int32_t pods = 0;
  /// Restart counts of the container, pod by pod ("checkout-...-x2x8q": 4).
  std::vector<std::pair<std::string, int32_t>> restarts;
  int32_t total_restarts = 0;
  /// Sum of the counts of OOM events (OOMKilling, messages naming OOM).
  int32_t oom_events = 0;
};

/// Picks the container the alert is about: the alert's container, else the
/// one with OOMKilled last terminations in the pod statuses (most pods
/// first), else the one with the highest working set relative to its limit,
/// else the only container. Empty when none qualifies.
std::string pick_memory_container(const enriched_alert& alert,
                                  const context_bundle& bundle);

/// Collects the evidence about `container` from the bundle.
memory_evidence collect_memory_evidence(const context_bundle& bundle,
                                        const std::string& container);

/// Plans a memory fix for `oom_killed` and `memory_pressure` alerts.
///
/// Sizing (VPA/KRR-derived, remediation.md §1.5, §2.1, §5.1), all results
/// rounded up with `round_up_memory`:
/// - OOM kill: `max(limit × oom_bump_ratio, limit + oom_min_bump,
///   peak × peak_margin)`;
/// - pressure: `max(peak / pressure_target_utilization,
///   limit × pressure_min_ratio)`;
/// - no limit set: the same formulas on the peak alone;
/// - never below the observed peak; capped at
///   `min(limit × max_memory_increase_factor, memory_cap_for(ns))`.
///
/// The decision is `escalate` when the workload or the container is
/// missing, when there are no working-set metrics and no OOM kill in the
/// pod statuses (with an OOM kill the limit alone is bumped, with lower
/// confidence), or when the cap is below `peak × peak_margin`. Memory
/// pressure whose working-set peak sits below the target utilisation of
/// the limit is `no_action`. Otherwise `fix` with up to three plans, best
/// first: p1 request = limit (Guaranteed memory), p2 limit raised with the
/// request from p95 × request_margin, p3 a smaller bump that still clears
/// the peak.
kfix::decision plan_memory_fix(const enriched_alert& alert,
                               const context_bundle& bundle,
                               const sizing_config& sizing,
                               const policy_config& policy);

} // namespace kfix::reasoning
