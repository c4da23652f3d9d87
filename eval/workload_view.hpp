#pragma once

#include "messages/alert.hpp"
#include "messages/error.hpp"
#include "messages/plan.hpp"

#include <nlohmann/json_fwd.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

/// The parts of a workload the action vocabulary can change, as the
/// Kubernetes objects of an incident show them, and as they would be after a
/// plan. The eval judges `accept` / `reject` entries on the workload after
/// the plan (spec: "Matching a plan").
namespace kfix::eval {

/// A container's changeable fields. Resource keys are the vocabulary's
/// (`cpu_request`, `memory_limit`, `ephemeral_storage_limit`, ...); probe
/// fields too (`initial_delay_seconds`, `failure_threshold`, ...).
struct container_view {
  std::string name;
  std::string image;
  std::map<std::string, std::string> resources;
  /// `liveness` | `readiness` | `startup` -> field -> value.
  std::map<std::string, std::map<std::string, std::string>> probes;
  /// Plain env values (`valueFrom` entries are absent).
  std::map<std::string, std::string> env;
};

struct workload_view {
  workload_ref ref;
  int64_t replicas = 1;
  std::vector<container_view> containers;
  /// The HPA that targets the workload: `min_replicas`, `max_replicas`,
  /// `target_cpu_utilization`, `target_memory_utilization`; empty without
  /// one.
  std::map<std::string, std::string> hpa;

  container_view* container(const std::string& name);
  const container_view* container(const std::string& name) const;
};

/// The workload `ref` (its kind, namespace and name) among `objects` (as the
/// API returns them), with the HPA that targets it. An error when absent.
[[nodiscard]] caf::expected<workload_view>
view_of(const std::vector<nlohmann::json>& objects, const workload_ref& ref);

/// The memory limits, by container, of the revisions of `ref` among
/// `objects` (ReplicaSets and ControllerRevisions named after it).
std::map<std::string, std::vector<std::string>>
revision_memory_limits(const std::vector<nlohmann::json>& objects,
                       const workload_ref& ref);

/// The workload after every action of `p` (a parameter an action does not
/// set keeps its value; `unset` removes it; `remove: true` drops a probe).
workload_view apply_plan(workload_view before, const plan& p);

} // namespace kfix::eval
