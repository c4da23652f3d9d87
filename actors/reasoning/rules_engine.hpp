#pragma once

#include "actors/reasoning/playbook.hpp"
#include "actors/reasoning/signals.hpp"
#include "config/config.hpp"
#include "messages/context.hpp"
#include "messages/plan.hpp"

#include <string>

/// The rules strategy: the first playbook (by priority) that applies to the
/// incident decides; its candidate plans are sized, explained and ranked.
/// Pure.
namespace kfix::reasoning {

/// Runs the playbooks on an incident's signals.
///
/// - A `no_action` or `escalate` playbook decides with its reason.
/// - A `fix` playbook yields its plans whose conditions hold and whose
///   parameters can be sized (a plan that cannot be sized is dropped, and
///   the decision notes say why); when none is left the decision is
///   `escalate` with those reasons.
/// - Without a matching playbook the decision is `escalate`.
///
/// Every plan carries its actions, a justification citing the evidence, the
/// expected effect, the risk with the blast radius (pods restarted,
/// resources added against the quota), the alternatives (the playbook's
/// other plans and the options it rejects), a rollback plan and a
/// confidence.
decision run_playbooks(const playbook_set& playbooks,
                       const incident_signals& signals,
                       const sizing_config& sizing,
                       const policy_config& policy);

/// Fills `{placeholder}`s: signal names (`{memory.peak}`, with a format
/// `{memory.peak|mem}`, `|cpu`, `|pct`, `|int`, `|h`), `{evidence.topic}`,
/// `{new.param}` / `{old.param}` (the plan's new and the container's
/// current values), `{workload}`, `{container}`. Unknown names read "n/a".
std::string render_template(const std::string& text,
                            const incident_signals& signals,
                            const std::map<std::string, std::string>& values);

} // namespace kfix::reasoning
