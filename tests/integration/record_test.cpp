// `kfix record` against the simulators, and the round trip: replaying the
// recorded state/ gives the same bundle as the live fetch did.

#include "actors/common/http_client.hpp"
#include "actors/context/datadog_source.hpp"
#include "actors/context/k8s_source.hpp"
#include "actors/intake/alert_parser.hpp"
#include "actors/system/record.hpp"
#include "eval/sim/incident.hpp"
#include "tests/support/fake_gitlab.hpp"
#include "tests/support/sim_world.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kfix {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace std::chrono_literals;

std::string read(const fs::path& p) {
  std::ifstream in{p, std::ios::binary};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The bundle without what differs between two fetches of the same state
/// (durations).
json comparable(const context_bundle& b) {
  json j = b;
  for (auto& s : j["sources"])
    s.erase("duration_ms");
  return j;
}

class Record : public ::testing::Test {
protected:
  void SetUp() override {
    out_
      = fs::temp_directory_path()
        / ("kfix-record-" + std::to_string(::getpid()) + "-"
           + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(out_);
    ASSERT_TRUE(live_.ok());
    ASSERT_TRUE(replay_.ok());
  }

  void TearDown() override {
    fs::remove_all(out_);
  }

  /// A configuration whose APIs are the live world's incident `id`.
  agent_config config_for(const std::string& id) const {
    agent_config cfg;
    cfg.kubernetes.api_url = live_.kubernetes_url(id);
    cfg.secret.kubernetes_token = "record-test-token";
    cfg.datadog.api_url = live_.datadog_url(id);
    cfg.secret.datadog_api_key = "record-api-key";
    cfg.secret.datadog_app_key = "record-app-key";
    return cfg;
  }

  /// Records `alert_file` against incident `id`, replays the recording and
  /// checks both bundles are equal; returns the outcome.
  record_outcome round_trip(const std::string& id,
                            const std::string& alert_file,
                            const std::string& folder) {
    auto cfg = config_for(id);
    record_options opts;
    opts.alert_file = alert_file;
    opts.out_dir = (out_ / folder).string();
    opts.deadline = 20s;
    auto outcome = record_incident(opts, cfg);
    EXPECT_TRUE(outcome) << (outcome ? "" : render(outcome.error()));
    if (!outcome)
      return {};
    EXPECT_EQ(outcome->id, folder);
    // Replay: the recorded state served by other simulators.
    auto state = sim::load_state(out_ / folder / "state");
    EXPECT_TRUE(state) << (state ? "" : render(state.error()));
    if (!state)
      return *outcome;
    auto alert = intake::parse_alert(read(alert_file));
    EXPECT_TRUE(alert);
    auto scope = context::make_fetch_scope(*alert);
    replay_.add(folder, scope.workload, scope.alert_time_s, std::move(*state));
    http::client_config client_cfg;
    client_cfg.backoff_base = 10ms;
    auto client = http::make_curl_client(client_cfg);
    auto deadline = std::chrono::steady_clock::now() + 20s;
    std::vector<context::context_part> parts(3);
    parts[0] = context::fetch_kubernetes(
      *client, replay_.kubernetes_endpoint(folder), scope, deadline);
    parts[1] = context::fetch_datadog_metrics(
      *client, replay_.datadog_endpoint(folder), scope, cfg.datadog, deadline);
    parts[2] = context::fetch_datadog_logs(
      *client, replay_.datadog_endpoint(folder), scope, cfg.datadog, deadline);
    auto replayed = context::merge_context(std::move(parts));
    auto live = comparable(outcome->bundle);
    auto again = comparable(replayed);
    EXPECT_EQ(live, again) << json::diff(live, again).dump(1).substr(0, 4000);
    EXPECT_TRUE(replay_.host().kubernetes(folder)->unknown_requests().empty());
    return *outcome;
  }

  fs::path out_;
  test::sim_world live_;
  test::sim_world replay_;
};

TEST_F(Record, SampleIncidentRoundTrip) {
  auto samples = fs::path{KFIX_SOURCE_DIR} / "datasets" / "samples";
  for (const auto& id : {"oom-checkout-0314", "mem-pressure-orders-0402",
                         "oom-ledger-db-0519"}) {
    SCOPED_TRACE(id);
    sim::cluster_state state;
    auto inc = sim::load_incident(samples / id, state);
    ASSERT_TRUE(inc) << render(inc.error());
    live_.add(id, inc->workload, inc->received_at_s, std::move(state));
    auto folder = std::string{"rec-"} + id;
    auto alert_file = (samples / id / "alert.json").string();
    auto outcome = round_trip(id, alert_file, folder);
    EXPECT_GT(outcome.exchanges, 10u);
    EXPECT_GT(outcome.kubernetes_objects, 5u);
    EXPECT_GT(outcome.metric_series, 5u);
    EXPECT_GT(outcome.log_events, 0u);
    EXPECT_TRUE(outcome.bundle.workload_found);
    auto dir = out_ / folder;
    // alert.json byte for byte.
    EXPECT_EQ(read(dir / "alert.json"), read(alert_file));
    // incident.yaml: the metadata, and `expected` left for a person.
    auto yaml = YAML::LoadFile((dir / "incident.yaml").string());
    EXPECT_EQ(yaml["format"].as<std::string>(), "kfix-incident/v1");
    EXPECT_EQ(yaml["id"].as<std::string>(), folder);
    EXPECT_EQ(yaml["workload"]["name"].as<std::string>(), inc->workload.name);
    EXPECT_EQ(yaml["workload"]["kind"].as<std::string>(), inc->workload.kind);
    EXPECT_EQ(yaml["received_at"].as<std::string>(), inc->received_at);
    EXPECT_EQ(yaml["alert_type"].as<std::string>(), inc->alert_type);
    EXPECT_TRUE(yaml["expected"]["decision"].IsNull());
    EXPECT_EQ(yaml["expected"]["accept"].size(), 0u);
    EXPECT_EQ(yaml["source"].as<std::string>(), "recorded");
    // Until a person fills it in, the loader names the missing field.
    auto loaded = sim::load_incident(dir);
    ASSERT_FALSE(loaded);
    EXPECT_NE(render(loaded.error()).find("expected.decision"),
              std::string::npos)
      << render(loaded.error());
    // The cassette: one line per exchange, never a credential.
    auto cassette = read(dir / "cassette.jsonl");
    for (auto secret : {"record-test-token", "record-api-key", "record-app-key",
                        "DD-API-KEY", "Authorization"})
      EXPECT_EQ(cassette.find(secret), std::string::npos) << secret;
    std::istringstream lines{cassette};
    std::string line;
    size_t count = 0;
    while (std::getline(lines, line)) {
      auto entry = json::parse(line);
      EXPECT_TRUE(entry["service"] == "kubernetes"
                  || entry["service"] == "datadog");
      EXPECT_TRUE(entry["request"]["path"].get<std::string>().rfind("/api", 0)
                  == 0)
        << entry["request"]["path"];
      EXPECT_TRUE(entry["response"]["status"].is_number());
      ++count;
    }
    EXPECT_EQ(count, outcome.exchanges);
  }
}

TEST_F(Record, SecretsMaskedAndEverythingReplays) {
  live_.add("rich-api", {"Deployment", "web", "api"}, test::rich_alert_time_s,
            test::rich_state());
  auto alert_file = out_.string() + "-alert.json";
  {
    std::ofstream a{alert_file};
    a << json{{"kfix_payload", "v1"},
              {"id", "1"},
              {"alert_id", "2"},
              {"alert_transition", "Triggered"},
              {"date", std::to_string(test::rich_alert_time_s * 1000)},
              {"title", "[Triggered] api CPU throttled"},
              {"alert_query",
               "avg(last_15m):max:kubernetes.cpu.cfs.throttled.periods{kube_"
               "namespace:web} by {kube_deployment} > 5"},
              {"kube_namespace", "web"},
              {"kube_deployment", "api"},
              {"service", "api"},
              {"env", "prod"}}
           .dump();
  }
  auto outcome = round_trip("rich-api", alert_file, "rec-rich");
  fs::remove(alert_file);
  EXPECT_FALSE(outcome.bundle.config_refs.empty());
  auto dir = out_ / "rec-rich";
  auto objects = json::parse(read(dir / "state" / "kubernetes.json"));
  size_t secrets = 0;
  for (const auto& o : objects)
    if (o["kind"] == "Secret") {
      ++secrets;
      for (const auto& [key, value] : o["data"].items())
        EXPECT_EQ(value, "<redacted>") << key;
    }
  EXPECT_EQ(secrets, 4u);
  auto cassette = read(dir / "cassette.jsonl");
  EXPECT_EQ(cassette.find("c2VjcmV0"), std::string::npos); // Secret data
  EXPECT_EQ(cassette.find("hunter2"), std::string::npos);  // in a log
  EXPECT_EQ(read(dir / "state" / "logs.jsonl").find("hunter2"),
            std::string::npos);
  // The 404s of the missing ConfigMaps are in the cassette, not in state/.
  EXPECT_NE(cassette.find("\"path\":\"/api/v1/namespaces/web/configmaps/"
                          "api-files\""),
            std::string::npos);
  auto yaml = YAML::LoadFile((dir / "incident.yaml").string());
  EXPECT_EQ(yaml["env"].as<std::string>(), "prod");
  EXPECT_EQ(yaml["title"].as<std::string>(), "[Triggered] api CPU throttled");
}

TEST_F(Record, GitopsFilesFromGitLab) {
  auto samples = fs::path{KFIX_SOURCE_DIR} / "datasets" / "samples";
  const std::string id = "oom-ledger-db-0519";
  sim::cluster_state state;
  auto inc = sim::load_incident(samples / id, state);
  ASSERT_TRUE(inc) << render(inc.error());
  live_.add(id, inc->workload, inc->received_at_s, std::move(state));
  // The GitOps repository holds the incident's files and another app's.
  test::fake_gitlab gitlab{"gl-token", "payments/deploy"};
  auto files = inc->gitops_files;
  files.push_back({"clusters/us-2/payments/other/deployment.yaml",
                   "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  "
                   "name: other\n",
                   ""});
  gitlab.seed("main", files);
  auto cfg = config_for(id);
  cfg.gitlab.url = gitlab.url();
  cfg.gitlab.project = "payments/deploy";
  cfg.secret.gitlab_token = "gl-token";
  record_options opts;
  opts.alert_file = (samples / id / "alert.json").string();
  opts.out_dir = (out_ / "rec-ledger").string();
  auto outcome = record_incident(opts, cfg);
  ASSERT_TRUE(outcome) << render(outcome.error());
  // The folder of the workload's manifest, nothing else.
  ASSERT_EQ(outcome->gitops_files.size(), inc->gitops_files.size());
  for (const auto& f : inc->gitops_files)
    EXPECT_EQ(read(out_ / "rec-ledger" / "gitops" / f.path), f.content)
      << f.path;
  EXPECT_FALSE(fs::exists(out_ / "rec-ledger" / "gitops" / "clusters" / "us-2"
                          / "payments" / "other"));
  auto yaml = YAML::LoadFile((out_ / "rec-ledger" / "incident.yaml").string());
  EXPECT_EQ(yaml["gitops"]["project"].as<std::string>(), "payments/deploy");
  EXPECT_EQ(read(out_ / "rec-ledger" / "cassette.jsonl").find("gl-token"),
            std::string::npos);
}

TEST_F(Record, RefusalsNameTheProblem) {
  record_options opts;
  opts.alert_file = (fs::path{KFIX_SOURCE_DIR} / "datasets" / "samples"
                     / "oom-checkout-0314" / "alert.json")
                      .string();
  opts.out_dir = (out_ / "x").string();
  // Nothing live configured.
  auto r = record_incident(opts, agent_config{});
  ASSERT_FALSE(r);
  EXPECT_NE(render(r.error()).find("captures a live incident"),
            std::string::npos);
  auto cfg = config_for("none");
  // A folder name that is no incident id.
  opts.out_dir = (out_ / "Bad_Name").string();
  r = record_incident(opts, cfg);
  ASSERT_FALSE(r);
  EXPECT_NE(render(r.error()).find("[a-z0-9][a-z0-9-]*"), std::string::npos);
  // A folder that holds something.
  fs::create_directories(out_ / "busy");
  std::ofstream{out_ / "busy" / "file"} << "x";
  opts.out_dir = (out_ / "busy").string();
  r = record_incident(opts, cfg);
  ASSERT_FALSE(r);
  EXPECT_NE(render(r.error()).find("is not empty"), std::string::npos);
  // An alert that is no alert.
  std::ofstream{out_ / "bad.json"} << "{\"id\": ";
  opts.alert_file = (out_ / "bad.json").string();
  opts.out_dir = (out_ / "y").string();
  r = record_incident(opts, cfg);
  ASSERT_FALSE(r);
  EXPECT_NE(render(r.error()).find("bad.json"), std::string::npos);
}

} // namespace
} // namespace kfix

namespace kfix {
namespace {

// Every incident of the eval dataset gives a bundle from the simulators
// (no unknown path, no error but what its state says), and recording and
// replaying it gives the same bundle again.
TEST_F(Record, EveryEvalIncidentRoundTrips) {
  auto dataset = fs::path{KFIX_SOURCE_DIR} / "datasets" / "eval";
  if (!fs::exists(dataset))
    GTEST_SKIP() << "no datasets/eval";
  auto loaded = sim::load_dataset_lenient(dataset);
  ASSERT_TRUE(loaded) << render(loaded.error());
  EXPECT_TRUE(loaded->failures.empty());
  size_t done = 0;
  for (const auto& inc : loaded->incidents) {
    SCOPED_TRACE(inc.id);
    auto state = sim::load_state(inc.dir / "state");
    ASSERT_TRUE(state) << render(state.error());
    live_.add(inc.id, inc.workload, inc.received_at_s, std::move(*state));
    auto outcome
      = round_trip(inc.id, (inc.dir / "alert.json").string(), "rec-" + inc.id);
    EXPECT_TRUE(outcome.bundle.workload_found);
    for (const auto& s : outcome.bundle.sources)
      EXPECT_TRUE(s.status == source_status::ok
                  || s.status == source_status::skipped
                  || s.status == source_status::partial)
        << s.source << ": " << to_string(s.status) << " " << s.reason;
    EXPECT_TRUE(live_.host().kubernetes(inc.id)->unknown_requests().empty());
    EXPECT_TRUE(live_.host().datadog(inc.id)->unknown_requests().empty());
    ++done;
  }
  EXPECT_EQ(done, loaded->incidents.size());
}

} // namespace
} // namespace kfix
