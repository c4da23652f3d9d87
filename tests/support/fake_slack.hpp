#pragma once

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kfix::test {

/// A Slack incoming webhook on 127.0.0.1 (port 0), as
/// ../shared/reference/api-reference.md §12 describes: POST JSON to
/// `/services/T000/B000/XXXX`; 200 `ok` (text/plain); 400 `invalid_payload`
/// for an unparsable body, 400 `no_text` without `text` and `blocks`; 404
/// `no_service` for another path; fault injection (429 + Retry-After).
class fake_slack {
public:
  /// Starts serving; throws std::runtime_error when no port can be bound.
  fake_slack();
  ~fake_slack();

  fake_slack(const fake_slack&) = delete;
  fake_slack& operator=(const fake_slack&) = delete;

  /// The webhook URL (the secret).
  std::string webhook_url() const;
  /// A URL of the same server that is no webhook (revoked / mistyped).
  std::string invalid_webhook_url() const;

  /// Every accepted message, in order.
  std::vector<nlohmann::json> messages() const;
  /// Every request that reached the server, accepted or not.
  size_t request_count() const;

  /// Answers the next request with `status`, `body` and `headers` (once).
  void fail_next(int status, std::string body,
                 std::vector<std::pair<std::string, std::string>> headers = {});

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace kfix::test
