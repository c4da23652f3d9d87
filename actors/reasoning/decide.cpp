#include "actors/reasoning/decide.hpp"

#include "actors/reasoning/rules_engine.hpp"

#include <filesystem>

namespace kfix::reasoning {

alert_type effective_alert_type(const enriched_alert& alert,
                                const incident_signals& signals) {
  if (alert.type != alert_type::unknown)
    return alert.type;
  const auto& v = signals.values;
  auto positive = [&](const char* name) {
    auto n = v.number(name);
    return n && *n > 0;
  };
  if (v.flag("memory.oom"))
    return alert_type::oom_killed;
  if (positive("waiting.config") || positive("crash.pods"))
    return alert_type::crash_loop;
  if (positive("waiting.image_pull"))
    return alert_type::image_pull;
  if (v.flag("quota.failed_create") || v.flag("limitrange.violation"))
    return alert_type::quota_exceeded;
  if (positive("pods.pending"))
    return alert_type::pending_pods;
  if (positive("pods.evicted_ephemeral"))
    return alert_type::ephemeral_storage;
  if (positive("probe.liveness_failures")
      || positive("probe.readiness_failures"))
    return alert_type::probe_failure;
  return alert_type::unknown;
}

decision decide(const enriched_alert& alert, const context_bundle& bundle,
                const playbook_set& playbooks, const sizing_config& sizing,
                const policy_config& policy) {
  auto signals = gather_signals(alert, bundle);
  auto type = effective_alert_type(alert, signals);
  std::string refined;
  if (type != alert.type) {
    signals.facts.alert.type = type;
    signals.values.set("alert.type", std::string{to_string(type)});
    refined = "the alert's type is unknown; the context shows "
              + std::string{to_string(type)};
  }
  auto d = run_playbooks(playbooks, signals, sizing, policy);
  if (!refined.empty())
    d.notes.insert(d.notes.begin(), refined);
  return d;
}

namespace {

const playbook_set& default_playbooks() {
  static const playbook_set set = [] {
    auto loaded = load_playbooks(playbook_paths(reasoning_config{}));
    return loaded ? std::move(*loaded) : playbook_set{};
  }();
  return set;
}

} // namespace

decision decide(const enriched_alert& alert, const context_bundle& bundle,
                const sizing_config& sizing, const policy_config& policy) {
  return decide(alert, bundle, default_playbooks(), sizing, policy);
}

} // namespace kfix::reasoning
