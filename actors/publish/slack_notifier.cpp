#include "actors/publish/slack_notifier.hpp"

#include "actors/common/log.hpp"
#include "actors/publish/slack_message.hpp"

namespace kfix::publish {

namespace {

/// Replaces every occurrence of `secret` in `text`.
void scrub(std::string& text, const std::string& secret) {
  if (secret.empty())
    return;
  for (auto pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos))
    text.replace(pos, secret.size(), "<webhook>");
}

/// Slack's error text, shortened and on one line.
std::string slack_text(const std::string& body) {
  auto text = body.substr(0, 200);
  for (auto& c : text)
    if (c == '\n' || c == '\r')
      c = ' ';
  return text.empty() ? std::string{"(empty body)"} : text;
}

} // namespace

slack_notifier::slack_notifier(std::shared_ptr<http::client> client,
                               std::chrono::milliseconds timeout)
  : client_(std::move(client)), timeout_(timeout) {}

caf::error slack_notifier::notify(const std::string& webhook_url,
                                  const incident_result& r,
                                  const std::optional<publication>& pub) {
  if (webhook_url.empty())
    return make_error(ec::invalid_config, "slack: no webhook URL configured");
  http::outgoing req;
  req.service = "slack";
  req.method = "POST";
  req.url = webhook_url;
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = render_slack_message(r, pub).dump();
  req.timeout = timeout_;
  auto answer = client_->send(req);
  if (!answer) {
    // The client's message may name the URL; the path is the secret.
    auto message = render(answer.error());
    scrub(message, webhook_url);
    scrub(message, log::redact_url(webhook_url));
    log::warn("publish", "slack-unreachable",
              {{"incident", r.incident_id}, {"error", message}});
    return make_error(code_of(answer.error()) == ec::timeout ? ec::timeout
                                                             : ec::unavailable,
                      "slack webhook: " + message);
  }
  if (answer->status == 200) {
    log::info("publish", "slack-notified", {{"incident", r.incident_id}});
    return caf::none;
  }
  auto text = slack_text(answer->body);
  scrub(text, webhook_url);
  log::warn(
    "publish", "slack-rejected",
    {{"incident", r.incident_id}, {"status", answer->status}, {"error", text}});
  auto code = answer->status == 429 || answer->status >= 500
                ? ec::unavailable
                : ec::upstream_error;
  return make_error(code, "slack webhook: HTTP "
                            + std::to_string(answer->status) + " " + text);
}

} // namespace kfix::publish
