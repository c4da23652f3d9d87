#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

namespace kfix {

struct safety_state {
  static inline const char* name = "kfix.safety";
};

/// SAFETY (detached: the server-side dry run is blocking I/O).
safety_actor::behavior_type
safety_stage(safety_actor::stateful_pointer<safety_state> self,
             services_ptr services);

} // namespace kfix
