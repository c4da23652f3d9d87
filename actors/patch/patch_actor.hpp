#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

namespace kfix {

struct patch_state {
  static inline const char* name = "kfix.patch";
};

/// PATCH (detached: reads GitOps files from GitLab when configured).
patch_actor::behavior_type
patch_stage(patch_actor::stateful_pointer<patch_state> self,
            services_ptr services);

} // namespace kfix
