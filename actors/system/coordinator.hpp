#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

#include <unordered_set>

namespace kfix {

struct coordinator_state {
  static inline const char* name = "kfix.coordinator";
  stage_handles stages;
  /// Incidents in the pipeline now.
  std::unordered_set<int64_t> running;
  /// Incidents that recovered while in flight: nothing more is published.
  std::unordered_set<int64_t> cancelled;
};

/// COORDINATOR: drives each incident through CONTEXT, REASONING, PATCH,
/// SAFETY and PUBLISHER, recording every step with PROGRESS. A failure in
/// one incident (a stage error, a timeout, a crashed stage) fails only that
/// incident, with its reason.
coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self,
            services_ptr services, stage_handles stages);

} // namespace kfix
