#pragma once

#include "actors/reasoning/llm_protocol.hpp"
#include "messages/alert.hpp"
#include "messages/plan.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

/// The answer the model must give, and its validation: whatever the prompt
/// contained, an answer becomes plans only as vocabulary actions on the
/// incident's own containers, with well-formed quantities and integers and
/// bounded counts and lengths. Policy judges the plans afterwards.
namespace kfix::reasoning {

/// What an answer may refer to for one incident.
struct answer_limits {
  workload_ref workload;
  /// The workload's containers (from the pod template).
  std::vector<std::string> containers;
  /// The rules' candidate plan ids (`based_on`).
  std::vector<std::string> candidate_ids;
};

/// Bounds of an answer.
inline constexpr size_t max_answer_plans = 5;
inline constexpr size_t max_plan_actions = 4;
inline constexpr size_t max_alternatives = 6;
inline constexpr size_t max_title_chars = 200;
inline constexpr size_t max_text_chars = 4000;
inline constexpr size_t max_answer_bytes = 64 * 1024;
inline constexpr int64_t max_replicas = 10'000;

/// A validated plan as the model proposed it: `value` without id and
/// source, and the candidate it keeps or adjusts (empty for a new one).
struct proposed_plan {
  plan value;
  std::string based_on;
};

/// A validated answer.
struct llm_answer {
  decision_kind kind = decision_kind::escalate;
  std::string reason;
  std::vector<proposed_plan> plans;
};

/// The validation's verdict: the answer, or every problem found
/// ("plans[0].actions[1].container: \"db\" is not a container of ...").
struct answer_check {
  std::optional<llm_answer> answer;
  std::vector<std::string> problems;
};

/// The JSON Schema of the answer (OpenAI strict-mode compatible: every
/// object lists all its properties as required and forbids others;
/// optional values are unions with null). Containers and candidate ids are
/// enumerated.
nlohmann::json answer_schema(const answer_limits& limits);

/// Validates an answer's JSON text against the schema and the vocabulary
/// (shared/spec/incident-format.md): known actions and parameters only,
/// `container` required, forbidden or one of the workload's, quantities
/// that parse (memory in whole bytes, `unset` to remove), integers within
/// bounds, probe names, image references, env names, at most
/// `max_answer_plans` plans of `max_plan_actions` actions, bounded texts, no
/// unknown fields. `fix` needs plans; `escalate` and `no_action` have none.
answer_check check_answer(std::string_view text, const answer_limits& limits);

/// The repair request: the first request's turns, the previous answer as
/// the assistant's turn, and `repair_text` (the template's repair section
/// with the problems filled in) as the next user turn.
llm_request repair_request(const llm_request& first,
                           std::string_view previous_answer,
                           std::string repair_text);

/// The problems as the repair section's list, one "- " line each, at most
/// 20.
std::string problem_list(const std::vector<std::string>& problems);

} // namespace kfix::reasoning
