#include "actors/publish/gitlab_session.hpp"

#include "actors/publish/gitlab_api.hpp"

#include <nlohmann/json.hpp>

namespace kfix::publish {

gitlab_session::gitlab_session(std::shared_ptr<http::client> client,
                               std::string url, std::string token,
                               std::chrono::milliseconds timeout)
  : client_(std::move(client)), api_base_(gitlab_api_base(url)),
    token_(std::move(token)), timeout_(timeout) {}

http::outgoing gitlab_session::make(std::string method, const std::string& path,
                                    const query_params& query,
                                    std::string body) const {
  http::outgoing req;
  req.service = "gitlab";
  req.method = std::move(method);
  req.url = api_base_ + path;
  if (!query.empty())
    req.url += "?" + http::build_query(query);
  req.headers.emplace_back("PRIVATE-TOKEN", token_);
  req.headers.emplace_back("Accept", "application/json");
  if (!body.empty())
    req.headers.emplace_back("Content-Type", "application/json");
  req.body = std::move(body);
  req.timeout = timeout_;
  return req;
}

caf::expected<http::incoming> gitlab_session::get(const std::string& path,
                                                  const query_params& query) {
  return client_->send(make("GET", path, query));
}

caf::expected<http::incoming> gitlab_session::post(const std::string& path,
                                                   const nlohmann::json& body) {
  return client_->send(make("POST", path, {}, body.dump()));
}

std::vector<caf::expected<http::incoming>>
gitlab_session::send_all(const std::vector<http::outgoing>& reqs) {
  return client_->send_all(reqs);
}

caf::error gitlab_session::status_error(const std::string& what,
                                        const http::incoming& answer) const {
  auto code = answer.status == 429 || answer.status >= 500 ? ec::unavailable
                                                           : ec::upstream_error;
  std::string hint;
  if (answer.status == 401)
    hint = " (check the GitLab token)";
  else if (answer.status == 403)
    hint = " (the token lacks the `api` scope or project access)";
  else if (answer.status == 404)
    hint = " (unknown project, branch or file, or no access to it)";
  return make_error(code, "GitLab " + what + ": HTTP "
                            + std::to_string(answer.status) + " "
                            + gitlab_error_message(answer.body) + hint);
}

} // namespace kfix::publish
