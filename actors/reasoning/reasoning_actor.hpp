#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

namespace kfix {

struct reasoning_state {
  static inline const char* name = "kfix.reasoning";
};

/// REASONING: the rules engine over the playbooks of `services`.
reasoning_actor::behavior_type
reasoning_stage(reasoning_actor::stateful_pointer<reasoning_state> self,
                services_ptr services);

} // namespace kfix
