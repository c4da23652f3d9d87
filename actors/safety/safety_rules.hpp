#pragma once

#include "actors/safety/policy.hpp"
#include "config/config.hpp"
#include "messages/context.hpp"
#include "messages/plan.hpp"
#include "messages/verdict.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kfix::safety {

/// Extra pods a rollout of `workload` runs at its peak: `ceil(maxSurge% ×
/// replicas)` for a percentage (25 % when unset), the number itself for an
/// absolute value, 0 for StatefulSets, DaemonSets without an explicit
/// maxSurge and the Recreate strategy (remediation.md §6.5).
int64_t rollout_surge(const workload_state& workload);

/// The workload's containers with every `set_resources` action of `p`
/// applied: parameters replace the current values, `unset` removes them.
/// Actions on unknown containers are ignored.
std::vector<container_spec> apply_resources(const plan& p,
                                            const workload_state& workload);

/// Checks a plan against the policy and the cluster state, without I/O.
/// Rules, each a `check_result` with numbers in its detail:
/// - the policy engine's checks (policy.hpp: protected namespace, forbidden
///   actions, replica and HPA bounds, CPU caps, image source, circuit
///   breaker);
/// - per `set_resources` action: `container_exists`, `quantity_format`
///   (memory and ephemeral storage without m/u/n or K, whole bytes; CPU no
///   finer than 1m; known parameters only), `request_le_limit` per resource
///   after the change, `memory_increase_cap` (new limit ≤
///   max_memory_increase_factor × current and ≤ the namespace cap; the
///   memory limit may not be removed);
/// - `quota_headroom` per ResourceQuota key for requests/limits of memory
///   (and of CPU or ephemeral storage when the plan touches them), with the
///   rollout peak `used − current × replicas + (replicas + surge) ×
///   max(current, new)` of per-pod totals (remediation.md §6.4).
/// The plan is accepted iff every check passes (skipped checks do not
/// count). Plans without changes (escalations) are accepted with a
/// `no_changes` note; actions other than `set_resources` get a skipped
/// check naming them.
verdict check_plan(const plan& p, const context_bundle& bundle,
                   const policy_config& policy, const policy_facts& facts = {});

} // namespace kfix::safety
