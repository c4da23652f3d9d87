#include "actors/patch/patch_actor.hpp"

#include "actors/patch/patch_synthesis.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <caf/all.hpp>

namespace kfix {

patch_actor::behavior_type
patch_stage(patch_actor::stateful_pointer<patch_state>, services_ptr services) {
  return {
    [=](atom::synthesize, const job_ptr& job, const bundle_ptr& bundle,
        const decision_ptr& d) -> caf::result<patch_set_ptr> {
      const auto& ep = *job->endpoints;
      auto files = ep.local_gitops_files;
      if (files.empty() && d->kind == decision_kind::fix) {
        if (!services->gitops)
          return make_error(ec::invalid_config,
                            "no GitOps files: configure gitlab.url or bundle "
                            "the incident's gitops/ files");
        auto listed = services->gitops->list_manifests(
          ep.gitops, services->cfg->gitlab.manifests_path);
        if (!listed)
          return listed.error();
        files = std::move(*listed);
      }
      const auto& alert = job->incident->alert;
      return std::make_shared<const patch_set>(
        patching::synthesize_all(*d, pipeline::target_workload(alert, *bundle),
                                 files, patching::options_for(alert)));
    },
  };
}

} // namespace kfix
