#include "actors/safety/safety_actor.hpp"

#include "actors/safety/judge.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <caf/all.hpp>

namespace kfix {

safety_actor::behavior_type
safety_stage(safety_actor::stateful_pointer<safety_state>,
             services_ptr services) {
  return {
    [=](atom::validate, const job_ptr& job, const bundle_ptr& bundle,
        const decision_ptr& d, const patch_set_ptr& patches) {
      auto workload = pipeline::target_workload(job->incident->alert, *bundle);
      return std::make_shared<const std::vector<verdict>>(
        safety::judge(*d, *bundle, *patches, *job->endpoints, workload,
                      *services->cfg, services->kubernetes_http.get()));
    },
  };
}

} // namespace kfix
