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

/// A FETCHER for the Datadog APIs (detached: blocking I/O).
fetcher_actor::behavior_type
datadog_fetcher(fetcher_actor::stateful_pointer<fetcher_state> self,
                services_ptr services);

struct context_state {
  static inline const char* name = "kfix.context";
};

/// CONTEXT: one FETCHER per source and incident, merged at the deadline.
context_actor::behavior_type
context_stage(context_actor::stateful_pointer<context_state> self,
              services_ptr services);

} // namespace kfix
