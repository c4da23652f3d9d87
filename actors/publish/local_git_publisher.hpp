#pragma once

#include "actors/publish/publisher.hpp"

#include <filesystem>
#include <string>

namespace kfix::publish {

/// Publishes into local git repositories (libgit2) when no GitLab is
/// configured: one repository per project under
/// `<state_dir>/gitops/<project with / replaced by __>` (project
/// `local/<namespace>` when none is given), seeded on first use with the
/// incident's GitOps files on the target branch. Each merge request becomes
/// a branch with exactly one commit beyond the target branch, its
/// description `<state_dir>/merge-requests/<branch, / -> ->.md` and a JSON
/// sidecar next to it. HEAD stays on the target branch. Re-publishing a
/// branch replaces its commit. Thread-safe (one lock per repository).
class local_git_publisher final : public publisher {
public:
  explicit local_git_publisher(std::filesystem::path state_dir);
  ~local_git_publisher() override;

  local_git_publisher(const local_git_publisher&) = delete;
  local_git_publisher& operator=(const local_git_publisher&) = delete;

  [[nodiscard]] caf::expected<publication>
  publish(const publish_request& req) override;

  /// Appends the note to the merge request's description file and to the
  /// `notes` of its JSON sidecar.
  [[nodiscard]] caf::error add_note(const publication& pub,
                                    const std::string& text) override;

  /// The repository directory for `project`.
  std::filesystem::path repo_path(const std::string& project) const;

  /// The description file for `branch`; the sidecar has `.json` instead.
  std::filesystem::path description_path(const std::string& branch) const;

  /// `project`, or `local/<namespace>` of the request's workload.
  static std::string project_of(const publish_request& req);

private:
  std::filesystem::path state_dir_;
};

} // namespace kfix::publish
