#include "actors/reasoning/reasoning_actor.hpp"

#include "actors/reasoning/decide.hpp"

#include <caf/all.hpp>

namespace kfix {

reasoning_actor::behavior_type
reasoning_stage(reasoning_actor::stateful_pointer<reasoning_state>,
                services_ptr services) {
  return {
    [=](atom::plan, const job_ptr& job, const bundle_ptr& bundle) {
      const auto& cfg = *services->cfg;
      return std::make_shared<const decision>(
        reasoning::decide(job->incident->alert, *bundle, *services->playbooks,
                          cfg.sizing, cfg.policy));
    },
  };
}

} // namespace kfix
