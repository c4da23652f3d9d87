#include "tests/support/fake_gitlab.hpp"

#include "actors/common/http.hpp"
#include "actors/common/http_server.hpp"

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <set>
#include <stdexcept>

namespace kfix::test {

namespace {

using nlohmann::json;

constexpr const char* fixed_time = "2026-01-01T00:00:00.000Z";

// -- hashing and encoding -----------------------------------------------------

std::string hex(const unsigned char* data, unsigned int n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 0x0F];
  }
  return out;
}

std::string digest(const EVP_MD* md, const std::string& data) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), buf, &n, md, nullptr);
  return hex(buf, n);
}

std::string sha1(const std::string& data) {
  return digest(EVP_sha1(), data);
}

std::string sha256(const std::string& data) {
  return digest(EVP_sha256(), data);
}

/// Git's blob id of `content`.
std::string blob_id(const std::string& content) {
  return sha1("blob " + std::to_string(content.size()) + std::string(1, '\0')
              + content);
}

std::string to_base64(const std::string& data) {
  if (data.empty())
    return {};
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  auto n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(data.data()),
                           static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

bool from_base64(const std::string& text, std::string& out) {
  if (text.empty()) {
    out.clear();
    return true;
  }
  if (text.size() % 4 != 0)
    return false;
  out.assign(text.size() / 4 * 3, '\0');
  auto n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                           reinterpret_cast<const unsigned char*>(text.data()),
                           static_cast<int>(text.size()));
  if (n < 0)
    return false;
  size_t pad = 0;
  while (pad < 2 && text[text.size() - 1 - pad] == '=')
    ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return true;
}

// -- responses ----------------------------------------------------------------

http::response message(int status, const std::string& text) {
  return http::json_response(status, {{"message", text}});
}

http::response message_array(int status, const std::string& text) {
  return http::json_response(status, {{"message", json::array({text})}});
}

http::response not_given(const std::string& field) {
  return message(400, "400 (Bad request) \"" + field + "\" not given");
}

http::response unknown_route() {
  return http::json_response(404, {{"error", "404 Not Found"}});
}

// -- parameters ---------------------------------------------------------------

/// Query parameters overlaid with a JSON or form body.
struct params {
  json values = json::object();

  bool has(const std::string& key) const {
    return values.contains(key) && !values[key].is_null();
  }

  std::string str(const std::string& key) const {
    if (!values.contains(key))
      return {};
    const auto& v = values[key];
    if (v.is_string())
      return v.get<std::string>();
    if (v.is_number() || v.is_boolean())
      return v.dump();
    return {};
  }

  bool flag(const std::string& key) const {
    if (!values.contains(key))
      return false;
    const auto& v = values[key];
    if (v.is_boolean())
      return v.get<bool>();
    auto s = str(key);
    return s == "true" || s == "1";
  }

  std::vector<std::string> list(const std::string& key) const {
    std::vector<std::string> out;
    if (!values.contains(key))
      return out;
    const auto& v = values[key];
    if (v.is_array()) {
      for (const auto& x : v)
        if (x.is_string())
          out.push_back(x.get<std::string>());
      return out;
    }
    auto s = str(key);
    size_t pos = 0;
    while (pos <= s.size()) {
      auto comma = s.find(',', pos);
      auto item = s.substr(pos, comma == std::string::npos ? std::string::npos
                                                           : comma - pos);
      auto b = item.find_first_not_of(' ');
      auto e = item.find_last_not_of(' ');
      if (b != std::string::npos)
        out.push_back(item.substr(b, e - b + 1));
      if (comma == std::string::npos)
        break;
      pos = comma + 1;
    }
    return out;
  }
};

/// Parses the parameters; false when the body is not valid JSON.
bool parse_params(const http::request& req, params& out) {
  for (const auto& [k, v] : req.query) {
    auto key = k;
    if (key.size() > 2 && key.compare(key.size() - 2, 2, "[]") == 0) {
      key.resize(key.size() - 2);
      if (!out.values[key].is_array())
        out.values[key] = json::array();
      out.values[key].push_back(v);
    } else {
      out.values[key] = v;
    }
  }
  if (req.body.empty())
    return true;
  auto type = req.header("content-type");
  if (type.find("json") != std::string::npos) {
    auto body = json::parse(req.body, nullptr, false);
    if (!body.is_object())
      return false;
    for (auto& [k, v] : body.items())
      out.values[k] = v;
  } else if (type.find("x-www-form-urlencoded") != std::string::npos) {
    for (const auto& [k, v] : http::parse_query(req.body))
      out.values[k] = v;
  }
  return true;
}

int to_int(const std::string& s, int fallback) {
  if (s.empty())
    return fallback;
  char* end = nullptr;
  auto v = std::strtol(s.c_str(), &end, 10);
  if (end == nullptr || *end != '\0')
    return fallback;
  return static_cast<int>(v);
}

bool valid_branch_name(const std::string& name) {
  if (name.empty() || name.front() == '/' || name.back() == '/'
      || name.back() == '.' || name.front() == '-')
    return false;
  if (name.find("..") != std::string::npos
      || name.find("//") != std::string::npos
      || name.find("@{") != std::string::npos
      || name.find("/.") != std::string::npos || name.front() == '.')
    return false;
  if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".lock") == 0)
    return false;
  for (auto c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == ' ' || c == '~' || c == '^' || c == ':'
        || c == '?' || c == '*' || c == '[' || c == '\\')
      return false;
  }
  return true;
}

std::string base_name(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

} // namespace

// -- the repository and server ------------------------------------------------

struct fake_gitlab::impl {
  struct file_entry {
    std::string content;
    std::string last_commit_id;
  };
  using snapshot = std::map<std::string, file_entry>;

  struct commit {
    commit_info info;
    snapshot files;
  };

  struct fault {
    int status;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string method;
    std::string path_contains;
  };

  struct note {
    int id;
    std::string body;
  };

  std::string token;
  std::string project_path;
  int project_id;
  std::string default_branch = "main";

  mutable std::mutex mtx;
  std::map<std::string, commit> commits;
  std::map<std::string, std::string> branches;
  std::vector<merge_request> mrs;
  std::deque<fault> faults;
  std::vector<recorded_request> log;
  int next_note_id = 1;
  uint64_t sequence = 0;
  std::unique_ptr<http::server> server;

  std::string origin() const {
    return server->base_url();
  }

  std::string project_web_url() const {
    return origin() + "/" + project_path;
  }

  // -- repository -------------------------------------------------------------

  /// Resolves a branch name or commit id.
  const commit* resolve(const std::string& ref) const {
    if (auto b = branches.find(ref); b != branches.end())
      return &commits.at(b->second);
    if (auto c = commits.find(ref); c != commits.end())
      return &c->second;
    if (ref.size() >= 7)
      for (const auto& [id, c] : commits)
        if (id.compare(0, ref.size(), ref) == 0)
          return &c;
    return nullptr;
  }

  /// Records a commit with `files` as its full tree; files whose content
  /// changed (or that are new) get the commit as their last_commit_id.
  std::string make_commit(const commit* parent, snapshot files,
                          const std::string& message,
                          const std::string& author_name,
                          const std::string& author_email) {
    std::string material = "commit\n";
    if (parent != nullptr)
      material += parent->info.id;
    material += "\n" + message + "\n" + std::to_string(++sequence) + "\n";
    for (const auto& [path, f] : files)
      material += path + '\0' + blob_id(f.content) + "\n";
    auto id = sha1(material);
    for (auto& [path, f] : files) {
      const file_entry* before = nullptr;
      if (parent != nullptr) {
        auto i = parent->files.find(path);
        if (i != parent->files.end())
          before = &i->second;
      }
      if (before == nullptr || before->content != f.content)
        f.last_commit_id = id;
      else
        f.last_commit_id = before->last_commit_id;
    }
    commit c;
    c.info.id = id;
    if (parent != nullptr)
      c.info.parent_ids.push_back(parent->info.id);
    c.info.message = message;
    c.info.author_name = author_name;
    c.info.author_email = author_email;
    c.files = std::move(files);
    commits.emplace(id, std::move(c));
    return id;
  }

  json commit_json(const commit& c) const {
    auto title = c.info.message.substr(0, c.info.message.find('\n'));
    return {{"id", c.info.id},
            {"short_id", c.info.id.substr(0, 8)},
            {"title", title},
            {"message", c.info.message},
            {"parent_ids", c.info.parent_ids},
            {"author_name", c.info.author_name},
            {"author_email", c.info.author_email},
            {"committer_name", c.info.author_name},
            {"committer_email", c.info.author_email},
            {"created_at", fixed_time},
            {"authored_date", fixed_time},
            {"committed_date", fixed_time},
            {"trailers", json::object()},
            {"web_url", project_web_url() + "/-/commit/" + c.info.id}};
  }

  json branch_json(const std::string& name) const {
    const auto& c = commits.at(branches.at(name));
    return {{"name", name},
            {"commit", commit_json(c)},
            {"merged", false},
            {"protected", name == default_branch},
            {"default", name == default_branch},
            {"developers_can_push", false},
            {"developers_can_merge", false},
            {"can_push", true},
            {"web_url", project_web_url() + "/-/tree/" + name}};
  }

  json mr_json(const merge_request& mr) const {
    auto web
      = project_web_url() + "/-/merge_requests/" + std::to_string(mr.iid);
    return {{"id", mr.id},
            {"iid", mr.iid},
            {"project_id", project_id},
            {"title", mr.title},
            {"description", mr.description},
            {"state", mr.state},
            {"created_at", fixed_time},
            {"updated_at", fixed_time},
            {"target_branch", mr.target_branch},
            {"source_branch", mr.source_branch},
            {"author",
             {{"id", 1},
              {"name", "K-Fix Bot"},
              {"username", "k-fix"},
              {"state", "active"},
              {"avatar_url", nullptr},
              {"web_url", origin() + "/k-fix"}}},
            {"source_project_id", project_id},
            {"target_project_id", project_id},
            {"labels", mr.labels},
            {"draft", false},
            {"work_in_progress", false},
            {"merge_when_pipeline_succeeds", false},
            {"merge_status", "can_be_merged"},
            {"detailed_merge_status", "mergeable"},
            {"sha", mr.sha},
            {"merge_commit_sha", nullptr},
            {"squash_commit_sha", nullptr},
            {"user_notes_count", mr.notes.size()},
            {"should_remove_source_branch", nullptr},
            {"force_remove_source_branch", mr.remove_source_branch},
            {"squash", mr.squash},
            {"web_url", web},
            {"references",
             {{"short", "!" + std::to_string(mr.iid)},
              {"relative", "!" + std::to_string(mr.iid)},
              {"full", project_path + "!" + std::to_string(mr.iid)}}},
            {"diff_refs", nullptr},
            {"changes_count", nullptr}};
  }

  // -- pagination -------------------------------------------------------------

  /// Slices `items` by `page`/`per_page` and sets GitLab's headers.
  http::response paginate(const http::request& req, const json& items) const {
    auto per_page = to_int(req.query_param("per_page"), 20);
    if (per_page <= 0)
      per_page = 20;
    per_page = std::min(per_page, 100);
    auto page = std::max(1, to_int(req.query_param("page"), 1));
    auto total = static_cast<int>(items.size());
    auto total_pages = std::max(1, (total + per_page - 1) / per_page);
    json slice = json::array();
    for (auto i = (page - 1) * per_page;
         i < std::min(total, page * per_page) && i >= 0; ++i)
      slice.push_back(items[static_cast<size_t>(i)]);
    auto result = http::json_response(200, slice);
    auto q = req.target.find('?');
    auto path = req.target.substr(0, q);
    auto page_url = [&](int n) {
      std::vector<std::pair<std::string, std::string>> query;
      for (const auto& [k, v] : req.query)
        if (k != "page" && k != "per_page")
          query.emplace_back(k, v);
      query.emplace_back("page", std::to_string(n));
      query.emplace_back("per_page", std::to_string(per_page));
      return origin() + path + "?" + http::build_query(query);
    };
    std::string link;
    auto add_link = [&](int n, const char* rel) {
      if (!link.empty())
        link += ", ";
      link += "<" + page_url(n) + ">; rel=\"" + rel + "\"";
    };
    if (page > 1)
      add_link(page - 1, "prev");
    if (page < total_pages)
      add_link(page + 1, "next");
    add_link(1, "first");
    add_link(total_pages, "last");
    result.header("x-page", std::to_string(page));
    result.header("x-per-page", std::to_string(per_page));
    result.header("x-total", std::to_string(total));
    result.header("x-total-pages", std::to_string(total_pages));
    result.header("x-next-page",
                  page < total_pages ? std::to_string(page + 1) : "");
    result.header("x-prev-page", page > 1 ? std::to_string(page - 1) : "");
    result.header("link", link);
    return result;
  }

  // -- routes -----------------------------------------------------------------

  http::response tree(const http::request& req, const params& p) const {
    auto ref = p.has("ref") ? p.str("ref") : default_branch;
    const auto* c = resolve(ref);
    if (c == nullptr)
      return message(404, "404 Tree Not Found");
    auto path = p.str("path");
    while (!path.empty() && path.back() == '/')
      path.pop_back();
    while (!path.empty() && path.front() == '/')
      path.erase(0, 1);
    auto prefix = path.empty() ? std::string{} : path + "/";
    auto recursive = p.flag("recursive");
    std::set<std::string> dirs;
    std::vector<std::string> blobs;
    auto found = path.empty();
    for (const auto& [file, entry] : c->files) {
      if (file.compare(0, prefix.size(), prefix) != 0)
        continue;
      found = true;
      auto rest = file.substr(prefix.size());
      if (recursive) {
        // Every directory between the listed path and the file.
        for (auto slash = rest.find('/'); slash != std::string::npos;
             slash = rest.find('/', slash + 1))
          dirs.insert(prefix + rest.substr(0, slash));
        blobs.push_back(file);
      } else if (auto slash = rest.find('/'); slash != std::string::npos) {
        dirs.insert(prefix + rest.substr(0, slash));
      } else {
        blobs.push_back(file);
      }
    }
    if (!found)
      return message(404, "404 Tree Not Found");
    json items = json::array();
    for (const auto& d : dirs)
      items.push_back({{"id", sha1("tree " + c->info.id + " " + d)},
                       {"name", base_name(d)},
                       {"type", "tree"},
                       {"path", d},
                       {"mode", "040000"}});
    for (const auto& b : blobs)
      items.push_back({{"id", blob_id(c->files.at(b).content)},
                       {"name", base_name(b)},
                       {"type", "blob"},
                       {"path", b},
                       {"mode", "100644"}});
    return paginate(req, items);
  }

  http::response file(const std::string& path, bool raw,
                      const params& p) const {
    if (!p.has("ref"))
      return not_given("ref");
    auto ref = p.str("ref");
    const auto* c = resolve(ref == "HEAD" ? default_branch : ref);
    if (c == nullptr)
      return message(404, "404 Commit Not Found");
    auto i = c->files.find(path);
    if (i == c->files.end())
      return message(404, "404 File Not Found");
    if (raw) {
      http::response result;
      result.status = 200;
      result.header("Content-Type", "text/plain; charset=utf-8");
      result.header("X-Gitlab-Blob-Id", blob_id(i->second.content));
      result.header("X-Gitlab-Last-Commit-Id", i->second.last_commit_id);
      result.body = i->second.content;
      return result;
    }
    return http::json_response(200,
                               {{"file_name", base_name(path)},
                                {"file_path", path},
                                {"size", i->second.content.size()},
                                {"encoding", "base64"},
                                {"content", to_base64(i->second.content)},
                                {"content_sha256", sha256(i->second.content)},
                                {"ref", ref},
                                {"blob_id", blob_id(i->second.content)},
                                {"commit_id", c->info.id},
                                {"last_commit_id", i->second.last_commit_id},
                                {"execute_filemode", false}});
  }

  http::response create_branch(const params& p) {
    if (!p.has("branch"))
      return not_given("branch");
    if (!p.has("ref"))
      return not_given("ref");
    auto name = p.str("branch");
    auto ref = p.str("ref");
    if (!valid_branch_name(name))
      return message(400, "Branch name is invalid");
    if (branches.count(name) > 0)
      return message(400, "Branch already exists");
    const auto* c = resolve(ref);
    if (c == nullptr)
      return message(400, "Invalid reference name: " + ref);
    branches[name] = c->info.id;
    return http::json_response(201, branch_json(name));
  }

  http::response get_branch(const std::string& name) const {
    if (branches.count(name) == 0)
      return message(404, "404 Branch Not Found");
    return http::json_response(200, branch_json(name));
  }

  http::response list_branches(const http::request& req) const {
    json items = json::array();
    for (const auto& [name, id] : branches)
      items.push_back(branch_json(name));
    return paginate(req, items);
  }

  http::response create_commit(const params& p) {
    if (!p.has("branch"))
      return not_given("branch");
    if (!p.has("commit_message"))
      return not_given("commit_message");
    if (!p.has("actions") || !p.values["actions"].is_array())
      return not_given("actions");
    auto branch = p.str("branch");
    auto start_branch
      = p.has("start_branch") ? p.str("start_branch") : std::string{};
    auto start_sha = p.has("start_sha") ? p.str("start_sha") : std::string{};
    auto force = p.flag("force");
    if (!start_branch.empty() && !start_sha.empty())
      return message(400, "You can't pass both start_branch and start_sha");
    auto exists = branches.count(branch) > 0;
    auto different
      = (!start_branch.empty() && start_branch != branch) || !start_sha.empty();
    if (!commits.empty() && different && exists && !force)
      return message(400, "A branch called '" + branch
                            + "' already exists. Switch to that branch in "
                              "order to make changes");
    if (!valid_branch_name(branch))
      return message(400, "Something went wrong when we tried to create '"
                            + branch + "' for you: Branch name is invalid");
    // The parent commit.
    const commit* parent = nullptr;
    if (!start_sha.empty()) {
      parent = resolve(start_sha);
      if (parent == nullptr)
        return message(400, "Cannot find start_sha '" + start_sha + "'");
    } else {
      auto from = start_branch.empty() ? branch : start_branch;
      if (!different && exists) {
        parent = &commits.at(branches.at(branch));
      } else if (branches.count(from) > 0) {
        parent = &commits.at(branches.at(from));
      } else if (!commits.empty()) {
        return message(400,
                       "You can only create or edit files when you are on a "
                       "branch");
      }
    }
    // Apply the actions to a copy of the parent's tree.
    snapshot files = parent != nullptr ? parent->files : snapshot{};
    const auto& actions = p.values["actions"];
    for (size_t n = 0; n < actions.size(); ++n) {
      const auto& a = actions[n];
      auto field = [&](const char* key) {
        return a.contains(key) && a[key].is_string() ? a[key].get<std::string>()
                                                     : std::string{};
      };
      auto prefix = "actions[" + std::to_string(n) + "]";
      auto kind = field("action");
      auto path = field("file_path");
      if (kind.empty())
        return not_given(prefix + "[action]");
      if (path.empty())
        return not_given(prefix + "[file_path]");
      auto content = field("content");
      if (field("encoding") == "base64") {
        std::string decoded;
        if (!from_base64(content, decoded))
          return message(400, "Invalid base64 content for " + path);
        content = std::move(decoded);
      }
      auto i = files.find(path);
      auto last = field("last_commit_id");
      if (!last.empty() && i != files.end() && i->second.last_commit_id != last)
        return message(
          400, "The file has changed since you started editing it: " + path);
      if (kind == "create") {
        if (i != files.end())
          return message(400, "A file with this name already exists");
        if (!a.contains("content"))
          return not_given(prefix + "[content]");
        files[path] = {content, {}};
      } else if (kind == "update") {
        if (i == files.end())
          return message(400, "A file with this name doesn't exist");
        if (!a.contains("content"))
          return not_given(prefix + "[content]");
        i->second.content = content;
      } else if (kind == "delete") {
        if (i == files.end())
          return message(400, "A file with this name doesn't exist");
        files.erase(i);
      } else if (kind == "move") {
        auto previous = field("previous_path");
        auto from = files.find(previous);
        if (from == files.end())
          return message(400, "A file with this name doesn't exist");
        auto moved = from->second;
        if (a.contains("content"))
          moved.content = content;
        files.erase(from);
        files[path] = moved;
      } else if (kind == "chmod") {
        if (i == files.end())
          return message(400, "A file with this name doesn't exist");
      } else {
        return message(400, "\"" + prefix
                              + "[action]\" does not have a "
                                "valid value");
      }
    }
    auto id = make_commit(
      parent, std::move(files), p.str("commit_message"),
      p.has("author_name") ? p.str("author_name") : "Fake User",
      p.has("author_email") ? p.str("author_email") : "fake@example.com");
    branches[branch] = id;
    auto result = commit_json(commits.at(id));
    result["stats"] = {{"additions", 0}, {"deletions", 0}, {"total", 0}};
    result["status"] = nullptr;
    return http::json_response(201, result);
  }

  http::response get_commit(const std::string& sha) const {
    const auto* c = resolve(sha);
    if (c == nullptr)
      return message(404, "404 Commit Not Found");
    return http::json_response(200, commit_json(*c));
  }

  merge_request* find_mr(int iid) {
    for (auto& mr : mrs)
      if (mr.iid == iid)
        return &mr;
    return nullptr;
  }

  http::response create_mr(const params& p) {
    if (!p.has("source_branch"))
      return not_given("source_branch");
    if (!p.has("target_branch"))
      return not_given("target_branch");
    if (!p.has("title") || p.str("title").empty())
      return not_given("title");
    merge_request mr;
    mr.source_branch = p.str("source_branch");
    mr.target_branch = p.str("target_branch");
    if (mr.source_branch == mr.target_branch)
      return message_array(409, "You can't use same project/branch for "
                                "source and target");
    if (branches.count(mr.source_branch) == 0)
      return message_array(409, "Source branch \"" + mr.source_branch
                                  + "\" does not exist");
    if (branches.count(mr.target_branch) == 0)
      return message_array(409, "Target branch \"" + mr.target_branch
                                  + "\" does not exist");
    for (const auto& other : mrs)
      if (other.state == "opened" && other.source_branch == mr.source_branch)
        return message_array(409, "Another open merge request already "
                                  "exists for this source branch: !"
                                    + std::to_string(other.iid));
    auto description = p.str("description");
    if (description.size() > 1'048'576)
      return http::json_response(
        400, {{"message",
               {{"description", json::array({"is too long (maximum is 1048576 "
                                             "characters)"})}}}});
    mr.iid = static_cast<int>(mrs.size()) + 1;
    mr.id = 1000 + mr.iid;
    mr.title = p.str("title");
    mr.description = description;
    mr.labels = p.list("labels");
    mr.remove_source_branch = p.flag("remove_source_branch");
    mr.squash = p.flag("squash");
    mr.auto_merge_requested
      = p.flag("auto_merge") || p.flag("merge_when_pipeline_succeeds");
    mr.sha = branches.at(mr.source_branch);
    mrs.push_back(mr);
    return http::json_response(201, mr_json(mrs.back()));
  }

  http::response list_mrs(const http::request& req, const params& p) const {
    auto state = p.has("state") ? p.str("state") : std::string{"all"};
    auto labels = p.list("labels");
    json items = json::array();
    for (auto i = mrs.rbegin(); i != mrs.rend(); ++i) {
      const auto& mr = *i;
      if (p.has("source_branch") && mr.source_branch != p.str("source_branch"))
        continue;
      if (p.has("target_branch") && mr.target_branch != p.str("target_branch"))
        continue;
      if (state != "all" && mr.state != state)
        continue;
      auto has_labels
        = std::all_of(labels.begin(), labels.end(), [&](const std::string& l) {
            return std::find(mr.labels.begin(), mr.labels.end(), l)
                   != mr.labels.end();
          });
      if (!has_labels)
        continue;
      items.push_back(mr_json(mr));
    }
    return paginate(req, items);
  }

  http::response update_mr(int iid, const params& p) {
    auto* mr = find_mr(iid);
    if (mr == nullptr)
      return message(404, "404 Not found");
    if (p.has("title"))
      mr->title = p.str("title");
    if (p.has("description"))
      mr->description = p.str("description");
    if (p.has("labels"))
      mr->labels = p.list("labels");
    auto event = p.str("state_event");
    if (event == "close")
      mr->state = "closed";
    else if (event == "reopen")
      mr->state = "opened";
    return http::json_response(200, mr_json(*mr));
  }

  http::response add_note(int iid, const params& p) {
    auto* mr = find_mr(iid);
    if (mr == nullptr)
      return message(404, "404 Not found");
    if (!p.has("body") || p.str("body").empty())
      return not_given("body");
    mr->notes.push_back(p.str("body"));
    auto id = next_note_id++;
    return http::json_response(
      201, {{"id", id},
            {"body", p.str("body")},
            {"attachment", nullptr},
            {"author", {{"id", 1}, {"username", "k-fix"}, {"name", "K-Fix"}}},
            {"created_at", fixed_time},
            {"updated_at", fixed_time},
            {"system", false},
            {"noteable_id", mr->id},
            {"noteable_type", "MergeRequest"},
            {"project_id", project_id},
            {"noteable_iid", mr->iid},
            {"resolvable", false},
            {"confidential", false},
            {"internal", false}});
  }

  http::response list_notes(const http::request& req, int iid) {
    auto* mr = find_mr(iid);
    if (mr == nullptr)
      return message(404, "404 Not found");
    json items = json::array();
    for (size_t i = 0; i < mr->notes.size(); ++i)
      items.push_back({{"id", static_cast<int>(i) + 1},
                       {"body", mr->notes[i]},
                       {"noteable_iid", mr->iid}});
    return paginate(req, items);
  }

  // -- dispatch ---------------------------------------------------------------

  std::string token_of(const http::request& req) const {
    auto t = req.header("private-token");
    if (!t.empty())
      return t;
    auto auth = req.header("authorization");
    if (auth.rfind("Bearer ", 0) == 0)
      return auth.substr(7);
    return req.query_param("private_token");
  }

  http::response handle(const http::request& req) {
    std::lock_guard<std::mutex> guard{mtx};
    log.push_back({req.method, req.target, req.body, token_of(req)});
    for (auto i = faults.begin(); i != faults.end(); ++i) {
      if (!i->method.empty() && i->method != req.method)
        continue;
      if (!i->path_contains.empty()
          && req.target.find(i->path_contains) == std::string::npos)
        continue;
      http::response r;
      r.status = i->status;
      r.body = i->body;
      auto is_json
        = !r.body.empty() && (r.body.front() == '{' || r.body.front() == '[');
      r.header("Content-Type", is_json ? "application/json" : "text/plain");
      for (const auto& [k, v] : i->headers)
        r.header(k, v);
      faults.erase(i);
      return r;
    }
    // Split the raw path: encoded slashes stay inside their segment.
    auto raw_path = req.target.substr(0, req.target.find('?'));
    std::vector<std::string> seg;
    size_t pos = 1;
    while (pos <= raw_path.size()) {
      auto slash = raw_path.find('/', pos);
      seg.push_back(http::url_decode(
        raw_path.substr(pos, slash == std::string::npos ? std::string::npos
                                                        : slash - pos),
        false));
      if (slash == std::string::npos)
        break;
      pos = slash + 1;
    }
    if (seg.size() < 4 || seg[0] != "api" || seg[1] != "v4"
        || seg[2] != "projects")
      return unknown_route();
    const auto& project = seg[3];
    std::vector<std::string> rest(seg.begin() + 4, seg.end());
    const auto& m = req.method;
    auto n = rest.size();
    auto at = [&](size_t i, const char* s) {
      return i < n && rest[i] == s;
    };
    // Match the route first: an unencoded path is an unknown route.
    enum class route {
      none,
      tree,
      file,
      file_raw,
      branches,
      branch,
      commits,
      commit,
      mrs,
      mr,
      mr_merge,
      mr_notes
    };
    auto r = route::none;
    if (at(0, "repository")) {
      if (n == 2 && at(1, "tree") && m == "GET")
        r = route::tree;
      else if (n == 3 && at(1, "files") && m == "GET")
        r = route::file;
      else if (n == 4 && at(1, "files") && at(3, "raw") && m == "GET")
        r = route::file_raw;
      else if (n == 2 && at(1, "branches") && (m == "GET" || m == "POST"))
        r = route::branches;
      else if (n == 3 && at(1, "branches") && m == "GET")
        r = route::branch;
      else if (n == 2 && at(1, "commits") && m == "POST")
        r = route::commits;
      else if (n == 3 && at(1, "commits") && m == "GET")
        r = route::commit;
    } else if (at(0, "merge_requests")) {
      if (n == 1 && (m == "GET" || m == "POST"))
        r = route::mrs;
      else if (n == 2 && (m == "GET" || m == "PUT"))
        r = route::mr;
      else if (n == 3 && at(2, "merge") && m == "PUT")
        r = route::mr_merge;
      else if (n == 3 && at(2, "notes") && (m == "GET" || m == "POST"))
        r = route::mr_notes;
    }
    if (r == route::none)
      return unknown_route();
    if (token_of(req) != token)
      return message(401, "401 Unauthorized");
    if (project != std::to_string(project_id) && project != project_path)
      return message(404, "404 Project Not Found");
    params p;
    if (!parse_params(req, p))
      return message(400, "400 Bad request - the body is not valid JSON");
    auto iid = n >= 2 ? to_int(rest[1], -1) : -1;
    switch (r) {
      case route::tree:
        return tree(req, p);
      case route::file:
        return file(rest[2], false, p);
      case route::file_raw:
        return file(rest[2], true, p);
      case route::branches:
        return m == "POST" ? create_branch(p) : list_branches(req);
      case route::branch:
        return get_branch(rest[2]);
      case route::commits:
        return create_commit(p);
      case route::commit:
        return get_commit(rest[2]);
      case route::mrs:
        return m == "POST" ? create_mr(p) : list_mrs(req, p);
      case route::mr:
        if (m == "PUT")
          return update_mr(iid, p);
        if (auto* mr = find_mr(iid))
          return http::json_response(200, mr_json(*mr));
        return message(404, "404 Not found");
      case route::mr_merge:
        if (auto* mr = find_mr(iid)) {
          ++mr->merge_attempts;
          return message(405, "405 Method Not Allowed");
        }
        return message(404, "404 Not found");
      case route::mr_notes:
        return m == "POST" ? add_note(iid, p) : list_notes(req, iid);
      case route::none:
        break;
    }
    return unknown_route();
  }
};

fake_gitlab::fake_gitlab(std::string token, std::string project_path,
                         int project_id)
  : impl_(std::make_unique<impl>()) {
  impl_->token = std::move(token);
  impl_->project_path = std::move(project_path);
  impl_->project_id = project_id;
  http::server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.threads = 2;
  cfg.body_limit = 16 << 20;
  auto* self = impl_.get();
  auto server = http::start_server(
    cfg, http::sync_handler([self](const http::request& req) {
      return self->handle(req);
    }));
  if (!server)
    throw std::runtime_error("fake_gitlab: " + render(server.error()));
  impl_->server = std::move(*server);
}

fake_gitlab::~fake_gitlab() {
  if (impl_->server)
    impl_->server->stop();
}

std::string fake_gitlab::seed(const std::string& branch,
                              const std::vector<repo_file>& files,
                              const std::string& message) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  const impl::commit* parent = nullptr;
  if (auto b = impl_->branches.find(branch); b != impl_->branches.end())
    parent = &impl_->commits.at(b->second);
  auto tree = parent != nullptr ? parent->files : impl::snapshot{};
  for (const auto& f : files)
    tree[f.path].content = f.content;
  auto id = impl_->make_commit(parent, std::move(tree), message, "Seeder",
                               "seed@example.com");
  impl_->branches[branch] = id;
  return id;
}

void fake_gitlab::create_branch(const std::string& branch,
                                const std::string& from) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->branches[branch] = impl_->branches.at(from);
}

std::string fake_gitlab::url() const {
  return impl_->origin();
}

std::string fake_gitlab::base_url() const {
  return impl_->origin() + "/api/v4";
}

int fake_gitlab::project_id() const {
  return impl_->project_id;
}

const std::string& fake_gitlab::project_path() const {
  return impl_->project_path;
}

std::vector<fake_gitlab::merge_request> fake_gitlab::merge_requests() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->mrs;
}

std::map<std::string, std::string>
fake_gitlab::files(const std::string& branch) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  std::map<std::string, std::string> result;
  auto b = impl_->branches.find(branch);
  if (b == impl_->branches.end())
    return result;
  for (const auto& [path, f] : impl_->commits.at(b->second).files)
    result.emplace(path, f.content);
  return result;
}

std::string fake_gitlab::last_commit_id(const std::string& branch,
                                        const std::string& path) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto b = impl_->branches.find(branch);
  if (b == impl_->branches.end())
    return {};
  const auto& files = impl_->commits.at(b->second).files;
  auto f = files.find(path);
  return f == files.end() ? std::string{} : f->second.last_commit_id;
}

bool fake_gitlab::has_branch(const std::string& branch) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->branches.count(branch) > 0;
}

std::string fake_gitlab::head(const std::string& branch) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto b = impl_->branches.find(branch);
  return b == impl_->branches.end() ? std::string{} : b->second;
}

std::vector<fake_gitlab::commit_info>
fake_gitlab::log(const std::string& branch) const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  std::vector<commit_info> result;
  auto b = impl_->branches.find(branch);
  if (b == impl_->branches.end())
    return result;
  auto id = b->second;
  while (!id.empty()) {
    const auto& c = impl_->commits.at(id);
    result.push_back(c.info);
    id = c.info.parent_ids.empty() ? std::string{} : c.info.parent_ids[0];
  }
  return result;
}

int fake_gitlab::commits_on(const std::string& branch) const {
  return static_cast<int>(log(branch).size());
}

void fake_gitlab::fail_next(
  int status, std::string body,
  std::vector<std::pair<std::string, std::string>> headers, std::string method,
  std::string path_contains) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  impl_->faults.push_back({status, std::move(body), std::move(headers),
                           std::move(method), std::move(path_contains)});
}

std::vector<fake_gitlab::recorded_request> fake_gitlab::requests() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->log;
}

} // namespace kfix::test
