#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

namespace kfix {

struct publisher_state {
  static inline const char* name = "kfix.publisher";
};

/// PUBLISHER (detached: GitLab calls, local git, Slack).
publisher_actor::behavior_type
publisher_stage(publisher_actor::stateful_pointer<publisher_state> self,
                services_ptr services);

} // namespace kfix
