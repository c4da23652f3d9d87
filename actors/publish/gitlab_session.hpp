#pragma once

#include "actors/common/http_client.hpp"
#include "messages/error.hpp"

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kfix::publish {

using query_params = std::vector<std::pair<std::string, std::string>>;

/// Calls to one GitLab API v4 base with a `PRIVATE-TOKEN` (service
/// "gitlab"); shared by the GitLab publisher and manifest source.
class gitlab_session {
public:
  gitlab_session(std::shared_ptr<http::client> client, std::string url,
                 std::string token, std::chrono::milliseconds timeout);

  /// An outgoing call to `path` (below /api/v4, already encoded).
  http::outgoing make(std::string method, const std::string& path,
                      const query_params& query = {},
                      std::string body = {}) const;

  [[nodiscard]] caf::expected<http::incoming>
  get(const std::string& path, const query_params& query = {});

  [[nodiscard]] caf::expected<http::incoming> post(const std::string& path,
                                                   const nlohmann::json& body);

  std::vector<caf::expected<http::incoming>>
  send_all(const std::vector<http::outgoing>& reqs);

  /// The error for an unexpected answer to `what`: "GitLab <what>: HTTP 401
  /// 401 Unauthorized". 429 and 5xx give `ec::unavailable`, other statuses
  /// `ec::upstream_error`.
  caf::error status_error(const std::string& what,
                          const http::incoming& answer) const;

  const std::string& api_base() const {
    return api_base_;
  }

private:
  std::shared_ptr<http::client> client_;
  std::string api_base_;
  std::string token_;
  std::chrono::milliseconds timeout_;
};

} // namespace kfix::publish
