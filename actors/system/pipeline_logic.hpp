#pragma once

#include "messages/incident.hpp"
#include "messages/pipeline.hpp"

#include <optional>
#include <string>
#include <vector>

/// The pure decisions between the stages of the pipeline.
namespace kfix::pipeline {

/// The best plan that has a patch and an accepting verdict, in the decision's
/// rank order; nullopt when none passes.
std::optional<size_t> choose_plan(const decision& d, const patch_set& patches,
                                  const std::vector<verdict>& verdicts);

/// The patch made for a plan, if any.
const patch* find_patch(const patch_set& patches, const std::string& plan_id);

/// A one-line account of why no plan was chosen: every plan's reasons.
std::string rejection_summary(const decision& d, const patch_set& patches,
                              const std::vector<verdict>& verdicts);

/// The workload as the cluster reported it, else as the alert named it.
workload_ref target_workload(const enriched_alert& alert,
                             const context_bundle& bundle);

/// Whether an alert's transition asks for remediation (Triggered,
/// Re-Triggered, Renotify) rather than recording only (Recovered, Warn, No
/// Data).
bool wants_remediation(const enriched_alert& alert);

} // namespace kfix::pipeline
