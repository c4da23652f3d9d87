#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

#include <caf/fwd.hpp>
#include <caf/stateful_actor.hpp>

#include <map>
#include <string>

namespace kfix {

struct supervisor_state {
  static inline const char* name = "kfix.supervisor";
  stage_handles stages;
  coordinator_actor coordinator;
  intake_actor intake;
  /// The role of each monitored child, by address.
  std::map<caf::actor_addr, std::string> roles;
  std::map<std::string, int> restarts;
};

/// SUPERVISOR: spawns the stages in order, monitors them, restarts a stage
/// that died (bounded backoff) and gives the COORDINATOR its new handle.
/// INTAKE and COORDINATOR are core: if one dies the supervisor quits, and
/// the agent exits for its orchestrator to restart it. Answers
/// `atom::status` with the INTAKE handle.
caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         services_ptr services);

/// Sends an exit to every child, then quits (used on shutdown).
void stop_children(caf::stateful_actor<supervisor_state>* self);

} // namespace kfix
