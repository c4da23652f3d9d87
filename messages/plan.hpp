#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kfix {

/// The action vocabulary of the recorded-incident format, v1.
enum class action_type : uint8_t {
  set_resources,
  scale_replicas,
  set_hpa,
  rollback,
  set_probe,
  set_image,
  restart,
  set_env,
  escalate,
};

std::string_view to_string(action_type type);
std::optional<action_type> parse_action_type(std::string_view name);

/// One action of a plan. `params` holds the vocabulary's parameters as text:
/// quantities ("1536Mi"), numbers ("3"), `unset`, or free text (`reason`).
struct action {
  action_type type = action_type::escalate;
  std::string container;
  std::map<std::string, std::string> params;

  /// The parameter's value, or an empty string.
  std::string param(const std::string& key) const;
};

/// What the engine decided for an incident.
enum class decision_kind : uint8_t { fix, escalate, no_action };

std::string_view to_string(decision_kind kind);
std::optional<decision_kind> parse_decision_kind(std::string_view name);

/// A candidate fix with everything a reviewer needs to judge it.
struct plan {
  std::string id; // stable within an incident: "p1", "p2", ...
  std::string title;
  std::vector<action> actions;
  /// Why, citing the evidence (numbers, events, statuses).
  std::string justification;
  std::string expected_effect;
  /// Risk and blast radius.
  std::string risk;
  /// Alternatives considered and why they rank lower.
  std::vector<std::string> alternatives;
  /// The exact inverse change.
  std::string rollback;
  double confidence = 0;
  /// The rule or playbook that produced the plan.
  std::string source;
};

/// What the LLM cost for one incident (all zero for the rules).
struct llm_usage {
  int64_t calls = 0;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  double cost_usd = 0;
  int64_t latency_ms = 0;
};

/// The reasoning stage's answer: a decision and the ranked plans (best first).
struct decision {
  decision_kind kind = decision_kind::escalate;
  std::string reason;
  std::vector<plan> plans;
  /// The strategy that decided: rules, llm, hybrid.
  std::string strategy = "rules";
  llm_usage usage;
  /// What a reader of the incident should know about how it was decided
  /// ("the LLM answer was invalid twice; the rules' plans are used").
  std::vector<std::string> notes;
};

void to_json(nlohmann::json& j, const action& x);
void to_json(nlohmann::json& j, const plan& x);
void to_json(nlohmann::json& j, const llm_usage& x);
void to_json(nlohmann::json& j, const decision& x);

} // namespace kfix
