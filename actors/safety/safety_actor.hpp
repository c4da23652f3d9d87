#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

#include <map>
#include <memory>
#include <string>

namespace kfix {

struct safety_state {
  static inline const char* name = "kfix.safety";
  /// For the circuit breaker's count of recent merge requests.
  std::unique_ptr<store::incident_store> db;
  /// The eval's top-1 rate per alert type (policy auto_merge.eval_report).
  std::map<std::string, double> eval_top1_by_type;
};

/// SAFETY (detached: the server-side dry run is blocking I/O).
safety_actor::behavior_type
safety_stage(safety_actor::stateful_pointer<safety_state> self,
             services_ptr services);

} // namespace kfix
