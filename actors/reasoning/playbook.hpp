#pragma once

#include "actors/reasoning/signals.hpp"
#include "messages/error.hpp"
#include "messages/plan.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

/// Playbooks: the rules engine's scenarios as data (config/playbooks/*.yaml,
/// format in docs/playbooks.md). A playbook says when it applies (alert
/// types and a condition over the signals), what it decides, and its
/// candidate plans: actions whose parameters are literals, signals or the
/// result of a named sizing method, and the texts of the plan with
/// placeholders. The C++ provides the signals, the sizing methods and the
/// action expanders; a new scenario is a new file. Pure.
namespace kfix::reasoning {

/// A condition over the signals: a comparison, or all / any / not of
/// conditions.
struct condition {
  enum kind_t { compare, all, any, negate, always } kind = always;
  std::string signal;
  /// lt | le | gt | ge | eq | ne | is | exists | in.
  std::string op;
  nlohmann::json value;
  std::vector<condition> children;

  /// Whether the condition holds; `why` collects the comparisons that held
  /// ("rollout.age_hours 0.6 < 6").
  bool holds(const signal_map& s,
             std::vector<std::string>* why = nullptr) const;
};

/// One action template of a plan.
struct action_template {
  action_type type = action_type::escalate;
  /// `target` (the incident's container, the default) or a name.
  std::string container = "target";
  /// Parameter -> literal (JSON scalar), `{signal: name}` or
  /// `{sizing: method}`.
  std::map<std::string, nlohmann::json> params;
  /// For `rollback`: `previous` (the revision before the current one).
  std::string to;
};

/// A candidate plan of a playbook.
struct plan_template {
  std::string id;
  std::string title;
  std::vector<action_template> actions;
  double confidence = 0.5;
  /// Plans whose condition does not hold are left out.
  condition when;
  std::string justification;
  std::string expected_effect;
  std::string risk;
  std::string rollback;
  /// Why this plan ranks below the ones before it; shown among their
  /// alternatives.
  std::string ranks_lower_because;
};

struct playbook {
  std::string name;
  std::string description;
  /// Alert types it applies to; empty: every type.
  std::vector<alert_type> applies_to;
  /// Higher first; ties in file order.
  int priority = 0;
  condition when;
  decision_kind decision = decision_kind::fix;
  /// decision.reason (escalate, no_action) or the fix's summary.
  std::string reason;
  std::vector<plan_template> plans;
  /// Options considered and not proposed, with why.
  std::vector<std::string> alternatives;
  /// The file it came from.
  std::string file;
};

/// Every playbook, sorted by priority.
struct playbook_set {
  std::vector<playbook> playbooks;
  std::vector<std::string> files;
};

/// Parses the playbooks of one YAML document (`playbooks: [...]`); errors
/// name `file` and the playbook and field.
[[nodiscard]] caf::expected<std::vector<playbook>>
parse_playbooks(const std::string& yaml_text, const std::string& file);

/// Loads every `*.yaml` of the given files and folders, sorted by
/// priority.
[[nodiscard]] caf::expected<playbook_set>
load_playbooks(const std::vector<std::string>& paths);

/// The names of the sizing methods playbooks may use.
const std::vector<std::string>& sizing_method_names();

} // namespace kfix::reasoning
