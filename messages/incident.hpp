#pragma once

#include "messages/alert.hpp"
#include "messages/context.hpp"
#include "messages/patch.hpp"
#include "messages/plan.hpp"
#include "messages/verdict.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kfix {

/// The stages an incident passes through, in order.
enum class incident_stage : uint8_t {
  received,
  context,
  planned,
  validated,
  published,
  failed,
  // An incident that needs nothing published (escalated, no action).
  closed,
};

std::string_view to_string(incident_stage stage);

/// Parses a stage name; nullopt for an unknown one.
std::optional<incident_stage> parse_incident_stage(std::string_view name);

/// An alert accepted for processing, with its stored incident id.
struct incident {
  int64_t id = 0;
  enriched_alert alert;
};

/// Everything the pipeline produced for one incident.
struct incident_result {
  int64_t incident_id = 0;
  incident_stage stage = incident_stage::received;
  std::string failure;
  workload_ref workload;
  std::string alert_type;
  /// The alert that opened the incident.
  enriched_alert alert;
  context_bundle context;
  kfix::decision decision;
  std::vector<verdict> verdicts;
  /// The plan that passed safety and was published, if any.
  std::string chosen_plan;
  std::optional<kfix::patch> patch;
  std::optional<kfix::publication> publication;
  int64_t duration_ms = 0;
};

using incident_ptr = std::shared_ptr<const incident>;
using bundle_ptr = std::shared_ptr<const context_bundle>;
using result_ptr = std::shared_ptr<const incident_result>;

void to_json(nlohmann::json& j, const incident_result& x);

} // namespace kfix
