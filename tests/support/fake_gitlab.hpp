#pragma once

#include "messages/patch.hpp"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace kfix::test {

/// A GitLab API v4 server on 127.0.0.1 (port 0) over an in-memory repository
/// of one project, behaving as ../shared/reference/api-reference.md §10
/// describes: `PRIVATE-TOKEN` auth, project by id or URL-encoded path,
/// tree/files/branches/commits-with-actions/merge requests/notes, offset
/// pagination headers, GitLab's error bodies, and fault injection.
class fake_gitlab {
public:
  struct merge_request {
    int iid = 0;
    int id = 0;
    std::string title;
    std::string description;
    std::string source_branch;
    std::string target_branch;
    std::vector<std::string> labels;
    std::string state = "opened";
    /// Source branch head when the MR was created.
    std::string sha;
    bool remove_source_branch = false;
    bool squash = false;
    /// Whether the creation asked for auto-merge (`auto_merge` or
    /// `merge_when_pipeline_succeeds`).
    bool auto_merge_requested = false;
    /// Calls of PUT .../merge_requests/:iid/merge.
    int merge_attempts = 0;
    std::vector<std::string> notes;
  };

  struct commit_info {
    std::string id;
    std::vector<std::string> parent_ids;
    std::string message;
    std::string author_name;
    std::string author_email;
  };

  struct recorded_request {
    std::string method;
    /// As sent: raw path and query.
    std::string target;
    std::string body;
    /// The PRIVATE-TOKEN (or bearer) the request carried.
    std::string token;
  };

  /// Starts serving; throws std::runtime_error when no port can be bound.
  fake_gitlab(std::string token, std::string project_path, int project_id = 42);
  ~fake_gitlab();

  fake_gitlab(const fake_gitlab&) = delete;
  fake_gitlab& operator=(const fake_gitlab&) = delete;

  /// Commits `files` (created or updated) onto `branch`, creating it.
  /// Returns the commit id.
  std::string seed(const std::string& branch,
                   const std::vector<repo_file>& files,
                   const std::string& message = "seed");

  /// Creates `branch` at the head of `from`.
  void create_branch(const std::string& branch, const std::string& from);

  /// http://127.0.0.1:PORT
  std::string url() const;
  /// http://127.0.0.1:PORT/api/v4
  std::string base_url() const;
  int project_id() const;
  const std::string& project_path() const;

  std::vector<merge_request> merge_requests() const;
  /// Path -> content at the head of `branch` (empty for unknown branches).
  std::map<std::string, std::string> files(const std::string& branch) const;
  /// The last commit that changed `path` on `branch`, or "".
  std::string last_commit_id(const std::string& branch,
                             const std::string& path) const;
  bool has_branch(const std::string& branch) const;
  /// The head commit id of `branch`, or "".
  std::string head(const std::string& branch) const;
  /// The number of commits in `branch`'s history (first parents).
  int commits_on(const std::string& branch) const;
  /// `branch`'s history, newest first (first parents).
  std::vector<commit_info> log(const std::string& branch) const;

  /// Answers the next matching request with `status`, `body` and `headers`
  /// instead of serving it (once). `method` and `path_contains` (a substring
  /// of the raw target) narrow the match when not empty. Faults queue in
  /// order.
  void fail_next(int status, std::string body,
                 std::vector<std::pair<std::string, std::string>> headers = {},
                 std::string method = {}, std::string path_contains = {});

  std::vector<recorded_request> requests() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace kfix::test
