#pragma once

#include "actors/reasoning/llm_prompt.hpp"
#include "actors/reasoning/llm_protocol.hpp"
#include "actors/reasoning/llm_schema.hpp"
#include "actors/store/incident_store.hpp"
#include "config/config.hpp"
#include "messages/plan.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

/// The `llm` and `hybrid` strategies over an abstract completion client:
/// prompt, call, validate, one repair, compose with the rules' decision,
/// and fall back to the rules' decision with a note on any failure.
namespace kfix::reasoning {

/// One incident for the LLM half of REASONING.
struct llm_job {
  int64_t incident_id = 0;
  const enriched_alert* alert = nullptr;
  const context_bundle* bundle = nullptr;
  /// The rules' decision: the candidates, and the fallback.
  const decision* rules = nullptr;
  /// llm | hybrid
  std::string strategy = "llm";
  const llm_config* cfg = nullptr;
  const prompt_template* prompt = nullptr;
  std::vector<similar_incident> similar;
  /// What all calls together may take: each call is cut to it, and a
  /// repair is skipped when less than a second per attempt is left.
  std::chrono::milliseconds budget{50'000};
};

/// The decision and the audit records of the calls made for it.
struct llm_result {
  decision result;
  std::vector<store::llm_call_record> calls;
};

/// Runs the LLM half for a job (see the namespace). Never throws for an
/// LLM failure; `result.strategy` is the job's strategy when the LLM's
/// answer was used, `rules` when the rules' decision was.
llm_result decide_with_llm(const llm_job& job, completion_client& client);

/// What the answer may refer to: the workload's containers and the rules'
/// plan ids.
answer_limits limits_for(const enriched_alert& alert,
                         const context_bundle& bundle, const decision& rules);

/// Composes a valid answer with the rules' decision. `llm`: the answer's
/// plans; `hybrid`: the answer's plans, then every rules plan no answer
/// plan is `based_on`. A plan `based_on` a candidate with the same actions
/// is that candidate itself; others get ids l1, l2, ... and source `llm`
/// (`llm: adjusted p2`). The LLM cannot silence an alert on its own: its
/// `no_action` stands only when the rules say `no_action` too, else the
/// incident escalates.
decision compose_decision(const std::string& strategy, const llm_answer& answer,
                          const decision& rules);

/// The rules' decision, with a note: "<why>; the rules' decision and plans
/// are used".
decision fall_back(const decision& rules, const std::string& why);

} // namespace kfix::reasoning
