#include "actors/system/pipeline_logic.hpp"

namespace kfix::pipeline {

const patch* find_patch(const patch_set& patches, const std::string& plan_id) {
  for (const auto& p : patches.patches)
    if (p.plan_id == plan_id)
      return &p;
  return nullptr;
}

namespace {

const verdict* find_verdict(const std::vector<verdict>& verdicts,
                            const std::string& plan_id) {
  for (const auto& v : verdicts)
    if (v.plan_id == plan_id)
      return &v;
  return nullptr;
}

bool is_fix_plan(const plan& p) {
  for (const auto& a : p.actions)
    if (a.type != action_type::escalate)
      return true;
  return false;
}

} // namespace

std::optional<size_t> choose_plan(const decision& d, const patch_set& patches,
                                  const std::vector<verdict>& verdicts) {
  if (d.kind != decision_kind::fix)
    return std::nullopt;
  for (size_t i = 0; i < d.plans.size(); ++i) {
    const auto& p = d.plans[i];
    if (!is_fix_plan(p))
      continue;
    auto* v = find_verdict(verdicts, p.id);
    if (v != nullptr && v->accepted && find_patch(patches, p.id) != nullptr)
      return i;
  }
  return std::nullopt;
}

std::string rejection_summary(const decision& d, const patch_set& patches,
                              const std::vector<verdict>& verdicts) {
  std::string result;
  for (const auto& p : d.plans) {
    std::string why;
    for (const auto& [plan_id, reason] : patches.failures)
      if (plan_id == p.id)
        why = "no patch: " + reason;
    if (why.empty())
      if (auto* v = find_verdict(verdicts, p.id); v && !v->accepted)
        why = v->reasons();
    if (why.empty())
      continue;
    if (!result.empty())
      result += "; ";
    result += p.id + " (" + p.title + "): " + why;
  }
  return result.empty() ? "no plan passed the safety checks" : result;
}

workload_ref target_workload(const enriched_alert& alert,
                             const context_bundle& bundle) {
  if (bundle.workload_found && !bundle.workload.ref.name.empty())
    return bundle.workload.ref;
  return alert.workload;
}

bool wants_remediation(const enriched_alert& alert) {
  const auto& t = alert.transition;
  return t.empty() || t == "Triggered" || t == "Re-Triggered"
         || t == "Renotify";
}

} // namespace kfix::pipeline
