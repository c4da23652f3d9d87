// End to end: a Datadog alert over real HTTP into the agent (real
// PostgreSQL, simulated Kubernetes and Datadog APIs on 127.0.0.1, the actor
// pipeline), out as a merge request in the fake GitLab or the local-git
// publisher.

#include "actors/common/http_client.hpp"
#include "actors/common/quantity.hpp"
#include "actors/system/agent.hpp"
#include "config/config.hpp"
#include "eval/sim/incident.hpp"
#include "tests/support/fake_gitlab.hpp"
#include "tests/support/test_database.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace {

using namespace kfix;
namespace fs = std::filesystem;

const fs::path samples = test::samples_dir();

/// Each test's own database (see test_database.hpp).
std::string current_database;

std::string database_url() {
  return current_database;
}

/// The sample's alert.json with a fresh delivery id and alert cycle.
std::string fresh_alert(const sim::recorded_incident& inc,
                        const std::string& suffix) {
  auto alert = nlohmann::json::parse(inc.alert_json);
  alert["id"] = alert["id"].get<std::string>() + suffix;
  alert["alert_cycle_key"]
    = alert["alert_cycle_key"].get<std::string>() + suffix;
  return alert.dump();
}

int64_t count_alerts(const std::string& like) {
  pqxx::connection c{database_url()};
  pqxx::read_transaction tx{c};
  return tx
    .exec_params1("SELECT count(*) FROM alerts WHERE delivery_id LIKE $1",
                  like)[0]
    .as<int64_t>();
}

class EndToEnd : public ::testing::Test {
protected:
  void SetUp() override {
    db_ = std::make_unique<test::test_database>();
    current_database = db_->url();
    if (database_url().empty())
      GTEST_SKIP() << "KFIX_TEST_DATABASE_URL not set (run through ctest)";
    suffix_ = test::unique_suffix();
    state_dir_ = fs::temp_directory_path() / ("kfix-e2e-" + suffix_);
    fs::create_directories(state_dir_);
    http_ = http::make_curl_client();
  }

  void TearDown() override {
    if (agent_)
      agent_->stop();
    agent_.reset();
    db_.reset();
    std::error_code ec;
    fs::remove_all(state_dir_, ec);
  }

  agent_config base_config(const std::string& incident) {
    agent_config cfg;
    cfg.server.listen = "127.0.0.1:0";
    cfg.database_url = database_url();
    cfg.state_dir = state_dir_.string();
    cfg.simulation.datasets.clear();
    cfg.simulation.incidents = {(samples / incident).string()};
    cfg.policy_file = std::string{KFIX_SOURCE_DIR} + "/config/policy.yaml";
    auto policy = load_policy_file(cfg.policy_file);
    EXPECT_TRUE(policy) << render(policy.error());
    if (policy)
      cfg.policy = *policy;
    return cfg;
  }

  void start(agent_config cfg) {
    auto started = start_agent(std::make_shared<const agent_config>(cfg));
    ASSERT_TRUE(started) << render(started.error());
    agent_ = std::move(*started);
    base_ = "http://127.0.0.1:" + std::to_string(agent_->port());
  }

  http::incoming
  post(const std::string& body, std::string content_type = "application/json",
       std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::outgoing req;
    req.service = "test";
    req.method = "POST";
    req.url = base_ + "/datadog-webhook";
    req.body = body;
    req.max_attempts = 1;
    if (!content_type.empty())
      headers.emplace_back("Content-Type", content_type);
    req.headers = std::move(headers);
    auto answer = http_->send(req);
    EXPECT_TRUE(answer) << render(answer.error());
    return answer ? *answer : http::incoming{};
  }

  http::incoming get(const std::string& path,
                     std::vector<std::pair<std::string, std::string>> headers
                     = {}) {
    http::outgoing req;
    req.service = "test";
    req.url = base_ + path;
    req.max_attempts = 1;
    req.headers = std::move(headers);
    auto answer = http_->send(req);
    EXPECT_TRUE(answer) << render(answer.error());
    return answer ? *answer : http::incoming{};
  }

  /// Polls GET /incidents/{id} until the incident leaves the pipeline.
  nlohmann::json wait_for_incident(int64_t id, std::chrono::seconds limit
                                               = std::chrono::seconds{30}) {
    auto until = std::chrono::steady_clock::now() + limit;
    nlohmann::json last;
    while (std::chrono::steady_clock::now() < until) {
      auto answer = get("/incidents/" + std::to_string(id));
      if (answer.status == 200) {
        last = nlohmann::json::parse(answer.body);
        auto stage = last.value("stage", "");
        if ((stage == "published" || stage == "failed" || stage == "closed")
            && !last["result"].is_null())
          return last;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{50});
    }
    ADD_FAILURE() << "incident " << id << " not finished: " << last.dump();
    return last;
  }

  std::unique_ptr<test::test_database> db_;
  std::string suffix_;
  fs::path state_dir_;
  std::shared_ptr<http::client> http_;
  std::unique_ptr<agent> agent_;
  std::string base_;
};

// -- the path to a merge request ----------------------------------------------

/// The memory values of each container of the workload in a manifest.
std::map<std::string, std::string>
resources_by_container(const std::string& text, const std::string& kind,
                       const std::string& name) {
  std::map<std::string, std::string> result;
  for (const auto& doc : YAML::LoadAll(text)) {
    if (!doc["kind"] || doc["kind"].as<std::string>() != kind
        || doc["metadata"]["name"].as<std::string>() != name)
      continue;
    for (const auto& c : doc["spec"]["template"]["spec"]["containers"]) {
      YAML::Emitter out;
      out << c["resources"];
      result[c["name"].as<std::string>()] = out.c_str();
    }
  }
  return result;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST_F(EndToEnd, OomAlertBecomesGitLabMergeRequestChangingOnlyMemoryLines) {
  auto inc = sim::load_incident(samples / "oom-checkout-0314");
  ASSERT_TRUE(inc) << render(inc.error());
  test::fake_gitlab gitlab{"glpat-e2e-token", inc->gitops.project};
  gitlab.seed("main", inc->gitops_files);
  auto cfg = base_config("oom-checkout-0314");
  cfg.gitlab.url = gitlab.url();
  cfg.gitlab.project = inc->gitops.project;
  cfg.secret.gitlab_token = "glpat-e2e-token";
  start(cfg);

  auto answer = post(fresh_alert(*inc, suffix_));
  ASSERT_EQ(answer.status, 202) << answer.body;
  auto ack = nlohmann::json::parse(answer.body);
  auto id = ack.at("incident_id").get<int64_t>();
  EXPECT_EQ(ack.at("status"), "accepted");

  auto done = wait_for_incident(id);
  ASSERT_EQ(done.value("stage", ""), "published") << done.dump(2);
  std::vector<std::string> stages;
  for (const auto& step : done["progress"])
    stages.push_back(step["stage"]);
  EXPECT_EQ(stages, (std::vector<std::string>{"received", "context", "planned",
                                              "validated", "published"}));

  auto mrs = gitlab.merge_requests();
  ASSERT_EQ(mrs.size(), 1u);
  const auto& mr = mrs.front();
  EXPECT_EQ(mr.target_branch, "main");
  EXPECT_FALSE(mr.auto_merge_requested);
  // Exactly one commit on the MR branch beyond main.
  EXPECT_EQ(gitlab.commits_on(mr.source_branch), gitlab.commits_on("main") + 1);

  // The manifest changed only in memory lines of container `app`.
  auto before = gitlab.files("main");
  auto after = gitlab.files(mr.source_branch);
  const std::string path = "apps/checkout/deployment.yaml";
  ASSERT_TRUE(before.count(path) && after.count(path));
  for (const auto& [file, content] : before) {
    if (file != path) {
      EXPECT_EQ(after[file], content) << file << " must not change";
    }
  }
  auto old_lines = lines_of(before[path]);
  auto new_lines = lines_of(after[path]);
  ASSERT_EQ(old_lines.size(), new_lines.size());
  int changed = 0;
  for (size_t i = 0; i < old_lines.size(); ++i)
    if (old_lines[i] != new_lines[i]) {
      ++changed;
      EXPECT_NE(new_lines[i].find("memory:"), std::string::npos)
        << "line " << i + 1 << " is not a memory line: " << new_lines[i];
    }
  EXPECT_GE(changed, 1);
  EXPECT_LE(changed, 2);
  auto old_res = resources_by_container(before[path], "Deployment", "checkout");
  auto new_res = resources_by_container(after[path], "Deployment", "checkout");
  EXPECT_EQ(old_res.at("log-shipper"), new_res.at("log-shipper"));
  EXPECT_NE(old_res.at("app"), new_res.at("app"));
  auto doc = YAML::LoadAll(after[path]);
  for (const auto& d : doc)
    if (d["kind"].as<std::string>() == "Deployment")
      for (const auto& c : d["spec"]["template"]["spec"]["containers"])
        if (c["name"].as<std::string>() == "app") {
          // Within the incident's accepted range, and CPU untouched.
          // incident.yaml accepts memory_limit 960Mi..1536Mi and
          // memory_request 512Mi..1536Mi, and the request must not exceed
          // the limit.
          auto limit = parse_quantity(
            c["resources"]["limits"]["memory"].as<std::string>());
          auto request = parse_quantity(
            c["resources"]["requests"]["memory"].as<std::string>());
          ASSERT_TRUE(limit && request);
          EXPECT_GE(limit->bytes(), 960LL << 20);
          EXPECT_LE(limit->bytes(), 1536LL << 20);
          EXPECT_GE(request->bytes(), 512LL << 20);
          EXPECT_LE(request->bytes(), limit->bytes());
          EXPECT_EQ(c["resources"]["requests"]["cpu"].as<std::string>(),
                    "250m");
        }

  // The description has every section.
  for (const char* section :
       {"## Summary", "## Evidence and justification", "## Proposed change",
        "## Alternatives considered", "## Rollback plan", "## Safety checks",
        "## Risk", "```diff"})
    EXPECT_NE(mr.description.find(section), std::string::npos)
      << "missing " << section << " in:\n"
      << mr.description;
  // Labels for env and team.
  std::set<std::string> labels(mr.labels.begin(), mr.labels.end());
  EXPECT_TRUE(labels.count("env::prod")) << mr.description;
  EXPECT_TRUE(labels.count("team::payments"));
}

TEST_F(EndToEnd, RecoveredAfterPublicationAddsANoteToTheMergeRequest) {
  auto inc = sim::load_incident(samples / "oom-checkout-0314");
  ASSERT_TRUE(inc) << render(inc.error());
  test::fake_gitlab gitlab{"glpat-e2e-token", inc->gitops.project};
  gitlab.seed("main", inc->gitops_files);
  auto cfg = base_config("oom-checkout-0314");
  cfg.gitlab.url = gitlab.url();
  cfg.gitlab.project = inc->gitops.project;
  cfg.secret.gitlab_token = "glpat-e2e-token";
  start(cfg);
  auto triggered = post(fresh_alert(*inc, suffix_));
  ASSERT_EQ(triggered.status, 202) << triggered.body;
  auto id
    = nlohmann::json::parse(triggered.body).at("incident_id").get<int64_t>();
  ASSERT_EQ(wait_for_incident(id).value("stage", ""), "published");
  ASSERT_EQ(gitlab.merge_requests().size(), 1u);
  EXPECT_TRUE(gitlab.merge_requests().front().notes.empty());

  // The same monitor cycle recovers: the incident keeps its MR, which gets
  // a note; no second MR, the incident stays published.
  auto recovered = nlohmann::json::parse(fresh_alert(*inc, suffix_));
  recovered["id"] = recovered["id"].get<std::string>() + "-recovered";
  recovered["alert_transition"] = "Recovered";
  auto answer = post(recovered.dump());
  ASSERT_EQ(answer.status, 202) << answer.body;
  auto ack = nlohmann::json::parse(answer.body);
  EXPECT_EQ(ack.at("incident_id").get<int64_t>(), id);
  EXPECT_EQ(ack.at("status"), "joined");
  std::vector<std::string> notes;
  for (int i = 0; i < 200 && notes.empty(); ++i) {
    notes = gitlab.merge_requests().front().notes;
    if (notes.empty())
      std::this_thread::sleep_for(std::chrono::milliseconds{25});
  }
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes.front().find("recovered"), std::string::npos)
    << notes.front();
  EXPECT_NE(notes.front().find(recovered["id"].get<std::string>()),
            std::string::npos);
  EXPECT_EQ(gitlab.merge_requests().size(), 1u);
  auto after = get("/incidents/" + std::to_string(id));
  EXPECT_EQ(nlohmann::json::parse(after.body).value("stage", ""), "published");
}

TEST_F(EndToEnd, EmbeddedDefaultPublishesToLocalGit) {
  auto inc = sim::load_incident(samples / "mem-pressure-orders-0402");
  ASSERT_TRUE(inc) << render(inc.error());
  start(base_config("mem-pressure-orders-0402"));
  auto answer = post(fresh_alert(*inc, suffix_));
  ASSERT_EQ(answer.status, 202) << answer.body;
  auto id = nlohmann::json::parse(answer.body).at("incident_id").get<int64_t>();
  auto done = wait_for_incident(id);
  ASSERT_EQ(done.value("stage", ""), "published") << done.dump(2);
  const auto& pub = done["result"]["publication"];
  ASSERT_TRUE(pub.is_object()) << done.dump(2);
  EXPECT_EQ(pub.value("publisher", ""), "local-git");
  auto description = pub.value("description_path", "");
  ASSERT_FALSE(description.empty());
  EXPECT_TRUE(fs::exists(description)) << description;
  EXPECT_TRUE(fs::exists(state_dir_ / "gitops")) << state_dir_;
}

// -- bad input ----------------------------------------------------------------

TEST_F(EndToEnd, BadInputGets400NamingTheProblemAndStoresNothing) {
  start(base_config("oom-checkout-0314"));
  auto inc = sim::load_incident(samples / "oom-checkout-0314");
  ASSERT_TRUE(inc);
  auto good = nlohmann::json::parse(fresh_alert(*inc, suffix_));
  auto marker = "%" + suffix_;
  struct bad_case {
    std::string body;
    std::string content_type;
    int status;
    std::string mentions;
  };
  auto without = [&](const char* field) {
    auto j = good;
    j.erase(field);
    return j.dump();
  };
  auto with = [&](const char* field, nlohmann::json value) {
    auto j = good;
    j[field] = std::move(value);
    return j.dump();
  };
  std::vector<bad_case> cases{
    {"{\"id\": \"1\", ", "application/json", 400, ""},
    {"not json at all", "application/json", 400, ""},
    {without("alert_id"), "application/json", 400, "alert_id"},
    {without("date"), "application/json", 400, "date"},
    {without("alert_transition"), "application/json", 400, "alert_transition"},
    {with("alert_id", nlohmann::json::object()), "application/json", 400,
     "alert_id"},
    {with("alert_transition", nlohmann::json::array()), "application/json", 400,
     "alert_transition"},
    {good.dump(), "text/plain", 415, "application/json"},
    {good.dump(), "", 415, "application/json"},
  };
  for (const auto& c : cases) {
    auto answer = post(c.body, c.content_type);
    EXPECT_EQ(answer.status, c.status) << c.body;
    auto err = nlohmann::json::parse(answer.body, nullptr, false);
    ASSERT_TRUE(err.is_object()) << answer.body;
    auto message = err["error"].value("message", "");
    EXPECT_FALSE(message.empty()) << answer.body;
    if (!c.mentions.empty()) {
      EXPECT_NE(message.find(c.mentions), std::string::npos)
        << message << " should name " << c.mentions;
    }
  }
  EXPECT_EQ(count_alerts(marker), 0);
  // The server keeps serving: health and a good alert still work.
  EXPECT_EQ(get("/healthz").status, 200);
  EXPECT_EQ(post(good.dump()).status, 202);
  EXPECT_EQ(count_alerts(marker), 1);
}

TEST_F(EndToEnd, DuplicateDeliveryAnswers200WithTheSameIncident) {
  start(base_config("oom-checkout-0314"));
  auto inc = sim::load_incident(samples / "oom-checkout-0314");
  ASSERT_TRUE(inc);
  auto body = fresh_alert(*inc, suffix_);
  auto first = post(body);
  ASSERT_EQ(first.status, 202) << first.body;
  auto second = post(body);
  ASSERT_EQ(second.status, 200) << second.body;
  EXPECT_EQ(nlohmann::json::parse(first.body)["incident_id"],
            nlohmann::json::parse(second.body)["incident_id"]);
  EXPECT_EQ(nlohmann::json::parse(second.body)["status"], "duplicate");
  EXPECT_EQ(count_alerts("%" + suffix_), 1);
}

TEST_F(EndToEnd, WebhookTokenIsRequiredWhenConfigured) {
  auto cfg = base_config("oom-checkout-0314");
  cfg.secret.webhook_token = "s3cret-" + suffix_;
  start(cfg);
  auto inc = sim::load_incident(samples / "oom-checkout-0314");
  ASSERT_TRUE(inc);
  auto body = fresh_alert(*inc, suffix_);
  EXPECT_EQ(post(body).status, 401);
  EXPECT_EQ(post(body, "application/json", {{"X-KFix-Token", "wrong"}}).status,
            401);
  EXPECT_EQ(count_alerts("%" + suffix_), 0);
  EXPECT_EQ(get("/incidents/1").status, 401);
  EXPECT_EQ(get("/healthz").status, 200);
  auto ok = post(body, "application/json",
                 {{"X-KFix-Token", cfg.secret.webhook_token}});
  EXPECT_EQ(ok.status, 202) << ok.body;
}

// -- supervision --------------------------------------------------------------

TEST_F(EndToEnd, CrashedStageIsRestartedAndLaterIncidentsComplete) {
  start(base_config("oom-checkout-0314"));
  auto inc = sim::load_incident(samples / "oom-checkout-0314");
  ASSERT_TRUE(inc);
  agent_->kill_stage("reasoning");
  agent_->kill_stage("publisher");
  // Restarts happen after a short backoff; a new incident then completes.
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  auto answer = post(fresh_alert(*inc, suffix_));
  ASSERT_EQ(answer.status, 202) << answer.body;
  auto id = nlohmann::json::parse(answer.body).at("incident_id").get<int64_t>();
  auto done = wait_for_incident(id);
  EXPECT_EQ(done.value("stage", ""), "published") << done.dump(2);
}

} // namespace
