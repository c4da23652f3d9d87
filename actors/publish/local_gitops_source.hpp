#pragma once

#include "actors/publish/gitops_source.hpp"

#include <filesystem>

namespace kfix::publish {

/// Reads manifests from a directory on disk, e.g. a recorded incident's
/// `gitops/` folder; the target is ignored and `last_commit_id` stays empty.
class local_gitops_source final : public gitops_source {
public:
  explicit local_gitops_source(std::filesystem::path root,
                               size_t max_files = default_max_manifest_files);

  [[nodiscard]] caf::expected<std::vector<repo_file>>
  list_manifests(const gitops_target& target,
                 const std::string& under_path) override;

private:
  std::filesystem::path root_;
  size_t max_files_;
};

} // namespace kfix::publish
