#pragma once

#include "config/config.hpp"
#include "messages/alert.hpp"
#include "messages/context.hpp"
#include "messages/plan.hpp"

namespace kfix::reasoning {

/// The rules strategy: routes an alert to the playbook for its type and
/// decides `no_action` for alerts that need none (recovered, no data).
decision decide(const enriched_alert& alert, const context_bundle& bundle,
                const sizing_config& sizing, const policy_config& policy);

} // namespace kfix::reasoning
