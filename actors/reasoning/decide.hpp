#pragma once

#include "actors/reasoning/playbook.hpp"
#include "config/config.hpp"
#include "messages/alert.hpp"
#include "messages/context.hpp"
#include "messages/plan.hpp"

namespace kfix::reasoning {

/// The alert type the rules work with: the alert's, or, when the alert says
/// nothing the classifier knows (`unknown`), what the context shows (a
/// CreateContainerConfigError is a crash loop, a FailedCreate for the quota
/// is quota_exceeded, ...).
alert_type effective_alert_type(const enriched_alert& alert,
                                const incident_signals& signals);

/// The rules strategy: gathers the signals and runs the playbooks
/// (rules_engine.hpp).
decision decide(const enriched_alert& alert, const context_bundle& bundle,
                const playbook_set& playbooks, const sizing_config& sizing,
                const policy_config& policy);

/// The same with the playbooks of `config/playbooks` (relative to the
/// working directory, else the source tree), loaded once.
decision decide(const enriched_alert& alert, const context_bundle& bundle,
                const sizing_config& sizing, const policy_config& policy);

} // namespace kfix::reasoning
