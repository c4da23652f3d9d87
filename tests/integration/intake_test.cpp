// Intake under load and failure: storms, transitions, authentication, a
// full queue, and a PostgreSQL outage — over real HTTP with PostgreSQL.

#include "actors/common/http_client.hpp"
#include "actors/system/agent.hpp"
#include "config/config.hpp"
#include "eval/sim/incident.hpp"
#include "tests/support/test_database.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
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

int64_t count_rows(const std::string& dsn, const std::string& sql,
                   const std::string& arg) {
  pqxx::connection c{dsn};
  pqxx::read_transaction tx{c};
  return tx.exec_params1(sql, arg)[0].as<int64_t>();
}

class Intake : public ::testing::Test {
protected:
  void SetUp() override {
    db_ = std::make_unique<test::test_database>();
    current_database = db_->url();
    if (database_url().empty())
      GTEST_SKIP() << "KFIX_TEST_DATABASE_URL not set (run through ctest)";
    suffix_ = test::unique_suffix();
    state_dir_ = fs::temp_directory_path() / ("kfix-intake-" + suffix_);
    auto inc = sim::load_incident(samples / "oom-checkout-0314");
    ASSERT_TRUE(inc) << render(inc.error());
    alert_ = nlohmann::json::parse(inc->alert_json);
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

  agent_config config(const std::string& dsn) {
    agent_config cfg;
    cfg.server.listen = "127.0.0.1:0";
    cfg.database_url = dsn;
    cfg.state_dir = state_dir_.string();
    cfg.simulation.datasets.clear();
    cfg.simulation.incidents = {(samples / "oom-checkout-0314").string()};
    return cfg;
  }

  void start(const agent_config& cfg) {
    auto started = start_agent(std::make_shared<const agent_config>(cfg));
    ASSERT_TRUE(started) << render(started.error());
    agent_ = std::move(*started);
  }

  /// The sample alert as delivery `n` of this test, in cycle `cycle`.
  std::string alert(int n, const std::string& cycle,
                    const std::string& transition = "Triggered") {
    auto j = alert_;
    j["id"] = "d-" + suffix_ + "-" + std::to_string(n);
    j["alert_cycle_key"] = "c-" + suffix_ + "-" + cycle;
    j["alert_transition"] = transition;
    return j.dump();
  }

  http::outgoing
  post_request(std::string body,
               std::vector<std::pair<std::string, std::string>> headers = {}) {
    http::outgoing req;
    req.service = "test";
    req.method = "POST";
    req.url = "http://127.0.0.1:" + std::to_string(agent_->port())
              + "/datadog-webhook";
    req.body = std::move(body);
    req.max_attempts = 1;
    req.timeout = std::chrono::seconds{30};
    headers.emplace_back("Content-Type", "application/json");
    req.headers = std::move(headers);
    return req;
  }

  http::incoming post(std::string body,
                      std::vector<std::pair<std::string, std::string>> headers
                      = {}) {
    auto answer
      = http_->send(post_request(std::move(body), std::move(headers)));
    EXPECT_TRUE(answer) << render(answer.error());
    return answer ? *answer : http::incoming{};
  }

  std::unique_ptr<test::test_database> db_;
  std::string suffix_;
  fs::path state_dir_;
  nlohmann::json alert_;
  std::shared_ptr<http::client> http_;
  std::unique_ptr<agent> agent_;
};

TEST_F(Intake, StormOfDistinctAlertsIsStoredWithoutLossAsOneIncident) {
  start(config(database_url()));
  // 400 distinct deliveries from 400 alert cycles of the same workload,
  // sent 50 at a time concurrently.
  constexpr int total = 400;
  std::set<int64_t> incidents;
  int accepted = 0;
  for (int batch = 0; batch < total / 50; ++batch) {
    std::vector<http::outgoing> reqs;
    for (int i = 0; i < 50; ++i) {
      auto n = batch * 50 + i;
      reqs.push_back(post_request(alert(n, std::to_string(n))));
    }
    for (auto& answer : http_->send_all(reqs)) {
      ASSERT_TRUE(answer) << render(answer.error());
      ASSERT_EQ(answer->status, 202) << answer->body;
      ++accepted;
      incidents.insert(
        nlohmann::json::parse(answer->body)["incident_id"].get<int64_t>());
    }
  }
  EXPECT_EQ(accepted, total);
  EXPECT_EQ(count_rows(database_url(),
                       "SELECT count(*) FROM alerts WHERE delivery_id LIKE $1",
                       "d-" + suffix_ + "-%"),
            total);
  // One workload, one incident: processed once, at most one MR.
  EXPECT_EQ(incidents.size(), 1u);
}

TEST_F(Intake, WarnAndNoDataAreRecordedWithoutProcessing) {
  start(config(database_url()));
  for (auto transition : {"Warn", "No Data"}) {
    auto answer
      = post(alert(1 + (transition[0] == 'N'), transition, transition));
    ASSERT_EQ(answer.status, 202) << answer.body;
    auto id = nlohmann::json::parse(answer.body)["incident_id"].get<int64_t>();
    EXPECT_EQ(count_rows(database_url(),
                         "SELECT count(*) FROM incidents WHERE id = $1::bigint "
                         "AND NOT open AND stage = 'closed'",
                         std::to_string(id)),
              1)
      << transition;
  }
}

TEST_F(Intake, RecoveredJoinsItsIncident) {
  start(config(database_url()));
  auto opened = post(alert(1, "one"));
  ASSERT_EQ(opened.status, 202);
  auto recovered = post(alert(2, "one", "Recovered"));
  ASSERT_EQ(recovered.status, 202) << recovered.body;
  EXPECT_EQ(nlohmann::json::parse(opened.body)["incident_id"],
            nlohmann::json::parse(recovered.body)["incident_id"]);
  auto status = nlohmann::json::parse(recovered.body)["status"];
  // Either the fix was not yet published (the incident is resolved and its
  // plans cancelled) or it was (the alert joins the published incident).
  EXPECT_TRUE(status == "resolved" || status == "joined") << status;
}

TEST_F(Intake, BearerAndBasicAuthentication) {
  auto cfg = config(database_url());
  cfg.secret.webhook_bearer_token = "bearer-" + suffix_;
  cfg.secret.webhook_basic_auth = "datadog:pa55-" + suffix_;
  start(cfg);
  EXPECT_EQ(post(alert(1, "a")).status, 401);
  EXPECT_EQ(post(alert(1, "a"), {{"Authorization", "Bearer wrong"}}).status,
            401);
  EXPECT_EQ(
    post(alert(1, "a"), {{"Authorization", "Basic ZGF0YWRvZzp3cm9uZw=="}})
      .status,
    401);
  EXPECT_EQ(count_rows(database_url(),
                       "SELECT count(*) FROM alerts WHERE delivery_id LIKE $1",
                       "d-" + suffix_ + "-%"),
            0);
  EXPECT_EQ(
    post(alert(1, "a"), {{"Authorization", "Bearer bearer-" + suffix_}}).status,
    202);
  // curl builds the basic credentials itself from user info in the URL;
  // here the header is built by hand: base64("datadog:pa55-<suffix>").
  static const char* chars
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string plain = "datadog:pa55-" + suffix_;
  std::string encoded;
  int val = 0;
  int bits = -6;
  for (unsigned char c : plain) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      encoded.push_back(chars[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6)
    encoded.push_back(chars[((val << 8) >> (bits + 8)) & 0x3F]);
  while (encoded.size() % 4)
    encoded.push_back('=');
  EXPECT_EQ(post(alert(2, "b"), {{"Authorization", "Basic " + encoded}}).status,
            202);
}

TEST_F(Intake, FullQueueAnswers503WithRetryAfterAndLosesNothing) {
  auto cfg = config(database_url());
  cfg.server.queue_capacity = 2;
  start(cfg);
  std::vector<http::outgoing> reqs;
  for (int n = 0; n < 60; ++n)
    reqs.push_back(post_request(alert(n, std::to_string(n))));
  int accepted = 0;
  for (auto& answer : http_->send_all(reqs)) {
    ASSERT_TRUE(answer);
    if (answer->status == 503) {
      EXPECT_EQ(answer->header("retry-after"), "1");
      continue;
    }
    ASSERT_EQ(answer->status, 202) << answer->body;
    ++accepted;
  }
  EXPECT_GE(accepted, 1);
  EXPECT_EQ(count_rows(database_url(),
                       "SELECT count(*) FROM alerts WHERE delivery_id LIKE $1",
                       "d-" + suffix_ + "-%"),
            accepted);
}

/// A loopback port nobody listens on, below the ephemeral range (so that
/// no client socket takes it between the check and PostgreSQL's bind).
int free_port() {
  for (int port = 25434; port < 25534; ++port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (ok)
      return port;
  }
  return 25434;
}

/// A PostgreSQL of its own, so that stopping it disturbs no other test.
struct private_postgres {
  explicit private_postgres(std::string dir, int port)
    : dir_(std::move(dir)), port_(port) {}
  ~private_postgres() {
    run("destroy");
  }
  bool run(const char* cmd) {
    auto line = std::string{KFIX_SOURCE_DIR} + "/tools/pg.sh " + cmd + " "
                + dir_ + " " + std::to_string(port_) + " >/dev/null 2>&1";
    return std::system(line.c_str()) == 0;
  }
  std::string url() const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/kfix";
  }
  std::string dir_;
  int port_;
};

TEST_F(Intake, DatabaseOutageAnswers503AndServiceResumesByItself) {
  private_postgres pg{
    (fs::temp_directory_path() / ("kfix-outage-" + suffix_)).string(),
    free_port()};
  ASSERT_TRUE(pg.run("start"));
  start(config(pg.url()));
  ASSERT_EQ(post(alert(1, "1")).status, 202);
  ASSERT_TRUE(pg.run("stop"));
  auto refused = post(alert(2, "2"));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_FALSE(refused.header("retry-after").empty());
  // Readiness says so too.
  http::outgoing ready;
  ready.url = "http://127.0.0.1:" + std::to_string(agent_->port()) + "/readyz";
  ready.max_attempts = 1;
  auto r = http_->send(ready);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  ASSERT_TRUE(pg.run("start"));
  // Datadog's retry of the refused delivery now succeeds.
  auto retried = post(alert(2, "2"));
  EXPECT_EQ(retried.status, 202) << retried.body;
  EXPECT_EQ(count_rows(pg.url(),
                       "SELECT count(*) FROM alerts WHERE delivery_id LIKE $1",
                       "d-" + suffix_ + "-%"),
            2);
}

} // namespace

namespace {

TEST_F(Intake, MetricsAndReadinessDescribeTheIntake) {
  start(config(database_url()));
  ASSERT_EQ(post(alert(1, "m")).status, 202);
  auto base = "http://127.0.0.1:" + std::to_string(agent_->port());
  http::outgoing get;
  get.url = base + "/readyz";
  get.max_attempts = 1;
  auto ready = http_->send(get);
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200) << ready->body;
  get.url = base + "/metrics";
  // Stage durations appear once the incident went through the pipeline.
  std::string text;
  for (int i = 0; i < 100; ++i) {
    auto answer = http_->send(get);
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200);
    EXPECT_EQ(answer->header("content-type").rfind("text/plain", 0), 0u);
    text = answer->body;
    if (text.find("kfix_stage_duration_seconds_count{stage=\"published\"}")
        != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  for (const char* expected :
       {"# TYPE kfix_http_requests_total counter",
        "kfix_http_requests_total{route=\"/datadog-webhook\",code=\"202\"}",
        "# TYPE kfix_webhook_ack_seconds histogram",
        "kfix_webhook_ack_seconds_bucket{le=\"+Inf\"}",
        "kfix_alerts_total{type=\"oom_killed\",transition=\"Triggered\"}",
        "kfix_intake_queue_depth 0",
        "kfix_stage_duration_seconds_count{stage=\"context\"}",
        "kfix_stage_duration_seconds_count{stage=\"published\"}"})
    EXPECT_NE(text.find(expected), std::string::npos)
      << expected << " not in:\n"
      << text;
}

} // namespace
