#pragma once

#include "actors/actors.hpp"
#include "actors/system/services.hpp"

namespace kfix {

struct fetcher_state {
  static inline const char* name = "kfix.fetcher";
};

/// A FETCHER for the Kubernetes API (detached: blocking I/O).
fetcher_actor::behavior_type
kubernetes_fetcher(fetcher_actor::stateful_pointer<fetcher_state> self,
                   services_ptr services);

/// A FETCHER for the Datadog metrics query API (detached: blocking I/O).
fetcher_actor::behavior_type
datadog_metrics_fetcher(fetcher_actor::stateful_pointer<fetcher_state> self,
                        services_ptr services);

/// A FETCHER for the Datadog logs search API (detached: blocking I/O).
fetcher_actor::behavior_type
datadog_logs_fetcher(fetcher_actor::stateful_pointer<fetcher_state> self,
                     services_ptr services);

struct context_state {
  static inline const char* name = "kfix.context";
};

/// CONTEXT: one FETCHER per source (Kubernetes, Datadog metrics, Datadog
/// logs) and incident, all with the incident's one deadline, merged when
/// all answered or the deadline passed; a late FETCHER is reported
/// `timeout` and never holds the others.
context_actor::behavior_type
context_stage(context_actor::stateful_pointer<context_state> self,
              services_ptr services);

} // namespace kfix
