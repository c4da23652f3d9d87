#include "actors/publish/local_gitops_source.hpp"

#include "actors/publish/gitlab_api.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>

namespace kfix::publish {

namespace fs = std::filesystem;

local_gitops_source::local_gitops_source(fs::path root, size_t max_files)
  : root_(std::move(root)), max_files_(max_files) {}

caf::expected<std::vector<repo_file>>
local_gitops_source::list_manifests(const gitops_target&,
                                    const std::string& under_path) {
  auto rel = fs::path{under_path}.relative_path().lexically_normal();
  if (!rel.empty() && *rel.begin() == "..")
    return make_error(ec::invalid_input, "manifests path '" + under_path
                                           + "' leaves the GitOps directory");
  auto dir = rel.empty() || rel == "." ? root_ : root_ / rel;
  std::error_code err;
  if (!fs::is_directory(dir, err))
    return make_error(ec::not_found,
                      "GitOps directory " + dir.string() + " does not exist");
  std::vector<repo_file> result;
  fs::recursive_directory_iterator it{dir, err};
  if (err)
    return make_error(ec::io_error,
                      "cannot list " + dir.string() + ": " + err.message());
  for (; it != fs::recursive_directory_iterator{}; it.increment(err)) {
    if (err)
      return make_error(ec::io_error,
                        "cannot list " + dir.string() + ": " + err.message());
    if (!it->is_regular_file(err) || !is_yaml_path(it->path().string()))
      continue;
    if (result.size() == max_files_)
      return make_error(ec::invalid_input,
                        "more than " + std::to_string(max_files_)
                          + " YAML files under " + dir.string()
                          + " (the cap is " + std::to_string(max_files_) + ")");
    std::ifstream in{it->path(), std::ios::binary};
    std::ostringstream content;
    content << in.rdbuf();
    if (!in && !in.eof())
      return make_error(ec::io_error, "cannot read " + it->path().string());
    repo_file file;
    file.path = it->path().lexically_relative(root_).generic_string();
    file.content = content.str();
    result.push_back(std::move(file));
  }
  std::sort(result.begin(), result.end(),
            [](const repo_file& x, const repo_file& y) {
              return x.path < y.path;
            });
  return result;
}

} // namespace kfix::publish
