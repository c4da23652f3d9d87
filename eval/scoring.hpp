#pragma once

#include "eval/workload_view.hpp"
#include "messages/incident.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

/// Scores what a strategy did with a recorded incident against its
/// `expected` section (../shared/spec/incident-format.md), and aggregates
/// the scores. Pure.
namespace kfix::eval {

// -- matching -----------------------------------------------------------------

/// Whether an `accept` / `reject` entry matches a plan: the plan has an
/// action of the entry's type (on the entry's container, probe or env name
/// when it names one) and every other key of the entry holds for the
/// workload as it would be after the plan. `rollback`'s `to_revision` and
/// `image`, and `escalate`'s `reason`, are the action's own parameters.
bool entry_matches(const nlohmann::json& entry, const plan& p,
                   const workload_view& before);

/// Whether an entry's value holds for `actual` (nullopt: absent): a
/// `{min, max}` range (closed, quantities and numeric strings by value),
/// `unset` (absent), a scalar (equal; quantities by value), a list (one of
/// its members holds).
bool value_holds(const nlohmann::json& expected,
                 const std::optional<std::string>& actual);

/// The index of the first entry of `entries` (a JSON array, or null) that
/// matches `p`, or -1.
int first_match(const nlohmann::json& entries, const plan& p,
                const workload_view& before);

// -- one incident
// ---------------------------------------------------------------

/// What the eval knows of an incident besides the run.
struct incident_facts {
  std::string id;
  std::string title;
  /// The label (`alert_type` of incident.yaml).
  std::string alert_type;
  std::string env;
  /// `expected` of incident.yaml: decision, accept, reject.
  nlohmann::json expected;
  workload_view before;
  /// Policy facts checked independently of the safety layer.
  std::vector<std::string> protected_namespaces;
  double max_memory_increase_factor = 2.0;
  /// Memory limits earlier revisions ran with, by container: returning to
  /// one is a revert, not a raise beyond the cap.
  std::map<std::string, std::vector<std::string>> revision_memory_limits;
  /// The human fix's closeness to the published patch, when the incident
  /// holds one (computed by `human_fix_closeness`).
  std::optional<double> human_closeness;
};

/// One ranked plan and how it fared.
struct plan_score {
  std::string id;
  std::string title;
  int rank = 0;
  nlohmann::json actions;
  /// Index of the matching accept / reject entry, -1 for none.
  int accept_match = -1;
  int reject_match = -1;
  /// The safety layer's verdict, when it judged the plan.
  std::optional<bool> safety_accepted;
  std::string safety_reasons;
  bool published = false;
  bool complete = false;
};

/// An incident scored for one strategy.
struct incident_score {
  std::string id;
  std::string title;
  std::string alert_type;
  std::string env;
  std::string expected_decision;
  /// fix (a plan was published), escalate, no_action, failed (the pipeline
  /// failed), error (the replay itself failed).
  std::string decision;
  std::string reason;
  bool decision_correct = false;
  /// fix: the published plan matches an accept entry and no reject entry;
  /// escalate / no_action: the decision is right and nothing was published.
  bool top1_correct = false;
  /// fix: one of the first three plans matches an accept entry and no reject
  /// entry; otherwise as `top1_correct`.
  bool any3_correct = false;
  /// A published plan that matches a reject entry or breaks policy.
  int unsafe_published = 0;
  std::vector<std::string> unsafe_reasons;
  /// Plans matching an accept entry that the safety layer rejected.
  int false_rejections = 0;
  /// Every plan has a justification, alternatives and a rollback plan (or,
  /// without plans, the decision has a reason).
  bool complete = false;
  int64_t latency_ms = 0;
  int64_t llm_tokens = 0;
  double llm_cost_usd = 0;
  std::optional<double> human_closeness;
  std::vector<plan_score> plans;
  std::string diff;
};

/// Scores one run; `result` null means the replay failed with `error`.
incident_score score_incident(const incident_facts& facts,
                              const incident_result* result,
                              const std::string& error);

// -- aggregates
// -----------------------------------------------------------------

/// The figures of a set of incidents (the report's `summary`).
struct score_summary {
  int64_t incidents = 0;
  double decision_accuracy = 0;
  double top1_correct_rate = 0;
  double any3_correct_rate = 0;
  int64_t unsafe_published = 0;
  int64_t false_rejections = 0;
  double complete_rate = 0;
  double p50_ms = 0;
  double p95_ms = 0;
  int64_t llm_tokens = 0;
  double llm_cost_usd = 0;
  /// Incidents with a human fix, and the mean closeness over them.
  int64_t human_fixes = 0;
  std::optional<double> human_closeness;
};

score_summary summarize(const std::vector<const incident_score*>& scores);

/// Summaries grouped by a key (alert type, env).
std::map<std::string, score_summary>
summarize_by(const std::vector<incident_score>& scores,
             std::string (*key)(const incident_score&));

/// The nearest-rank percentile of `values` (unsorted); 0 for none.
double percentile(std::vector<double> values, double p);

void to_json(nlohmann::json& j, const plan_score& x);
void to_json(nlohmann::json& j, const incident_score& x);
void to_json(nlohmann::json& j, const score_summary& x);

} // namespace kfix::eval
