#include "actors/safety/judge.hpp"

#include "actors/safety/dry_run.hpp"
#include "actors/safety/safety_rules.hpp"
#include "actors/system/pipeline_logic.hpp"

namespace kfix::safety {

std::vector<verdict> judge(const decision& d, const context_bundle& bundle,
                           const patch_set& patches,
                           const incident_endpoints& endpoints,
                           const workload_ref& workload,
                           const agent_config& cfg, http::client* client,
                           const policy_facts& facts) {
  std::vector<verdict> result;
  for (const auto& p : d.plans) {
    auto v = check_plan(p, bundle, cfg.policy, facts);
    v.plan_id = p.id;
    for (const auto& [plan_id, why] : patches.failures)
      if (plan_id == p.id) {
        v.checks.push_back({"patch_synthesis", false, false, why});
        v.accepted = false;
      }
    const auto* made = pipeline::find_patch(patches, p.id);
    if (v.accepted && made != nullptr) {
      if (client != nullptr && !endpoints.kubernetes_url.empty()) {
        auto check
          = made->dry_run_targets.empty()
              ? dry_run_patch(*client, endpoints.kubernetes_url,
                              endpoints.kubernetes_headers, workload,
                              made->k8s_patch, cfg.kubernetes.timeout)
              : dry_run_targets(*client, endpoints.kubernetes_url,
                                endpoints.kubernetes_headers,
                                made->dry_run_targets, cfg.kubernetes.timeout);
        v.accepted = check.passed;
        v.checks.push_back(std::move(check));
      } else if (cfg.policy.require_dry_run) {
        v.checks.push_back(
          {"dry_run", false, true, "no cluster configured: dry run skipped"});
      }
    }
    if (v.accepted) {
      auto am = decide_auto_merge(p, bundle, cfg.policy, facts);
      v.auto_merge = am.allowed;
      v.auto_merge_reason = std::move(am.reason);
    }
    result.push_back(std::move(v));
  }
  return result;
}

} // namespace kfix::safety
