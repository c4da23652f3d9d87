#include "actors/publish/local_git_publisher.hpp"

#include "actors/common/log.hpp"

#include <git2.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <system_error>

namespace kfix::publish {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view component = "publish";
constexpr const char* author_name = "K-Fix";
constexpr const char* author_email = "k-fix@localhost";

// -- libgit2 handles ----------------------------------------------------------

template <class T, void (*Free)(T*)>
struct git_deleter {
  void operator()(T* x) const {
    if (x != nullptr)
      Free(x);
  }
};

template <class T, void (*Free)(T*)>
using git_ptr = std::unique_ptr<T, git_deleter<T, Free>>;

using repo_ptr = git_ptr<git_repository, git_repository_free>;
using index_ptr = git_ptr<git_index, git_index_free>;
using tree_ptr = git_ptr<git_tree, git_tree_free>;
using commit_ptr = git_ptr<git_commit, git_commit_free>;
using ref_ptr = git_ptr<git_reference, git_reference_free>;
using sig_ptr = git_ptr<git_signature, git_signature_free>;

caf::error git_failure(const std::string& what) {
  const auto* e = git_error_last();
  return make_error(ec::io_error,
                    "local git: " + what + ": "
                      + (e != nullptr && e->message != nullptr
                           ? std::string{e->message}
                           : std::string{"unknown libgit2 error"}));
}

/// One lock per repository directory, shared by every publisher instance in
/// the process.
std::mutex& repo_lock(const std::string& key) {
  static std::mutex map_mtx;
  static std::map<std::string, std::unique_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> guard{map_mtx};
  auto& slot = locks[key];
  if (!slot)
    slot = std::make_unique<std::mutex>();
  return *slot;
}

bool safe_repo_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.back() == '/')
    return false;
  size_t pos = 0;
  while (pos <= path.size()) {
    auto slash = path.find('/', pos);
    auto comp = path.substr(pos, slash == std::string::npos ? std::string::npos
                                                            : slash - pos);
    if (comp.empty() || comp == "." || comp == ".." || comp == ".git")
      return false;
    if (slash == std::string::npos)
      break;
    pos = slash + 1;
  }
  return path.find('\0') == std::string::npos;
}

/// Writes `content` to `path` through a temporary file and a rename.
caf::error write_file(const fs::path& path, const std::string& content) {
  std::error_code err;
  fs::create_directories(path.parent_path(), err);
  if (err)
    return make_error(ec::io_error, "cannot create "
                                      + path.parent_path().string() + ": "
                                      + err.message());
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out{tmp, std::ios::binary | std::ios::trunc};
    out << content;
    out.close();
    if (!out)
      return make_error(ec::io_error, "cannot write " + tmp.string());
  }
  fs::rename(tmp, path, err);
  if (err)
    return make_error(ec::io_error,
                      "cannot rename " + tmp.string() + ": " + err.message());
  return caf::none;
}

// -- repository operations ----------------------------------------------------

caf::expected<repo_ptr> open_or_init(const fs::path& dir,
                                     const std::string& target_branch,
                                     bool& created) {
  git_repository* raw = nullptr;
  created = false;
  std::error_code err;
  if (fs::exists(dir / ".git", err)) {
    if (git_repository_open(&raw, dir.c_str()) != 0)
      return git_failure("open " + dir.string());
    return repo_ptr{raw};
  }
  git_repository_init_options opts = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  opts.flags = GIT_REPOSITORY_INIT_MKPATH;
  opts.initial_head = target_branch.c_str();
  if (git_repository_init_ext(&raw, dir.c_str(), &opts) != 0)
    return git_failure("init " + dir.string());
  created = true;
  return repo_ptr{raw};
}

/// The head commit of `refs/heads/<branch>`, or null when it does not exist.
caf::expected<commit_ptr> branch_head(git_repository* repo,
                                      const std::string& branch) {
  git_oid oid;
  auto name = "refs/heads/" + branch;
  auto rc = git_reference_name_to_id(&oid, repo, name.c_str());
  if (rc == GIT_ENOTFOUND)
    return commit_ptr{};
  if (rc != 0)
    return git_failure("resolve " + name);
  git_commit* raw = nullptr;
  if (git_commit_lookup(&raw, repo, &oid) != 0)
    return git_failure("look up the head of " + branch);
  return commit_ptr{raw};
}

/// An in-memory index holding the tree of `base` (or nothing).
caf::expected<index_ptr> index_of(git_commit* base) {
  git_index* raw = nullptr;
  if (git_index_new(&raw) != 0)
    return git_failure("create an index");
  index_ptr idx{raw};
  if (base != nullptr) {
    git_tree* tree = nullptr;
    if (git_commit_tree(&tree, base) != 0)
      return git_failure("read a commit's tree");
    tree_ptr owned{tree};
    if (git_index_read_tree(idx.get(), tree) != 0)
      return git_failure("load a tree into the index");
  }
  return idx;
}

caf::error stage(git_repository* repo, git_index* idx, const std::string& path,
                 const std::string& content) {
  // An in-memory index cannot hash buffers itself: write the blob first.
  git_index_entry entry{};
  if (git_blob_create_from_buffer(&entry.id, repo, content.data(),
                                  content.size())
      != 0)
    return git_failure("write the blob of " + path);
  entry.mode = GIT_FILEMODE_BLOB;
  entry.path = path.c_str();
  entry.file_size = static_cast<uint32_t>(content.size());
  if (git_index_add(idx, &entry) != 0)
    return git_failure("stage " + path);
  return caf::none;
}

/// Writes the index as a tree and commits it with `parent`, without moving
/// any reference.
caf::expected<git_oid> commit_index(git_repository* repo, git_index* idx,
                                    git_commit* parent,
                                    const std::string& message) {
  git_oid tree_id;
  if (git_index_write_tree_to(&tree_id, idx, repo) != 0)
    return git_failure("write a tree");
  git_tree* tree = nullptr;
  if (git_tree_lookup(&tree, repo, &tree_id) != 0)
    return git_failure("look up a written tree");
  tree_ptr owned_tree{tree};
  git_signature* sig = nullptr;
  if (git_signature_now(&sig, author_name, author_email) != 0)
    return git_failure("make a signature");
  sig_ptr owned_sig{sig};
  const git_commit* parents[] = {parent};
  git_oid id;
  if (git_commit_create(&id, repo, nullptr, sig, sig, nullptr, message.c_str(),
                        tree, parent != nullptr ? 1 : 0,
                        parent != nullptr ? parents : nullptr)
      != 0)
    return git_failure("create a commit");
  return id;
}

caf::error set_branch(git_repository* repo, const std::string& branch,
                      const git_oid& id, const std::string& log_message) {
  git_reference* raw = nullptr;
  auto name = "refs/heads/" + branch;
  if (git_reference_create(&raw, repo, name.c_str(), &id, 1,
                           log_message.c_str())
      != 0)
    return git_failure("update " + name);
  ref_ptr owned{raw};
  return caf::none;
}

std::string oid_hex(const git_oid& id) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof(buf), &id);
  return buf;
}

/// Makes sure the target branch exists and holds every seed file (files it
/// already has are left alone), then checks it out.
caf::error seed(git_repository* repo, const std::string& target,
                const std::vector<repo_file>& files, int64_t incident) {
  auto head = branch_head(repo, target);
  if (!head)
    return head.error();
  auto idx = index_of(head->get());
  if (!idx)
    return idx.error();
  auto added = 0;
  for (const auto& f : files) {
    if (git_index_get_bypath(idx->get(), f.path.c_str(), 0) != nullptr)
      continue;
    if (auto err = stage(repo, idx->get(), f.path, f.content))
      return err;
    ++added;
  }
  if (added > 0 || !*head) {
    auto message = "seed from incident " + std::to_string(incident) + "\n";
    auto id = commit_index(repo, idx->get(), head->get(), message);
    if (!id)
      return id.error();
    if (auto err = set_branch(repo, target, *id, "k-fix: seed"))
      return err;
    log::info(component, "local-git-seeded",
              {{"incident", incident},
               {"branch", target},
               {"files", added},
               {"commit", oid_hex(*id)}});
  }
  // Keep HEAD and the working tree on the target branch.
  auto ref = "refs/heads/" + target;
  if (git_repository_set_head(repo, ref.c_str()) != 0)
    return git_failure("set HEAD to " + target);
  git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
  opts.checkout_strategy = GIT_CHECKOUT_FORCE;
  if (git_checkout_head(repo, &opts) != 0)
    return git_failure("check out " + target);
  return caf::none;
}

} // namespace

local_git_publisher::local_git_publisher(fs::path state_dir)
  : state_dir_(std::move(state_dir)) {
  git_libgit2_init();
}

local_git_publisher::~local_git_publisher() {
  git_libgit2_shutdown();
}

std::string local_git_publisher::project_of(const publish_request& req) {
  if (!req.target.project.empty())
    return req.target.project;
  auto ns = req.result ? req.result->workload.ns : std::string{};
  return "local/" + (ns.empty() ? std::string{"default"} : ns);
}

fs::path local_git_publisher::repo_path(const std::string& project) const {
  std::string dir;
  for (auto c : project)
    dir += (c == '/' || c == '\\' || c == '\0') ? std::string{"__"}
                                                : std::string(1, c);
  if (dir.empty() || dir == "." || dir == "..")
    dir = "_" + dir;
  return state_dir_ / "gitops" / dir;
}

fs::path
local_git_publisher::description_path(const std::string& branch) const {
  std::string name = branch;
  for (auto& c : name)
    if (c == '/')
      c = '-';
  return state_dir_ / "merge-requests" / (name + ".md");
}

caf::expected<publication>
local_git_publisher::publish(const publish_request& req) {
  auto project = project_of(req);
  auto target = req.target.target_branch.empty() ? std::string{"main"}
                                                 : req.target.target_branch;
  const auto& branch = req.content.branch;
  auto incident = req.result ? req.result->incident_id : 0;
  if (!is_valid_ref_name(branch) || !is_valid_ref_name(target))
    return make_error(ec::invalid_input, "local git: invalid branch '" + branch
                                           + "' or target '" + target + "'");
  if (branch == target)
    return make_error(ec::invalid_input,
                      "local git: source and target branch are both '" + branch
                        + "'");
  if (req.p.files.empty())
    return make_error(ec::invalid_input,
                      "local git: the patch changes no file");
  // Seed files: the request's, plus the `before` of changed files it lacks.
  auto seeds = req.seed_files;
  std::set<std::string> seeded;
  for (const auto& f : seeds)
    seeded.insert(f.path);
  for (const auto& f : req.p.files)
    if (!f.before.empty() && seeded.insert(f.path).second)
      seeds.push_back({f.path, f.before, {}});
  for (const auto& f : seeds)
    if (!safe_repo_path(f.path))
      return make_error(ec::invalid_input,
                        "local git: unsafe file path '" + f.path + "'");
  for (const auto& f : req.p.files)
    if (!safe_repo_path(f.path))
      return make_error(ec::invalid_input,
                        "local git: unsafe file path '" + f.path + "'");
  auto dir = repo_path(project);
  std::lock_guard<std::mutex> guard{repo_lock(dir.string())};
  bool created = false;
  auto repo = open_or_init(dir, target, created);
  if (!repo)
    return repo.error();
  if (auto err = seed(repo->get(), target, seeds, incident))
    return err;
  // The MR branch: one commit on top of the target branch.
  auto base = branch_head(repo->get(), target);
  if (!base)
    return base.error();
  auto idx = index_of(base->get());
  if (!idx)
    return idx.error();
  for (const auto& f : req.p.files)
    if (auto err = stage(repo->get(), idx->get(), f.path, f.after))
      return err;
  auto message = req.content.commit_message.empty()
                   ? req.content.title + "\n"
                   : req.content.commit_message;
  auto id = commit_index(repo->get(), idx->get(), base->get(), message);
  if (!id)
    return id.error();
  if (auto err = set_branch(repo->get(), branch, *id, "k-fix: publish"))
    return err;
  auto sha = oid_hex(*id);
  // The description and its sidecar.
  auto md = description_path(branch);
  auto sidecar = md;
  sidecar.replace_extension(".json");
  if (auto err = write_file(md, req.content.description))
    return err;
  nlohmann::json meta{
    {"title", req.content.title}, {"labels", req.content.labels},
    {"branch", branch},           {"target_branch", target},
    {"project", project},         {"commit", sha},
    {"incident_id", incident},    {"plan_id", req.chosen.id},
    {"repository", dir.string()}};
  if (auto err = write_file(sidecar, meta.dump(2) + "\n"))
    return err;
  log::info(component, "local-git-published",
            {{"incident", incident},
             {"project", project},
             {"branch", branch},
             {"commit", sha},
             {"created_repo", created}});
  publication result;
  result.publisher = "local-git";
  result.project = project;
  std::error_code err;
  auto absolute = fs::absolute(dir, err);
  result.url = "file://" + (err ? dir : absolute).lexically_normal().string();
  result.branch = branch;
  result.commit = sha;
  result.description_path = md.string();
  result.description = req.content.description;
  return result;
}

caf::error local_git_publisher::add_note(const publication& pub,
                                         const std::string& text) {
  if (pub.branch.empty())
    return make_error(ec::invalid_input,
                      "local git note: the publication names no branch");
  auto md = description_path(pub.branch);
  auto sidecar = md;
  sidecar.replace_extension(".json");
  std::lock_guard<std::mutex> guard{repo_lock(md.string())};
  auto read = [](const fs::path& path) -> caf::expected<std::string> {
    std::ifstream in{path, std::ios::binary};
    if (!in)
      return make_error(ec::not_found,
                        "local git note: no merge request at " + path.string());
    return std::string{std::istreambuf_iterator<char>{in}, {}};
  };
  auto description = read(md);
  if (!description)
    return description.error();
  auto meta_text = read(sidecar);
  if (!meta_text)
    return meta_text.error();
  auto meta = nlohmann::json::parse(*meta_text, nullptr, false);
  if (!meta.is_object())
    return make_error(ec::invalid_input,
                      "local git note: " + sidecar.string() + " is not JSON");
  meta["notes"].push_back({{"body", text}});
  if (auto err = write_file(md, *description
                                  + "\n\n---\n\n**Note from "
                                    "K-Fix:** "
                                  + text + "\n"))
    return err;
  if (auto err = write_file(sidecar, meta.dump(2) + "\n"))
    return err;
  log::info(component, "local-git-note-added", {{"branch", pub.branch}});
  return caf::none;
}

} // namespace kfix::publish
