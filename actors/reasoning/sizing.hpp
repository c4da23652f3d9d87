#pragma once

#include "actors/reasoning/signals.hpp"
#include "config/config.hpp"
#include "messages/error.hpp"

#include <map>
#include <string>
#include <vector>

/// The sizing methods playbooks name in `{sizing: method}`: established
/// formulas (remediation.md: VPA §1, KRR §2, the OOM bump §5.1, CPU §5.2 and
/// §5.3, HPA §5.8, probes §5.11, ephemeral storage §5.12), rounded to clean
/// quantities, never below observed usage, capped by policy, LimitRange and
/// quota (rollout math §6.4). Pure.
namespace kfix::reasoning {

/// What a sizing method sees.
struct sizing_inputs {
  const incident_signals& signals;
  const sizing_config& sizing;
  const policy_config& policy;
  /// The parameters of the same action computed so far (a request sized
  /// from the new limit).
  const std::map<std::string, std::string>& action_params;
};

/// A sized value and how it was computed (cited in the justification).
struct sized_value {
  std::string value;
  std::string formula;
};

/// A named method: sizes one parameter, or says why it cannot.
struct sizing_method {
  std::string name;
  std::string description;
  caf::expected<sized_value> (*compute)(const sizing_inputs&);
};

/// Every method, by name.
const std::vector<sizing_method>& sizing_methods();

/// Runs the method `name`.
[[nodiscard]] caf::expected<sized_value> size(const std::string& name,
                                              const sizing_inputs& in);

/// Rounds milli-cores up to a clean step: 10m below 1 core, 50m below 4,
/// 100m above.
int64_t round_up_cpu(int64_t millis);
int64_t round_down_cpu(int64_t millis);

/// The largest per-pod value of a resource that keeps a rollout inside the
/// quota: `used - replicas × old + peak_pods × new <= hard`, i.e.
/// `new <= (headroom + replicas × old) / peak_pods`; nullopt when no quota
/// tracks `quota_key`.
std::optional<double> quota_cap(const incident_facts& f,
                                const std::string& quota_key, double old_value);

} // namespace kfix::reasoning
