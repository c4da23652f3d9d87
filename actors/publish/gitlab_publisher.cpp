#include "actors/publish/gitlab_publisher.hpp"

#include "actors/common/log.hpp"
#include "actors/publish/base64.hpp"
#include "actors/publish/gitlab_api.hpp"

#include <nlohmann/json.hpp>

namespace kfix::publish {

namespace {

constexpr std::string_view component = "publish";

std::string join(const std::vector<std::string>& xs, const char* sep) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty())
      out += sep;
    out += x;
  }
  return out;
}

publication to_publication(const nlohmann::json& mr, const std::string& project,
                           const std::string& commit,
                           const std::string& description) {
  publication result;
  result.publisher = "gitlab";
  result.project = project;
  result.url = json_string(mr, "web_url");
  result.branch = json_string(mr, "source_branch");
  result.commit = commit.empty() ? json_string(mr, "sha") : commit;
  result.mr_iid = json_int(mr, "iid");
  result.description = description;
  return result;
}

} // namespace

/// One publish call's resolved parameters.
struct gitlab_publisher::context {
  const publish_request* req;
  std::string project;
  std::string base; // /projects/:id
  std::string branch;
  std::string target;
  int64_t incident = 0;
};

gitlab_publisher::gitlab_publisher(std::shared_ptr<http::client> client,
                                   const gitlab_config& cfg, std::string token,
                                   std::string author_email)
  : session_(std::move(client), cfg.url, std::move(token), cfg.timeout),
    default_project_(cfg.project), default_branch_(cfg.target_branch),
    author_email_(std::move(author_email)) {}

caf::expected<publication>
gitlab_publisher::publish(const publish_request& req) {
  context ctx;
  ctx.req = &req;
  ctx.project
    = req.target.project.empty() ? default_project_ : req.target.project;
  if (ctx.project.empty())
    return make_error(ec::invalid_input,
                      "GitLab publish: no project given and no default "
                      "gitlab.project configured");
  ctx.base = "/projects/" + gitlab_project_id(ctx.project);
  ctx.branch = req.content.branch;
  ctx.target = req.target.target_branch.empty() ? default_branch_
                                                : req.target.target_branch;
  ctx.incident = req.result ? req.result->incident_id : 0;
  if (ctx.branch.empty() || !is_valid_ref_name(ctx.branch))
    return make_error(ec::invalid_input,
                      "GitLab publish: invalid source branch '" + ctx.branch
                        + "'");
  if (ctx.branch == ctx.target)
    return make_error(ec::invalid_input,
                      "GitLab publish: source and target branch are both '"
                        + ctx.branch + "'");
  if (req.p.files.empty())
    return make_error(ec::invalid_input,
                      "GitLab publish: the patch changes no file");
  // Step 1: an open MR for this branch means an earlier publish succeeded.
  auto existing = find_open_mr(ctx);
  if (!existing)
    return existing.error();
  if (!existing->is_null()) {
    log::info(component, "mr-exists",
              {{"incident", ctx.incident},
               {"project", ctx.project},
               {"branch", ctx.branch},
               {"iid", json_int(*existing, "iid")}});
    return to_publication(*existing, ctx.project, {}, req.content.description);
  }
  // Step 2: the commit on the source branch.
  auto sha = commit(ctx);
  if (!sha)
    return sha.error();
  // Step 3: the merge request.
  auto mr = create_mr(ctx);
  if (!mr)
    return mr.error();
  log::info(component, "mr-opened",
            {{"incident", ctx.incident},
             {"project", ctx.project},
             {"branch", ctx.branch},
             {"iid", json_int(*mr, "iid")},
             {"url", json_string(*mr, "web_url")}});
  return to_publication(*mr, ctx.project, *sha, req.content.description);
}

caf::error gitlab_publisher::add_note(const publication& pub,
                                      const std::string& text) {
  auto project = pub.project.empty() ? default_project_ : pub.project;
  if (project.empty() || pub.mr_iid <= 0)
    return make_error(ec::invalid_input,
                      "GitLab note: the publication names no project or "
                      "merge request");
  auto path = "/projects/" + gitlab_project_id(project) + "/merge_requests/"
              + std::to_string(pub.mr_iid) + "/notes";
  auto answer = session_.post(path, nlohmann::json{{"body", text}});
  if (!answer)
    return answer.error();
  if (answer->status != 201 && answer->status != 200)
    return session_.status_error(
      "note on merge request !" + std::to_string(pub.mr_iid) + " of " + project,
      *answer);
  log::info(component, "mr-note-added",
            {{"project", project}, {"iid", pub.mr_iid}});
  return caf::none;
}

caf::expected<nlohmann::json>
gitlab_publisher::find_open_mr(const context& ctx) {
  auto answer
    = session_.get(ctx.base + "/merge_requests", {{"source_branch", ctx.branch},
                                                  {"target_branch", ctx.target},
                                                  {"state", "opened"}});
  if (!answer)
    return answer.error();
  if (answer->status != 200)
    return session_.status_error("list merge requests of " + ctx.project,
                                 *answer);
  auto list = nlohmann::json::parse(answer->body, nullptr, false);
  if (!list.is_array())
    return make_error(ec::upstream_error, "GitLab list merge requests of "
                                            + ctx.project
                                            + ": not a JSON array");
  for (const auto& mr : list)
    if (json_string(mr, "source_branch") == ctx.branch
        && json_string(mr, "state") == "opened")
      return mr;
  return nlohmann::json{};
}

caf::expected<std::string> gitlab_publisher::commit(const context& ctx) {
  const auto& req = *ctx.req;
  nlohmann::json actions = nlohmann::json::array();
  for (const auto& f : req.p.files) {
    nlohmann::json action{
      {"action",
       f.before.empty() && f.last_commit_id.empty() ? "create" : "update"},
      {"file_path", f.path},
      {"content", f.after}};
    if (!f.last_commit_id.empty())
      action["last_commit_id"] = f.last_commit_id;
    actions.push_back(std::move(action));
  }
  nlohmann::json body{{"branch", ctx.branch},
                      {"start_branch", ctx.target},
                      {"commit_message", req.content.commit_message},
                      {"author_name", "K-Fix"},
                      {"author_email", author_email_},
                      {"actions", std::move(actions)}};
  auto answer = session_.post(ctx.base + "/repository/commits", body);
  if (!answer)
    return answer.error();
  if (answer->status == 201 || answer->status == 200)
    return json_string(nlohmann::json::parse(answer->body, nullptr, false),
                       "id");
  if (answer->status == 400
      && gitlab_error_message(answer->body).find("already exists")
           != std::string::npos
      && gitlab_error_message(answer->body).find("branch")
           != std::string::npos) {
    log::info(component, "branch-exists",
              {{"incident", ctx.incident},
               {"project", ctx.project},
               {"branch", ctx.branch}});
    return commit_on_existing_branch(ctx);
  }
  return session_.status_error(
    "commit to " + ctx.project + " branch " + ctx.branch, *answer);
}

caf::expected<std::string>
gitlab_publisher::commit_on_existing_branch(const context& ctx) {
  // The branch is left over from an earlier attempt: commit only what
  // differs there, against the branch's own last_commit_ids.
  const auto& req = *ctx.req;
  std::vector<http::outgoing> reads;
  for (const auto& f : req.p.files)
    reads.push_back(session_.make(
      "GET", ctx.base + "/repository/files/" + http::url_encode(f.path),
      {{"ref", ctx.branch}}));
  auto answers = session_.send_all(reads);
  nlohmann::json actions = nlohmann::json::array();
  for (size_t i = 0; i < req.p.files.size(); ++i) {
    const auto& f = req.p.files[i];
    auto& answer = answers[i];
    if (!answer)
      return answer.error();
    if (answer->status == 404) {
      actions.push_back(
        {{"action", "create"}, {"file_path", f.path}, {"content", f.after}});
      continue;
    }
    if (answer->status != 200)
      return session_.status_error("read " + f.path + " on " + ctx.branch,
                                   *answer);
    auto meta = nlohmann::json::parse(answer->body, nullptr, false);
    auto current = json_string(meta, "encoding") == "text"
                     ? caf::expected<std::string>{json_string(meta, "content")}
                     : base64_decode(json_string(meta, "content"));
    if (current && *current == f.after)
      continue;
    nlohmann::json action{
      {"action", "update"}, {"file_path", f.path}, {"content", f.after}};
    if (auto id = json_string(meta, "last_commit_id"); !id.empty())
      action["last_commit_id"] = id;
    actions.push_back(std::move(action));
  }
  if (actions.empty()) {
    auto branch = session_.get(ctx.base + "/repository/branches/"
                               + http::url_encode(ctx.branch));
    if (!branch)
      return branch.error();
    if (branch->status != 200)
      return session_.status_error("branch " + ctx.branch, *branch);
    auto j = nlohmann::json::parse(branch->body, nullptr, false);
    return j.is_object() && j.contains("commit")
             ? json_string(j["commit"], "id")
             : std::string{};
  }
  nlohmann::json body{{"branch", ctx.branch},
                      {"commit_message", req.content.commit_message},
                      {"author_name", "K-Fix"},
                      {"author_email", author_email_},
                      {"actions", std::move(actions)}};
  auto answer = session_.post(ctx.base + "/repository/commits", body);
  if (!answer)
    return answer.error();
  if (answer->status != 201 && answer->status != 200)
    return session_.status_error(
      "commit to " + ctx.project + " branch " + ctx.branch, *answer);
  return json_string(nlohmann::json::parse(answer->body, nullptr, false), "id");
}

caf::expected<nlohmann::json> gitlab_publisher::create_mr(const context& ctx) {
  const auto& content = ctx.req->content;
  nlohmann::json body{{"source_branch", ctx.branch},
                      {"target_branch", ctx.target},
                      {"title", content.title},
                      {"description", content.description},
                      {"labels", join(content.labels, ",")},
                      {"remove_source_branch", true}};
  auto answer = session_.post(ctx.base + "/merge_requests", body);
  if (!answer)
    return answer.error();
  if (answer->status == 201 || answer->status == 200) {
    auto mr = nlohmann::json::parse(answer->body, nullptr, false);
    if (!mr.is_object() || json_int(mr, "iid") == 0)
      return make_error(ec::upstream_error,
                        "GitLab create merge request in " + ctx.project
                          + ": no merge request in the answer");
    return mr;
  }
  if (answer->status == 409) {
    // Another open MR exists for the branch (a concurrent publish won).
    auto message = gitlab_error_message(answer->body);
    if (auto iid = parse_duplicate_mr_iid(message)) {
      log::info(component, "mr-duplicate",
                {{"incident", ctx.incident},
                 {"project", ctx.project},
                 {"branch", ctx.branch},
                 {"iid", *iid}});
      return get_mr(ctx, *iid);
    }
  }
  return session_.status_error("create merge request in " + ctx.project,
                               *answer);
}

caf::expected<nlohmann::json> gitlab_publisher::get_mr(const context& ctx,
                                                       int64_t iid) {
  auto answer
    = session_.get(ctx.base + "/merge_requests/" + std::to_string(iid));
  if (!answer)
    return answer.error();
  if (answer->status != 200)
    return session_.status_error(
      "merge request !" + std::to_string(iid) + " of " + ctx.project, *answer);
  auto mr = nlohmann::json::parse(answer->body, nullptr, false);
  if (!mr.is_object())
    return make_error(ec::upstream_error, "GitLab merge request !"
                                            + std::to_string(iid)
                                            + ": not a JSON object");
  return mr;
}

} // namespace kfix::publish
