#include "actors/safety/safety_actor.hpp"

#include "actors/common/log.hpp"
#include "actors/safety/judge.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <caf/all.hpp>

#include <fstream>
#include <sstream>

namespace kfix {

safety_actor::behavior_type
safety_stage(safety_actor::stateful_pointer<safety_state> self,
             services_ptr services) {
  const auto& policy = services->cfg->policy;
  self->state.db = services->make_store();
  if (!policy.auto_merge.eval_report.empty()) {
    std::ifstream in{policy.auto_merge.eval_report};
    std::stringstream text;
    text << in.rdbuf();
    self->state.eval_top1_by_type = safety::eval_top1_rates(text.str());
    if (self->state.eval_top1_by_type.empty())
      log::warn("safety", "eval-report-unusable",
                {{"file", policy.auto_merge.eval_report},
                 {"effect", "no plan auto-merges"}});
  }
  return {
    [=](atom::validate, const job_ptr& job, const bundle_ptr& bundle,
        const decision_ptr& d, const patch_set_ptr& patches) {
      const auto& alert = job->incident->alert;
      auto workload = pipeline::target_workload(alert, *bundle);
      safety::policy_facts facts;
      facts.env = alert.env;
      facts.alert_type = std::string{to_string(alert.type)};
      facts.eval_top1_by_type = self->state.eval_top1_by_type;
      if (policy.max_mrs_per_namespace_per_hour > 0) {
        auto n = self->state.db->count_recent_publications(workload.ns, 3600);
        if (n)
          facts.mrs_last_hour = *n;
        else
          log::warn(
            "safety", "circuit-breaker-unknown",
            {{"incident", job->incident->id}, {"error", render(n.error())}});
      }
      return std::make_shared<const std::vector<verdict>>(
        safety::judge(*d, *bundle, *patches, *job->endpoints, workload,
                      *services->cfg, services->kubernetes_http.get(), facts));
    },
  };
}

} // namespace kfix
