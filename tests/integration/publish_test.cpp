// Publishing against fake GitLab and Slack servers over real HTTP on
// 127.0.0.1, and into local git repositories in temporary directories.

#include "actors/common/http_client.hpp"
#include "actors/publish/base64.hpp"
#include "actors/publish/gitlab_gitops_source.hpp"
#include "actors/publish/gitlab_publisher.hpp"
#include "actors/publish/local_git_publisher.hpp"
#include "actors/publish/local_gitops_source.hpp"
#include "actors/publish/merge_request.hpp"
#include "actors/publish/slack_notifier.hpp"
#include "tests/support/fake_gitlab.hpp"
#include "tests/support/fake_slack.hpp"

#include <git2.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace kfix::publish {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::fake_gitlab;
using test::fake_slack;

constexpr const char* token = "glpat-test-token";
constexpr const char* project = "shop/deploy";
constexpr const char* deployment_path = "apps/checkout/deployment.yaml";
constexpr const char* before_yaml
  = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n"
    "spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
    "          resources:\n            limits:\n              memory: 768Mi\n";
constexpr const char* after_yaml
  = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n"
    "spec:\n  template:\n    spec:\n      containers:\n        - name: app\n"
    "          resources:\n            limits:\n              memory: 1536Mi\n";

// -- helpers ------------------------------------------------------------------

std::shared_ptr<http::client> make_client() {
  http::client_config cfg;
  cfg.backoff_base = 10ms;
  cfg.backoff_cap = 100ms;
  cfg.max_retry_after = 5'000ms;
  return http::make_curl_client(cfg);
}

/// A unique directory under the system temp dir, removed at the end.
class temp_dir {
public:
  temp_dir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    path_ = fs::temp_directory_path()
            / ("kfix-publish-test-" + std::to_string(::getpid()) + "-"
               + std::to_string(counter++) + "-" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code err;
    fs::remove_all(path_, err);
  }
  const fs::path& path() const {
    return path_;
  }

private:
  fs::path path_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in{path, std::ios::binary};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::shared_ptr<incident_result> make_result(int64_t id = 42) {
  auto r = std::make_shared<incident_result>();
  r->incident_id = id;
  r->stage = incident_stage::validated;
  r->workload = {"Deployment", "shop", "checkout"};
  r->alert_type = "oom_killed";
  r->decision.kind = decision_kind::fix;
  r->decision.reason = "memory limit too low";
  plan p;
  p.id = "p1";
  p.title = "Raise checkout memory limit to 1536Mi";
  p.justification = "OOMKilled 3 times; peak 858Mi vs limit 768Mi.";
  p.rollback = "Revert the MR.";
  p.risk = "Low.";
  p.alternatives = {"Scale replicas: does not lower per-pod memory."};
  r->decision.plans.push_back(p);
  verdict v;
  v.plan_id = "p1";
  v.accepted = true;
  v.checks = {{"memory_increase_cap", true, false, "2x allowed"}};
  r->verdicts.push_back(v);
  r->chosen_plan = "p1";
  return r;
}

publish_request make_request(const std::string& last_commit_id, int64_t id = 42,
                             const std::string& project_path = project) {
  publish_request req;
  auto r = make_result(id);
  req.result = r;
  req.chosen = r->decision.plans[0];
  req.p.plan_id = "p1";
  req.p.files.push_back(
    {deployment_path, before_yaml, after_yaml, last_commit_id});
  req.p.diff = "--- a/apps/checkout/deployment.yaml\n"
               "+++ b/apps/checkout/deployment.yaml\n"
               "@@ -12 +12 @@\n"
               "-              memory: 768Mi\n"
               "+              memory: 1536Mi\n";
  req.target = {project_path, "main"};
  alert_facts facts;
  facts.env = "prod";
  facts.cluster = "eu-1";
  facts.team = "payments";
  req.content
    = render_merge_request(*r, req.chosen, req.p, req.target, {"k-fix"}, facts);
  req.seed_files = {{deployment_path, before_yaml, {}},
                    {"apps/checkout/service.yaml", "kind: Service\n", {}}};
  return req;
}

// -- GitLab publisher ---------------------------------------------------------

class GitLabPublisher : public ::testing::Test {
protected:
  GitLabPublisher() : gl(token, project) {
    gl.seed("main", {{deployment_path, before_yaml, {}},
                     {"apps/checkout/service.yaml", "kind: Service\n", {}},
                     {"README.md", "# deploy\n", {}}});
  }

  gitlab_config config() const {
    gitlab_config cfg;
    cfg.url = gl.url();
    cfg.project = project;
    cfg.timeout = 5'000ms;
    return cfg;
  }

  gitlab_publisher make_publisher(const std::string& tok = token) {
    return gitlab_publisher{client, config(), tok};
  }

  fake_gitlab gl;
  std::shared_ptr<http::client> client = make_client();
};

TEST_F(GitLabPublisher, CreatesOneCommitAndTheMergeRequest) {
  auto pub = make_publisher();
  auto req = make_request(gl.last_commit_id("main", deployment_path));
  auto main_commits = gl.commits_on("main");
  auto result = pub.publish(req);
  ASSERT_TRUE(result) << render(result.error());
  const auto& branch = req.content.branch;
  EXPECT_EQ(result->publisher, "gitlab");
  EXPECT_EQ(result->branch, branch);
  EXPECT_EQ(result->mr_iid, 1);
  EXPECT_EQ(result->url, gl.url() + "/shop/deploy/-/merge_requests/1");
  EXPECT_EQ(result->commit, gl.head(branch));
  EXPECT_EQ(result->description, req.content.description);
  // Exactly one commit beyond main, by K-Fix, changing only the manifest.
  ASSERT_EQ(gl.commits_on(branch), main_commits + 1);
  auto log = gl.log(branch);
  ASSERT_EQ(log[0].parent_ids.size(), 1u);
  EXPECT_EQ(log[0].parent_ids[0], gl.head("main"));
  EXPECT_EQ(log[0].author_name, "K-Fix");
  EXPECT_EQ(log[0].message, req.content.commit_message);
  auto files = gl.files(branch);
  EXPECT_EQ(files[deployment_path], after_yaml);
  EXPECT_EQ(files["README.md"], "# deploy\n");
  EXPECT_EQ(gl.files("main")[deployment_path], before_yaml);
  // The merge request.
  auto mrs = gl.merge_requests();
  ASSERT_EQ(mrs.size(), 1u);
  EXPECT_EQ(mrs[0].title, req.content.title);
  EXPECT_EQ(mrs[0].description, req.content.description);
  EXPECT_EQ(mrs[0].source_branch, branch);
  EXPECT_EQ(mrs[0].target_branch, "main");
  std::vector<std::string> labels{"k-fix", "env::prod", "team::payments",
                                  "alert::oom_killed"};
  EXPECT_EQ(mrs[0].labels, labels);
  EXPECT_TRUE(mrs[0].remove_source_branch);
  EXPECT_FALSE(mrs[0].auto_merge_requested);
  EXPECT_EQ(mrs[0].merge_attempts, 0);
  EXPECT_NE(mrs[0].description.find("## Proposed change"), std::string::npos);
  // Every request authenticated; no merge or PUT calls.
  for (const auto& r : gl.requests()) {
    EXPECT_EQ(r.token, token) << r.target;
    EXPECT_NE(r.method, "PUT") << r.target;
  }
}

TEST_F(GitLabPublisher, PublishingTwiceReturnsTheSameMergeRequest) {
  auto pub = make_publisher();
  auto req = make_request(gl.last_commit_id("main", deployment_path));
  auto first = pub.publish(req);
  ASSERT_TRUE(first) << render(first.error());
  auto commits = gl.commits_on(req.content.branch);
  auto second = pub.publish(req);
  ASSERT_TRUE(second) << render(second.error());
  EXPECT_EQ(second->mr_iid, first->mr_iid);
  EXPECT_EQ(second->url, first->url);
  EXPECT_EQ(second->commit, first->commit);
  EXPECT_EQ(gl.merge_requests().size(), 1u);
  EXPECT_EQ(gl.commits_on(req.content.branch), commits);
}

TEST_F(GitLabPublisher, AddsANoteToThePublishedMergeRequest) {
  auto pub = make_publisher();
  auto req = make_request(gl.last_commit_id("main", deployment_path));
  auto published = pub.publish(req);
  ASSERT_TRUE(published) << render(published.error());
  EXPECT_FALSE(published->project.empty());
  ASSERT_FALSE(pub.add_note(*published, "the alert recovered"));
  auto mrs = gl.merge_requests();
  ASSERT_EQ(mrs.size(), 1u);
  EXPECT_EQ(mrs[0].notes, std::vector<std::string>{"the alert recovered"});
  // A merge request that does not exist is an error naming it.
  auto missing = *published;
  missing.mr_iid = 999;
  auto err = pub.add_note(missing, "x");
  ASSERT_TRUE(err);
  EXPECT_NE(render(err).find("!999"), std::string::npos) << render(err);
}

TEST_F(GitLabPublisher, RetriesAfter429WithRetryAfter) {
  gl.fail_next(429,
               R"({"message":"This endpoint has been requested too many )"
               R"(times. Try again later."})",
               {{"Retry-After", "1"}});
  auto pub = make_publisher();
  auto req = make_request(gl.last_commit_id("main", deployment_path));
  auto started = std::chrono::steady_clock::now();
  auto result = pub.publish(req);
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_GE(std::chrono::steady_clock::now() - started, 900ms);
  EXPECT_EQ(gl.merge_requests().size(), 1u);
  // The first call was answered twice: 429, then the real answer.
  auto requests = gl.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, requests[1].target);
}

TEST_F(GitLabPublisher, RetriesAfterServerError) {
  gl.fail_next(500, R"({"message":"500 Internal Server Error"})", {}, "POST",
               "/merge_requests");
  auto pub = make_publisher();
  auto result
    = pub.publish(make_request(gl.last_commit_id("main", deployment_path)));
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(gl.merge_requests().size(), 1u);
}

TEST_F(GitLabPublisher, BadTokenGivesAClearError) {
  auto pub = make_publisher("wrong-token");
  auto result
    = pub.publish(make_request(gl.last_commit_id("main", deployment_path)));
  ASSERT_FALSE(result);
  EXPECT_EQ(code_of(result.error()), ec::upstream_error);
  auto text = render(result.error());
  EXPECT_NE(text.find("401"), std::string::npos) << text;
  EXPECT_NE(text.find("Unauthorized"), std::string::npos) << text;
  EXPECT_NE(text.find("token"), std::string::npos) << text;
  EXPECT_EQ(text.find("wrong-token"), std::string::npos) << text;
  EXPECT_TRUE(gl.merge_requests().empty());
}

TEST_F(GitLabPublisher, UnknownProjectIsNotFound) {
  auto pub = make_publisher();
  auto result = pub.publish(
    make_request(gl.last_commit_id("main", deployment_path), 42, "shop/other"));
  ASSERT_FALSE(result);
  auto text = render(result.error());
  EXPECT_NE(text.find("404 Project Not Found"), std::string::npos) << text;
}

TEST_F(GitLabPublisher, StaleLastCommitIdIsRejected) {
  auto pub = make_publisher();
  auto result = pub.publish(make_request(std::string(40, 'a')));
  ASSERT_FALSE(result);
  auto text = render(result.error());
  EXPECT_NE(text.find("The file has changed since you started editing it"),
            std::string::npos)
    << text;
  EXPECT_TRUE(gl.merge_requests().empty());
}

TEST_F(GitLabPublisher, ReusesABranchLeftByAFailedAttempt) {
  auto req = make_request(gl.last_commit_id("main", deployment_path));
  // The first attempt commits, then the MR creation fails.
  gl.fail_next(422, R"({"message":["Something went wrong"]})", {}, "POST",
               "/merge_requests");
  auto pub = make_publisher();
  auto failed = pub.publish(req);
  ASSERT_FALSE(failed);
  ASSERT_TRUE(gl.has_branch(req.content.branch));
  auto commits = gl.commits_on(req.content.branch);
  // The retry finds the branch (400 already exists), sees the content is
  // there and opens the MR without another commit.
  auto result = pub.publish(req);
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(gl.commits_on(req.content.branch), commits);
  EXPECT_EQ(result->commit, gl.head(req.content.branch));
  EXPECT_EQ(gl.merge_requests().size(), 1u);
}

TEST_F(GitLabPublisher, UpdatesAStaleExistingBranch) {
  auto req = make_request(gl.last_commit_id("main", deployment_path));
  gl.create_branch(req.content.branch, "main");
  gl.seed(req.content.branch, {{deployment_path, "stale: true\n", {}}});
  auto pub = make_publisher();
  auto result = pub.publish(req);
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(gl.files(req.content.branch)[deployment_path], after_yaml);
  EXPECT_EQ(result->commit, gl.head(req.content.branch));
  EXPECT_EQ(gl.merge_requests().size(), 1u);
}

TEST_F(GitLabPublisher, ConflictOnCreateReturnsTheExistingMergeRequest) {
  auto pub = make_publisher();
  auto req = make_request(gl.last_commit_id("main", deployment_path));
  auto first = pub.publish(req);
  ASSERT_TRUE(first) << render(first.error());
  // A race: the list does not show the MR yet, the create answers 409.
  gl.fail_next(200, "[]", {}, "GET", "/merge_requests?");
  auto second = pub.publish(req);
  ASSERT_TRUE(second) << render(second.error());
  EXPECT_EQ(second->mr_iid, first->mr_iid);
  EXPECT_EQ(second->url, first->url);
  EXPECT_EQ(gl.merge_requests().size(), 1u);
}

// -- GitLab manifest source ---------------------------------------------------

class GitLabPublisherSource : public GitLabPublisher {};

TEST_F(GitLabPublisherSource, ListsManifestsAcrossPages) {
  std::vector<repo_file> files;
  for (int i = 0; i < 27; ++i)
    files.push_back({"apps/svc" + std::to_string(i / 10) + "/m"
                       + std::to_string(i) + (i % 2 ? ".yaml" : ".yml"),
                     "n: " + std::to_string(i) + "\n",
                     {}});
  files.push_back({"apps/notes.txt", "not yaml\n", {}});
  files.push_back({"other/x.yaml", "outside\n", {}});
  gl.seed("main", files, "many manifests");
  gitlab_source_options opts;
  opts.per_page = 10;
  gitlab_gitops_source source{client, config(), token, opts};
  auto listed = source.list_manifests({project, "main"}, "apps");
  ASSERT_TRUE(listed) << render(listed.error());
  // 27 new files and the 2 seeded manifests under apps/checkout.
  ASSERT_EQ(listed->size(), 29u);
  for (const auto& f : *listed) {
    EXPECT_EQ(f.path.rfind("apps/", 0), 0u) << f.path;
    EXPECT_EQ(f.last_commit_id, gl.last_commit_id("main", f.path)) << f.path;
    EXPECT_FALSE(f.last_commit_id.empty());
    EXPECT_EQ(f.content, gl.files("main")[f.path]) << f.path;
  }
  EXPECT_TRUE(std::is_sorted(listed->begin(), listed->end(),
                             [](const repo_file& x, const repo_file& y) {
                               return x.path < y.path;
                             }));
  // 30 blobs and 4 directories at 10 per page: 4 tree pages.
  auto tree_pages = 0;
  for (const auto& r : gl.requests())
    if (r.target.find("/repository/tree?") != std::string::npos)
      ++tree_pages;
  EXPECT_EQ(tree_pages, 4);
}

TEST_F(GitLabPublisherSource, CapIsEnforced) {
  gitlab_source_options opts;
  opts.max_files = 1;
  gitlab_gitops_source source{client, config(), token, opts};
  auto listed = source.list_manifests({project, "main"}, "");
  ASSERT_FALSE(listed);
  auto text = render(listed.error());
  EXPECT_NE(text.find("more than 1 YAML files"), std::string::npos) << text;
}

TEST_F(GitLabPublisherSource, ErrorsNameTheStatus) {
  gitlab_gitops_source source{client, config(), token};
  auto missing = source.list_manifests({project, "main"}, "nope");
  ASSERT_FALSE(missing);
  EXPECT_NE(render(missing.error()).find("404"), std::string::npos);
  gitlab_gitops_source bad{client, config(), "bad"};
  auto denied = bad.list_manifests({project, "main"}, "");
  ASSERT_FALSE(denied);
  EXPECT_NE(render(denied.error()).find("401 Unauthorized"), std::string::npos);
}

TEST(GitLabPublisherBase64, RoundTrips) {
  for (std::string s : {"", "a", "ab", "abc", "abcd", "memory: 1536Mi\n"}) {
    auto decoded = base64_decode(base64_encode(s));
    ASSERT_TRUE(decoded) << s;
    EXPECT_EQ(*decoded, s);
  }
  EXPECT_EQ(*base64_decode("YWI"), "ab");
  EXPECT_EQ(*base64_decode("YW\nJj"), "abc");
  EXPECT_FALSE(base64_decode("Y"));
  EXPECT_FALSE(base64_decode("Y!!="));
  EXPECT_FALSE(base64_decode("YQ==YQ=="));
}

// -- the fake itself, as the reference describes GitLab
// ------------------------

class GitLabPublisherFake : public GitLabPublisher {
protected:
  http::incoming call(const std::string& method, const std::string& path,
                      const std::string& body = {},
                      const std::string& tok = token) {
    http::outgoing req;
    req.service = "gitlab";
    req.method = method;
    req.url = gl.base_url() + path;
    if (!tok.empty())
      req.headers.emplace_back("PRIVATE-TOKEN", tok);
    if (!body.empty())
      req.headers.emplace_back("Content-Type", "application/json");
    req.body = body;
    req.max_attempts = 1;
    auto answer = client->send(req);
    EXPECT_TRUE(answer) << render(answer.error());
    return answer ? *answer : http::incoming{};
  }
};

TEST_F(GitLabPublisherFake, AuthProjectAndRoutes) {
  auto r = call("GET", "/projects/shop%2Fdeploy/repository/tree", {}, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body, R"({"message":"401 Unauthorized"})");
  r = call("GET", "/projects/shop%2Fnope/repository/tree");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"message":"404 Project Not Found"})");
  r = call("GET", "/projects/shop/deploy/repository/tree");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, R"({"error":"404 Not Found"})");
  r = call("GET", "/projects/42/repository/files/" + std::string{"README.md"}
                    + "?ref=main");
  EXPECT_EQ(r.status, 200);
  auto meta = nlohmann::json::parse(r.body);
  EXPECT_EQ(meta["encoding"], "base64");
  EXPECT_EQ(*base64_decode(meta["content"].get<std::string>()), "# deploy\n");
  EXPECT_EQ(meta["last_commit_id"], gl.head("main"));
  r = call("GET", "/projects/42/repository/files/apps%2Fcheckout%2F"
                  "service.yaml/raw?ref=main");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "kind: Service\n");
  r = call("GET", "/projects/42/repository/files/missing.yaml?ref=main");
  EXPECT_EQ(r.status, 404);
}

TEST_F(GitLabPublisherFake, PaginationHeaders) {
  auto r = call("GET", "/projects/42/repository/tree?recursive=true"
                       "&per_page=2&page=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-page"), "1");
  EXPECT_EQ(r.header("x-per-page"), "2");
  EXPECT_EQ(r.header("x-total"), "5"); // apps, apps/checkout + 3 blobs
  EXPECT_EQ(r.header("x-total-pages"), "3");
  EXPECT_EQ(r.header("x-next-page"), "2");
  EXPECT_NE(r.header("link").find("rel=\"next\""), std::string::npos);
  r = call("GET", "/projects/42/repository/tree?recursive=true"
                  "&per_page=2&page=3");
  EXPECT_EQ(r.header("x-next-page"), "");
  EXPECT_EQ(nlohmann::json::parse(r.body).size(), 1u);
  r = call("GET", "/projects/42/repository/tree?per_page=500");
  EXPECT_EQ(r.header("x-per-page"), "100");
}

TEST_F(GitLabPublisherFake, WriteErrors) {
  auto r = call("POST", "/projects/42/merge_requests",
                R"({"source_branch":"main","target_branch":"main"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"message":"400 (Bad request) \"title\" not given"})");
  r = call("POST", "/projects/42/repository/branches?branch=main&ref=main");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"message":"Branch already exists"})");
  r = call("POST", "/projects/42/repository/branches?branch=feature&ref=main");
  EXPECT_EQ(r.status, 201);
  r = call("POST", "/projects/42/repository/commits",
           R"({"branch":"nobranch","commit_message":"x","actions":[)"
           R"({"action":"create","file_path":"a","content":"b"}]})");
  EXPECT_EQ(r.status, 400);
  r = call("POST", "/projects/42/repository/commits",
           R"({"branch":"feature","commit_message":"x","actions":[)"
           R"({"action":"update","file_path":"missing","content":"b"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"message":"A file with this name doesn't exist"})");
  r = call("POST", "/projects/42/repository/commits",
           R"({"branch":"feature","start_branch":"main","commit_message":"x",)"
           R"("actions":[{"action":"create","file_path":"a","content":"b"}]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("already exists"), std::string::npos);
  r = call("POST", "/projects/42/merge_requests",
           R"({"source_branch":"feature","target_branch":"main","title":"t"})");
  EXPECT_EQ(r.status, 201);
  r = call("POST", "/projects/42/merge_requests",
           R"({"source_branch":"feature","target_branch":"main","title":"t"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(r.body, R"({"message":["Another open merge request already )"
                    R"(exists for this source branch: !1"]})");
  r = call("POST", "/projects/42/merge_requests/1/notes", R"({"body":"hi"})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(gl.merge_requests()[0].notes.size(), 1u);
}

// -- local git publisher ------------------------------------------------------

class LocalGitPublisher : public ::testing::Test {
protected:
  void SetUp() override {
    git_libgit2_init();
  }
  void TearDown() override {
    git_libgit2_shutdown();
  }

  /// The commit `rev` resolves to in the repository at `dir`.
  struct repo_view {
    git_repository* repo = nullptr;
    explicit repo_view(const fs::path& dir) {
      EXPECT_EQ(git_repository_open(&repo, dir.c_str()), 0);
    }
    ~repo_view() {
      git_repository_free(repo);
    }
    git_commit* commit(const std::string& ref) {
      git_oid oid;
      if (git_reference_name_to_id(&oid, repo, ref.c_str()) != 0)
        return nullptr;
      git_commit* c = nullptr;
      git_commit_lookup(&c, repo, &oid);
      return c;
    }
    std::string head_ref() {
      git_reference* ref = nullptr;
      git_repository_head(&ref, repo);
      std::string name = git_reference_name(ref);
      git_reference_free(ref);
      return name;
    }
    std::string blob(git_commit* c, const std::string& path) {
      git_tree* tree = nullptr;
      git_commit_tree(&tree, c);
      git_tree_entry* entry = nullptr;
      std::string out;
      if (git_tree_entry_bypath(&entry, tree, path.c_str()) == 0) {
        git_blob* b = nullptr;
        git_blob_lookup(&b, repo, git_tree_entry_id(entry));
        out.assign(static_cast<const char*>(git_blob_rawcontent(b)),
                   static_cast<size_t>(git_blob_rawsize(b)));
        git_blob_free(b);
        git_tree_entry_free(entry);
      } else {
        out = "<missing>";
      }
      git_tree_free(tree);
      return out;
    }
    /// The paths that differ between `a` and `b`.
    std::vector<std::string> changed(git_commit* a, git_commit* b) {
      git_tree* ta = nullptr;
      git_tree* tb = nullptr;
      git_commit_tree(&ta, a);
      git_commit_tree(&tb, b);
      git_diff* diff = nullptr;
      git_diff_tree_to_tree(&diff, repo, ta, tb, nullptr);
      std::vector<std::string> out;
      for (size_t i = 0; i < git_diff_num_deltas(diff); ++i)
        out.push_back(git_diff_get_delta(diff, i)->new_file.path);
      git_diff_free(diff);
      git_tree_free(ta);
      git_tree_free(tb);
      return out;
    }
    size_t history(git_commit* c) {
      size_t n = 0;
      git_commit* cur = nullptr;
      git_commit_dup(&cur, c);
      while (cur != nullptr) {
        ++n;
        git_commit* parent = nullptr;
        if (git_commit_parentcount(cur) > 0)
          git_commit_parent(&parent, cur, 0);
        git_commit_free(cur);
        cur = parent;
      }
      return n;
    }
  };

  temp_dir tmp;
};

TEST_F(LocalGitPublisher, SeedsTheRepoAndCommitsOneChange) {
  local_git_publisher pub{tmp.path()};
  auto req = make_request({});
  auto result = pub.publish(req);
  ASSERT_TRUE(result) << render(result.error());
  auto dir = tmp.path() / "gitops" / "shop__deploy";
  EXPECT_EQ(result->publisher, "local-git");
  EXPECT_EQ(result->url, "file://" + fs::absolute(dir).string());
  EXPECT_EQ(result->branch, req.content.branch);
  EXPECT_EQ(result->description, req.content.description);
  repo_view repo{dir};
  EXPECT_EQ(repo.head_ref(), "refs/heads/main");
  auto* main = repo.commit("refs/heads/main");
  auto* mr = repo.commit("refs/heads/" + req.content.branch);
  ASSERT_NE(main, nullptr);
  ASSERT_NE(mr, nullptr);
  char sha[GIT_OID_HEXSZ + 1];
  git_oid_tostr(sha, sizeof(sha), git_commit_id(mr));
  EXPECT_EQ(result->commit, sha);
  // Seeded target branch: one commit with both files.
  EXPECT_EQ(repo.history(main), 1u);
  EXPECT_EQ(std::string{git_commit_message(main)}, "seed from incident 42\n");
  EXPECT_EQ(std::string{git_commit_author(main)->name}, "K-Fix");
  EXPECT_EQ(repo.blob(main, deployment_path), before_yaml);
  EXPECT_EQ(repo.blob(main, "apps/checkout/service.yaml"), "kind: Service\n");
  // The branch: exactly one commit on top of main touching one file.
  ASSERT_EQ(git_commit_parentcount(mr), 1u);
  EXPECT_TRUE(git_oid_equal(git_commit_parent_id(mr, 0), git_commit_id(main)));
  EXPECT_EQ(repo.changed(main, mr), std::vector<std::string>{deployment_path});
  EXPECT_EQ(repo.blob(mr, deployment_path), after_yaml);
  EXPECT_EQ(std::string{git_commit_message(mr)}, req.content.commit_message);
  EXPECT_EQ(std::string{git_commit_author(mr)->email}, "k-fix@localhost");
  // The working tree shows the target branch.
  EXPECT_EQ(read_file(dir / deployment_path), before_yaml);
  // Description and sidecar.
  auto md = tmp.path() / "merge-requests" / "k-fix-shop-checkout-42.md";
  EXPECT_EQ(result->description_path, md.string());
  EXPECT_EQ(read_file(md), req.content.description);
  auto sidecar = nlohmann::json::parse(
    read_file(tmp.path() / "merge-requests" / "k-fix-shop-checkout-42.json"));
  EXPECT_EQ(sidecar["title"], req.content.title);
  EXPECT_EQ(sidecar["branch"], req.content.branch);
  EXPECT_EQ(sidecar["target_branch"], "main");
  EXPECT_EQ(sidecar["commit"], result->commit);
  EXPECT_EQ(sidecar["incident_id"], 42);
  EXPECT_EQ(sidecar["labels"].size(), 4u);
  git_commit_free(main);
  git_commit_free(mr);
}

TEST_F(LocalGitPublisher, NotesAreAppendedToTheDescriptionAndSidecar) {
  local_git_publisher pub{tmp.path()};
  auto req = make_request({});
  auto result = pub.publish(req);
  ASSERT_TRUE(result) << render(result.error());
  ASSERT_FALSE(pub.add_note(*result, "first note"));
  ASSERT_FALSE(pub.add_note(*result, "second note"));
  auto md = read_file(result->description_path);
  EXPECT_EQ(md.rfind(req.content.description, 0), 0u);
  EXPECT_NE(md.find("first note"), std::string::npos);
  EXPECT_LT(md.find("first note"), md.find("second note"));
  auto sidecar = nlohmann::json::parse(
    read_file(tmp.path() / "merge-requests" / "k-fix-shop-checkout-42.json"));
  ASSERT_EQ(sidecar["notes"].size(), 2u);
  EXPECT_EQ(sidecar["notes"][1]["body"], "second note");
  auto unknown = *result;
  unknown.branch = "k-fix/nothing-here";
  EXPECT_TRUE(pub.add_note(unknown, "x"));
}

TEST_F(LocalGitPublisher, RepublishingReplacesTheBranchCommit) {
  local_git_publisher pub{tmp.path()};
  auto req = make_request({});
  auto first = pub.publish(req);
  ASSERT_TRUE(first) << render(first.error());
  auto second = pub.publish(req);
  ASSERT_TRUE(second) << render(second.error());
  repo_view repo{tmp.path() / "gitops" / "shop__deploy"};
  auto* main = repo.commit("refs/heads/main");
  auto* mr = repo.commit("refs/heads/" + req.content.branch);
  EXPECT_EQ(repo.history(main), 1u);
  EXPECT_EQ(repo.history(mr), 2u);
  EXPECT_TRUE(git_oid_equal(git_commit_parent_id(mr, 0), git_commit_id(main)));
  EXPECT_EQ(repo.changed(main, mr), std::vector<std::string>{deployment_path});
  git_commit_free(main);
  git_commit_free(mr);
}

TEST_F(LocalGitPublisher, ExistingRepoSeedsOnlyMissingFiles) {
  local_git_publisher pub{tmp.path()};
  auto a = make_request({}, 1);
  ASSERT_TRUE(pub.publish(a));
  auto b = make_request({}, 2);
  b.seed_files = {{deployment_path, "changed: elsewhere\n", {}},
                  {"apps/cart/deployment.yaml", "kind: Deployment\n", {}}};
  auto result = pub.publish(b);
  ASSERT_TRUE(result) << render(result.error());
  repo_view repo{tmp.path() / "gitops" / "shop__deploy"};
  auto* main = repo.commit("refs/heads/main");
  EXPECT_EQ(repo.history(main), 2u);
  EXPECT_EQ(repo.blob(main, deployment_path), before_yaml);
  EXPECT_EQ(repo.blob(main, "apps/cart/deployment.yaml"), "kind: Deployment\n");
  EXPECT_EQ(std::string{git_commit_message(main)}, "seed from incident 2\n");
  git_commit_free(main);
}

TEST_F(LocalGitPublisher, DefaultProjectIsLocalNamespace) {
  local_git_publisher pub{tmp.path()};
  auto req = make_request({}, 5, "");
  auto result = pub.publish(req);
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_TRUE(fs::exists(tmp.path() / "gitops" / "local__shop" / ".git"));
}

TEST_F(LocalGitPublisher, ConcurrentPublishesIntoOneRepo) {
  local_git_publisher pub{tmp.path()};
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] {
      if (pub.publish(make_request({}, 100 + i)))
        ++ok;
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok, 4);
  repo_view repo{tmp.path() / "gitops" / "shop__deploy"};
  auto* main = repo.commit("refs/heads/main");
  for (int i = 0; i < 4; ++i) {
    auto* mr = repo.commit("refs/heads/k-fix/shop-checkout-"
                           + std::to_string(100 + i));
    ASSERT_NE(mr, nullptr);
    EXPECT_TRUE(
      git_oid_equal(git_commit_parent_id(mr, 0), git_commit_id(main)));
    git_commit_free(mr);
  }
  git_commit_free(main);
}

TEST_F(LocalGitPublisher, RejectsUnsafePaths) {
  local_git_publisher pub{tmp.path()};
  auto req = make_request({});
  req.p.files[0].path = "../escape.yaml";
  auto result = pub.publish(req);
  ASSERT_FALSE(result);
  EXPECT_EQ(code_of(result.error()), ec::invalid_input);
}

TEST_F(LocalGitPublisher, LocalSourceListsYamlFiles) {
  auto root = tmp.path() / "gitops";
  fs::create_directories(root / "apps" / "checkout");
  std::ofstream{root / "apps" / "checkout" / "deployment.yaml"} << "a: 1\n";
  std::ofstream{root / "apps" / "checkout" / "hpa.yml"} << "b: 2\n";
  std::ofstream{root / "apps" / "README.md"} << "no\n";
  std::ofstream{root / "kustomization.yaml"} << "c: 3\n";
  local_gitops_source source{root};
  auto all = source.list_manifests({}, "");
  ASSERT_TRUE(all) << render(all.error());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].path, "apps/checkout/deployment.yaml");
  EXPECT_EQ((*all)[0].content, "a: 1\n");
  EXPECT_TRUE((*all)[0].last_commit_id.empty());
  EXPECT_EQ((*all)[1].path, "apps/checkout/hpa.yml");
  EXPECT_EQ((*all)[2].path, "kustomization.yaml");
  auto apps = source.list_manifests({}, "apps");
  ASSERT_TRUE(apps);
  EXPECT_EQ(apps->size(), 2u);
  EXPECT_FALSE(source.list_manifests({}, "../etc"));
  EXPECT_FALSE(source.list_manifests({}, "missing"));
  local_gitops_source capped{root, 2};
  auto over = capped.list_manifests({}, "");
  ASSERT_FALSE(over);
  EXPECT_NE(render(over.error()).find("more than 2"), std::string::npos);
}

// -- Slack --------------------------------------------------------------------

class SlackNotifier : public ::testing::Test {
protected:
  publication mr() const {
    publication p;
    p.publisher = "gitlab";
    p.url = "https://gitlab.example.com/shop/deploy/-/merge_requests/7";
    p.mr_iid = 7;
    p.branch = "k-fix/shop-checkout-42";
    return p;
  }

  fake_slack slack;
  std::shared_ptr<http::client> client = make_client();
};

TEST_F(SlackNotifier, PostsTheMessage) {
  slack_notifier notifier{client};
  auto err = notifier.notify(slack.webhook_url(), *make_result(), mr());
  EXPECT_FALSE(err) << render(err);
  auto messages = slack.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0]["text"].get<std::string>().find("MR !7"),
            std::string::npos);
  EXPECT_EQ(messages[0]["blocks"][0]["type"], "header");
}

TEST_F(SlackNotifier, InvalidWebhookIsAnErrorWithoutTheUrl) {
  slack_notifier notifier{client};
  auto err = notifier.notify(slack.invalid_webhook_url(), *make_result(),
                             std::nullopt);
  ASSERT_TRUE(err);
  auto text = render(err);
  EXPECT_NE(text.find("no_service"), std::string::npos) << text;
  EXPECT_NE(text.find("404"), std::string::npos) << text;
  EXPECT_EQ(text.find("REVOKED"), std::string::npos) << text;
  EXPECT_TRUE(slack.messages().empty());
}

TEST_F(SlackNotifier, RetriesAfter429) {
  slack.fail_next(429, "rate_limited", {{"Retry-After", "1"}});
  slack_notifier notifier{client};
  auto err = notifier.notify(slack.webhook_url(), *make_result(), mr());
  EXPECT_FALSE(err) << render(err);
  EXPECT_EQ(slack.request_count(), 2u);
  EXPECT_EQ(slack.messages().size(), 1u);
}

TEST_F(SlackNotifier, UnreachableWebhookDoesNotLeakTheUrl) {
  std::string url;
  {
    fake_slack gone;
    url = gone.webhook_url();
  }
  slack_notifier notifier{client, 1'000ms};
  auto err = notifier.notify(url, *make_result(), std::nullopt);
  ASSERT_TRUE(err);
  auto text = render(err);
  EXPECT_EQ(text.find("/services/"), std::string::npos) << text;
}

TEST_F(SlackNotifier, FakeRejectsBadPayloads) {
  auto post = [&](const std::string& body) {
    http::outgoing req;
    req.service = "slack";
    req.method = "POST";
    req.url = slack.webhook_url();
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body;
    req.max_attempts = 1;
    auto answer = client->send(req);
    EXPECT_TRUE(answer);
    return answer ? *answer : http::incoming{};
  };
  auto r = post("{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "invalid_payload");
  r = post(R"({"username":"x"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, "no_text");
  r = post(R"({"text":"hi"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
}

} // namespace
} // namespace kfix::publish
