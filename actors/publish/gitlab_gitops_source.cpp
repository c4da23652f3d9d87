#include "actors/publish/gitlab_gitops_source.hpp"

#include "actors/publish/base64.hpp"
#include "actors/publish/gitlab_api.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace kfix::publish {

namespace {

// Guards against a server whose pagination never ends.
constexpr int max_pages = 10'000;

std::string trim_slashes(std::string path) {
  while (!path.empty() && path.front() == '/')
    path.erase(0, 1);
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  return path;
}

} // namespace

gitlab_gitops_source::gitlab_gitops_source(std::shared_ptr<http::client> client,
                                           const gitlab_config& cfg,
                                           std::string token,
                                           gitlab_source_options opts)
  : session_(std::move(client), cfg.url, std::move(token), cfg.timeout),
    default_project_(cfg.project), default_branch_(cfg.target_branch),
    opts_(opts) {
  opts_.per_page = std::clamp(opts_.per_page, 1, 100);
  opts_.parallel = std::max<size_t>(opts_.parallel, 1);
}

caf::expected<std::vector<repo_file>>
gitlab_gitops_source::list_manifests(const gitops_target& target,
                                     const std::string& under_path) {
  auto project = target.project.empty() ? default_project_ : target.project;
  if (project.empty())
    return make_error(ec::invalid_input,
                      "GitLab manifests: no project given and no default "
                      "gitlab.project configured");
  auto ref
    = target.target_branch.empty() ? default_branch_ : target.target_branch;
  auto path = trim_slashes(under_path);
  auto where = "'" + (path.empty() ? std::string{"/"} : path) + "' of "
               + project + "@" + ref;
  auto base = "/projects/" + gitlab_project_id(project) + "/repository";
  // Step 1: the tree, page by page.
  std::vector<std::string> blobs;
  std::string page = "1";
  for (int pages = 0; !page.empty(); ++pages) {
    if (pages == max_pages)
      return make_error(ec::upstream_error,
                        "GitLab tree of " + where + ": more than "
                          + std::to_string(max_pages) + " pages");
    query_params query{{"recursive", "true"},
                       {"ref", ref},
                       {"per_page", std::to_string(opts_.per_page)},
                       {"page", page}};
    if (!path.empty())
      query.emplace_back("path", path);
    auto answer = session_.get(base + "/tree", query);
    if (!answer)
      return answer.error();
    if (answer->status != 200)
      return session_.status_error("tree of " + where, *answer);
    auto entries = nlohmann::json::parse(answer->body, nullptr, false);
    if (!entries.is_array())
      return make_error(ec::upstream_error,
                        "GitLab tree of " + where + ": not a JSON array");
    for (const auto& e : entries) {
      if (!e.is_object() || json_string(e, "type") != "blob")
        continue;
      auto file = json_string(e, "path");
      if (!is_yaml_path(file))
        continue;
      blobs.push_back(std::move(file));
      if (blobs.size() > opts_.max_files)
        return make_error(ec::invalid_input,
                          "GitLab manifests: more than "
                            + std::to_string(opts_.max_files)
                            + " YAML files under " + where + " (the cap is "
                            + std::to_string(opts_.max_files)
                            + "); narrow gitlab.manifests_path");
    }
    auto next = answer->header("x-next-page");
    if (next == page)
      break;
    page = next;
  }
  std::sort(blobs.begin(), blobs.end());
  blobs.erase(std::unique(blobs.begin(), blobs.end()), blobs.end());
  // Step 2: each file's content and last commit, a few at a time.
  std::vector<repo_file> result;
  result.reserve(blobs.size());
  for (size_t first = 0; first < blobs.size(); first += opts_.parallel) {
    auto last = std::min(blobs.size(), first + opts_.parallel);
    std::vector<http::outgoing> reqs;
    for (auto i = first; i < last; ++i)
      reqs.push_back(session_.make(
        "GET", base + "/files/" + http::url_encode(blobs[i]), {{"ref", ref}}));
    auto answers = session_.send_all(reqs);
    for (auto i = first; i < last; ++i) {
      auto& answer = answers[i - first];
      auto what = "file " + blobs[i] + " of " + project + "@" + ref;
      if (!answer)
        return answer.error();
      if (answer->status != 200)
        return session_.status_error(what, *answer);
      auto meta = nlohmann::json::parse(answer->body, nullptr, false);
      if (!meta.is_object() || !meta.contains("content")
          || !meta["content"].is_string())
        return make_error(ec::upstream_error,
                          "GitLab " + what + ": no content in the answer");
      repo_file file;
      file.path = blobs[i];
      file.last_commit_id = json_string(meta, "last_commit_id");
      auto content = json_string(meta, "content");
      if (json_string(meta, "encoding") != "text") {
        auto decoded = base64_decode(content);
        if (!decoded)
          return make_error(ec::upstream_error,
                            "GitLab " + what + ": " + render(decoded.error()));
        file.content = std::move(*decoded);
      } else {
        file.content = std::move(content);
      }
      result.push_back(std::move(file));
    }
  }
  return result;
}

} // namespace kfix::publish
