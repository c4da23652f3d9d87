#pragma once

#include "actors/common/http_client.hpp"
#include "actors/publish/gitlab_session.hpp"
#include "actors/publish/publisher.hpp"
#include "config/config.hpp"

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <string>

namespace kfix::publish {

/// Opens merge requests through the GitLab API v4 (service "gitlab",
/// `PRIVATE-TOKEN` auth). Idempotent: an open MR for the same source and
/// target branch is returned as is; an existing source branch is reused.
/// Never sets auto-merge.
class gitlab_publisher final : public publisher {
public:
  gitlab_publisher(std::shared_ptr<http::client> client,
                   const gitlab_config& cfg, std::string token,
                   std::string author_email = "k-fix@localhost");

  [[nodiscard]] caf::expected<publication>
  publish(const publish_request& req) override;

  /// POST /projects/:id/merge_requests/:iid/notes.
  [[nodiscard]] caf::error add_note(const publication& pub,
                                    const std::string& text) override;

private:
  struct context;

  caf::expected<nlohmann::json> find_open_mr(const context& ctx);
  caf::expected<std::string> commit(const context& ctx);
  caf::expected<std::string> commit_on_existing_branch(const context& ctx);
  caf::expected<nlohmann::json> create_mr(const context& ctx);
  caf::expected<nlohmann::json> get_mr(const context& ctx, int64_t iid);

  gitlab_session session_;
  std::string default_project_;
  std::string default_branch_;
  std::string author_email_;
};

} // namespace kfix::publish
