#pragma once

#include "messages/error.hpp"
#include "messages/patch.hpp"

#include <string>
#include <vector>

namespace kfix::publish {

/// Default cap on the number of manifests one listing reads.
inline constexpr size_t default_max_manifest_files = 500;

/// Where the GitOps manifests of a workload are read from.
class gitops_source {
public:
  virtual ~gitops_source() = default;

  /// The YAML files (`.yaml`, `.yml`) under `under_path` ("" = the whole
  /// tree) of `target`'s target branch, sorted by path, with their content
  /// and, where the source knows it, the commit that last changed them. An
  /// error when the source fails or holds more files than its cap.
  [[nodiscard]] virtual caf::expected<std::vector<repo_file>>
  list_manifests(const gitops_target& target, const std::string& under_path)
    = 0;
};

} // namespace kfix::publish
