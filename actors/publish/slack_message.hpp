#pragma once

#include "messages/incident.hpp"
#include "messages/verdict.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kfix::publish {

/// The Slack incoming-webhook payload for an incident: fallback `text` and
/// `blocks` (header, a section with workload, alert type, decision, plan
/// and the MR link, and a context line with the incident id).
nlohmann::json render_slack_message(const incident_result& r,
                                    const std::optional<publication>& pub);

/// Escapes `&`, `<` and `>` for Slack mrkdwn and plain text.
std::string slack_escape(std::string_view text);

} // namespace kfix::publish
