#include "actors/publish/slack_message.hpp"

#include "actors/publish/merge_request.hpp"

namespace kfix::publish {

namespace {

// Slack's limits: header text 150 characters, section text 3000.
constexpr size_t max_header = 150;
constexpr size_t max_section = 3000;

const plan* chosen_plan(const incident_result& r) {
  for (const auto& p : r.decision.plans)
    if (p.id == r.chosen_plan)
      return &p;
  return nullptr;
}

std::string clip(const std::string& text, size_t max) {
  if (text.size() <= max)
    return text;
  return truncate_utf8(text, max - 3) + "...";
}

std::string workload_text(const workload_ref& w) {
  return (w.kind.empty() ? std::string{} : w.kind + " ") + w.ns + "/" + w.name;
}

std::string link_label(const publication& pub) {
  if (pub.mr_iid > 0)
    return "MR !" + std::to_string(pub.mr_iid);
  return pub.publisher == "local-git" ? "local branch " + pub.branch
                                      : "merge request";
}

} // namespace

std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (auto c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

nlohmann::json render_slack_message(const incident_result& r,
                                    const std::optional<publication>& pub) {
  const auto* p = chosen_plan(r);
  auto workload = workload_text(r.workload);
  auto decision = std::string{to_string(r.decision.kind)};
  // Fallback text for notifications.
  std::string text = "K-Fix: " + (r.alert_type.empty() ? "alert" : r.alert_type)
                     + " on " + workload + ", decision " + decision;
  if (pub && !pub->url.empty())
    text += " - " + link_label(*pub) + " opened";
  else if (r.stage == incident_stage::failed)
    text += " - failed";
  // The section.
  std::string section = "*Workload:* `" + slack_escape(workload) + "`\n";
  section += "*Alert:* "
             + slack_escape(r.alert_type.empty() ? "unknown" : r.alert_type)
             + "\n";
  section += "*Decision:* " + slack_escape(decision);
  if (!r.decision.reason.empty())
    section += " - " + slack_escape(clip(r.decision.reason, 500));
  section += "\n";
  if (p != nullptr)
    section += "*Plan:* " + slack_escape(clip(p->title, 300)) + "\n";
  if (pub && !pub->url.empty()) {
    // A link's URL may not contain '|' or '>'; percent-encode them.
    std::string url;
    for (auto c : pub->url)
      url += c == '|'   ? std::string{"%7C"}
             : c == '>' ? std::string{"%3E"}
             : c == '<' ? std::string{"%3C"}
                        : std::string(1, c);
    section += "*Merge request:* <" + url + "|" + slack_escape(link_label(*pub))
               + ">\n";
  } else if (!r.failure.empty()) {
    section += "*Failure:* " + slack_escape(clip(r.failure, 500)) + "\n";
  }
  std::string context = "incident " + std::to_string(r.incident_id) + " · "
                        + std::string{to_string(r.stage)};
  nlohmann::json blocks = nlohmann::json::array();
  blocks.push_back(
    {{"type", "header"},
     {"text",
      {{"type", "plain_text"},
       {"text", clip("K-Fix remediation: " + workload, max_header)}}}});
  blocks.push_back(
    {{"type", "section"},
     {"text", {{"type", "mrkdwn"}, {"text", clip(section, max_section)}}}});
  blocks.push_back(
    {{"type", "context"},
     {"elements",
      nlohmann::json::array({{{"type", "mrkdwn"}, {"text", context}}})}});
  return {{"text", clip(text, max_section)}, {"blocks", std::move(blocks)}};
}

} // namespace kfix::publish
