#pragma once

#include "actors/actors.hpp"
#include "actors/reasoning/llm_prompt.hpp"
#include "actors/reasoning/llm_protocol.hpp"
#include "actors/store/incident_store.hpp"
#include "actors/system/services.hpp"

#include <memory>
#include <optional>
#include <string>

namespace kfix {

struct reasoning_state {
  static inline const char* name = "kfix.reasoning";
  /// The audit of LLM calls (own connection); null for the rules alone.
  std::unique_ptr<store::incident_store> store;
  /// The LLM endpoint; null when none is configured.
  std::shared_ptr<reasoning::completion_client> llm;
  /// The prompt template, or why it could not be loaded.
  std::optional<reasoning::prompt_template> prompt;
  std::string prompt_error;
};

/// REASONING (detached: the LLM strategies block on HTTP and write their
/// audit to the store): the rules engine over the playbooks of `services`
/// decides first; for `llm` and `hybrid` (cfg.reasoning.strategy) the LLM
/// then proposes or ranks, and any failure falls back to the rules'
/// decision with a note.
reasoning_actor::behavior_type
reasoning_stage(reasoning_actor::stateful_pointer<reasoning_state> self,
                services_ptr services);

} // namespace kfix
