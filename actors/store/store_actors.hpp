#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

#include <memory>

namespace kfix {

struct progress_state {
  static inline const char* name = "kfix.progress";
  std::unique_ptr<store::incident_store> db;
};

/// PROGRESS (detached: owns a database connection).
progress_actor::behavior_type
progress_stage(progress_actor::stateful_pointer<progress_state> self,
               services_ptr services);

struct intake_state {
  static inline const char* name = "kfix.intake";
  std::unique_ptr<store::incident_store> db;
  /// Alerts waiting for the next group commit.
  std::vector<submission_ptr> pending;
  bool flush_scheduled = false;
};

/// The most alerts one transaction stores.
constexpr size_t max_intake_batch = 1000;

/// INTAKE (detached: owns a database connection). Answers each alert's
/// HTTP request only after the alert is committed. Group commit: a flush
/// message queued behind the alerts that arrive while a transaction runs
/// stores them all in the next one.
intake_actor::behavior_type
intake_stage(intake_actor::stateful_pointer<intake_state> self,
             services_ptr services, coordinator_actor coordinator);

} // namespace kfix
