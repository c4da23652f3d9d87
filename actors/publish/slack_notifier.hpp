#pragma once

#include "actors/common/http_client.hpp"
#include "messages/error.hpp"
#include "messages/incident.hpp"
#include "messages/verdict.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace kfix::publish {

/// Posts incident summaries to a Slack incoming webhook (service "slack").
/// The webhook URL is a secret: it never appears in logs or errors.
class slack_notifier {
public:
  explicit slack_notifier(std::shared_ptr<http::client> client,
                          std::chrono::milliseconds timeout
                          = std::chrono::milliseconds{5'000});

  /// Posts the message for `r` (and its MR, if published). 200 is success;
  /// any other status is an error carrying Slack's text (`invalid_payload`,
  /// `no_text`, `no_service`, ...).
  [[nodiscard]] caf::error notify(const std::string& webhook_url,
                                  const incident_result& r,
                                  const std::optional<publication>& pub);

private:
  std::shared_ptr<http::client> client_;
  std::chrono::milliseconds timeout_;
};

} // namespace kfix::publish
