#include "actors/reasoning/decide.hpp"

#include "actors/reasoning/memory_rules.hpp"

namespace kfix::reasoning {

decision decide(const enriched_alert& alert, const context_bundle& bundle,
                const sizing_config& sizing, const policy_config& policy) {
  const auto& t = alert.transition;
  if (t == "Recovered" || t == "No Data" || t == "Re-No Data") {
    decision d;
    d.kind = decision_kind::no_action;
    d.reason = "alert transition is " + t + ": nothing to remediate";
    return d;
  }
  switch (alert.type) {
    case alert_type::oom_killed:
    case alert_type::memory_pressure:
      return plan_memory_fix(alert, bundle, sizing, policy);
    default: {
      decision d;
      d.kind = decision_kind::escalate;
      d.reason = "no playbook for alert type "
                 + std::string{to_string(alert.type)}
                 + " yet; people are notified with the gathered context";
      return d;
    }
  }
}

} // namespace kfix::reasoning
