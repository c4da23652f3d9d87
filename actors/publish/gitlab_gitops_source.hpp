#pragma once

#include "actors/common/http_client.hpp"
#include "actors/publish/gitlab_session.hpp"
#include "actors/publish/gitops_source.hpp"
#include "config/config.hpp"

#include <memory>
#include <string>

namespace kfix::publish {

struct gitlab_source_options {
  /// At most this many manifests per listing; more is an error.
  size_t max_files = default_max_manifest_files;
  /// Tree page size (GitLab caps it at 100).
  int per_page = 100;
  /// File reads in flight at once.
  size_t parallel = 8;
};

/// Reads manifests through the GitLab API: the repository tree (recursive,
/// following `x-next-page`), then every YAML blob's metadata for its content
/// and `last_commit_id`.
class gitlab_gitops_source final : public gitops_source {
public:
  gitlab_gitops_source(std::shared_ptr<http::client> client,
                       const gitlab_config& cfg, std::string token,
                       gitlab_source_options opts = {});

  [[nodiscard]] caf::expected<std::vector<repo_file>>
  list_manifests(const gitops_target& target,
                 const std::string& under_path) override;

private:
  gitlab_session session_;
  std::string default_project_;
  std::string default_branch_;
  gitlab_source_options opts_;
};

} // namespace kfix::publish
