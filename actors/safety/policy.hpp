#pragma once

#include "config/config.hpp"
#include "messages/context.hpp"
#include "messages/plan.hpp"
#include "messages/verdict.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// The policy engine (config/policy.yaml): rules every plan must keep,
/// whatever proposed it (the rules, an LLM, a prompt injection in a log
/// line), each verdict explained; and whether a merge request may be merged
/// without a person. Pure.
namespace kfix::safety {

/// What the policy needs besides the plan and the bundle.
struct policy_facts {
  /// The incident's env (`prod`, `staging`, ...).
  std::string env;
  /// The incident's alert type, for the auto-merge calibration.
  std::string alert_type;
  /// Merge requests K-Fix opened in the namespace in the last hour; nullopt
  /// when unknown (the breaker is then not checked).
  std::optional<int64_t> mrs_last_hour;
  /// Fixes of the same kind merged before.
  int64_t similar_merged = 0;
  /// The eval's top-1 correct rate per alert type (report.json or a
  /// baseline).
  std::map<std::string, double> eval_top1_by_type;
};

/// The policy checks of a plan, one `check_result` per rule:
/// - `protected_namespace`: the namespace is not protected;
/// - `forbidden_action`: no action is forbidden for the env or namespace;
/// - `replicas_cap` (scale_replicas): 1 <= replicas <= `max_replicas` and
///   <= current x `max_scale_factor`, and no HPA owns the replica count;
/// - `hpa_bounds` (set_hpa): 1 <= minReplicas <= maxReplicas <=
///   `max_replicas`, maxReplicas <= current max x `max_scale_factor`,
///   targets within 10-100 %;
/// - `cpu_increase_cap` (set_resources): CPU request and limit at most
///   `max_cpu_increase_factor` x current and `max_cpu_millis`;
/// - `image_source` (set_image, rollback with image): the repository is one
///   the workload or its revisions already run, and the tag is not
///   `latest`;
/// - `circuit_breaker`: fewer than `max_mrs_per_namespace_per_hour` merge
///   requests in the namespace in the last hour.
std::vector<check_result> policy_checks(const plan& p,
                                        const context_bundle& bundle,
                                        const policy_config& policy,
                                        const policy_facts& facts);

/// Whether the merge request of `p` may be merged without a person, and
/// why: never in a production env; only in `auto_merge.envs`; only plans of
/// the allowed actions (memory raises only, when so configured); only when
/// the eval's top-1 rate for the alert type reaches the minimum and enough
/// similar fixes were merged before.
struct auto_merge_decision {
  bool allowed = false;
  std::string reason;
};

auto_merge_decision decide_auto_merge(const plan& p,
                                      const context_bundle& bundle,
                                      const policy_config& policy,
                                      const policy_facts& facts);

/// The eval's top-1 correct rate per alert type from a report.json (or a
/// baseline) text, of `strategy`; empty when the text holds none.
std::map<std::string, double> eval_top1_rates(const std::string& report_json,
                                              const std::string& strategy
                                              = "rules");

} // namespace kfix::safety
