#include "eval/sim/incident.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

using namespace kfix;
using namespace kfix::sim;
using namespace kfix::sim::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

namespace fs = std::filesystem;

/// A copy of the test incident in a temporary folder, to break.
class broken_incident {
public:
  explicit broken_incident(const std::string& name = "sim-checkout-oom") {
    dir_ = tmp_.path() / name;
    fs::copy(incident_dir(), dir_, fs::copy_options::recursive);
  }

  const fs::path& dir() const {
    return dir_;
  }

  /// Replaces the first occurrence of `from` in a file of the incident.
  void replace(const std::string& file, const std::string& from,
               const std::string& to) {
    auto text = read_file(dir_ / file);
    auto pos = text.find(from);
    ASSERT_NE(pos, std::string::npos) << from;
    text.replace(pos, from.size(), to);
    write_file(dir_ / file, text);
  }

  /// Removes the line that equals `line`.
  void remove_line(const std::string& file, const std::string& line) {
    auto text = "\n" + read_file(dir_ / file);
    auto pos = text.find("\n" + line + "\n");
    ASSERT_NE(pos, std::string::npos) << line;
    text.erase(pos, line.size() + 1);
    write_file(dir_ / file, text.substr(1));
  }

  /// The error of loading the incident.
  std::string error() const {
    auto inc = load_incident(dir_);
    if (inc)
      return "(loaded)";
    return error_message(inc.error());
  }

private:
  temp_dir tmp_;
  fs::path dir_;
};

} // namespace

TEST(SimIncident, LoadsTheTestIncident) {
  auto inc = load_incident(incident_dir());
  ASSERT_TRUE(inc) << render(inc.error());
  EXPECT_EQ(inc->id, "sim-checkout-oom");
  EXPECT_EQ(inc->title,
            "checkout app container OOMKilled (simulator test incident)");
  EXPECT_EQ(inc->env, "prod");
  EXPECT_EQ(inc->cluster, "eu-1");
  EXPECT_EQ(inc->received_at, "2026-03-14T10:02:11Z");
  EXPECT_EQ(inc->received_at_s, 1773482531);
  EXPECT_EQ(inc->alert_type, "oom_killed");
  EXPECT_EQ(inc->workload.kind, "Deployment");
  EXPECT_EQ(inc->workload.ns, "shop");
  EXPECT_EQ(inc->workload.name, "checkout");
  EXPECT_EQ(inc->gitops.project, "shop/deploy");
  EXPECT_EQ(inc->gitops.target_branch, "main");
  EXPECT_EQ(inc->source, "synthetic");
  EXPECT_EQ(inc->expected["decision"], "fix");
  EXPECT_EQ(inc->expected["accept"][0]["memory_limit"]["min"], "960Mi");
  EXPECT_EQ(inc->expected["reject"][0]["action"], "scale_replicas");
  EXPECT_THAT(inc->alert_json, StartsWith("{\"id\":\"7311112222333344445\""));
  EXPECT_EQ(inc->dir, incident_dir());
  ASSERT_EQ(inc->gitops_files.size(), 2u);
  EXPECT_EQ(inc->gitops_files[0].path, "apps/checkout/deployment.yaml");
  EXPECT_EQ(inc->gitops_files[1].path, "apps/checkout/kustomization.yaml");
  EXPECT_EQ(inc->gitops_files[1].content, "resources:\n  - deployment.yaml\n");
}

TEST(SimIncident, LoadsJsonStateAndNoGitops) {
  auto inc = load_incident(data_dir() / "sim-checkout-later");
  ASSERT_TRUE(inc) << render(inc.error());
  EXPECT_EQ(inc->gitops.project, "");
  EXPECT_EQ(inc->cluster, "");
  EXPECT_EQ(inc->expected["decision"], "no_action");
  EXPECT_TRUE(inc->gitops_files.empty());
  EXPECT_EQ(inc->received_at_s, 1773561600);
}

TEST(SimIncident, DatasetIsSortedById) {
  auto set = load_dataset(data_dir());
  ASSERT_TRUE(set) << render(set.error());
  ASSERT_EQ(set->size(), 2u);
  EXPECT_EQ((*set)[0].id, "sim-checkout-later");
  EXPECT_EQ((*set)[1].id, "sim-checkout-oom");
}

TEST(SimIncident, SampleDatasetLoads) {
  auto samples = fs::path{KFIX_SOURCE_DIR} / "datasets" / "samples";
  if (!fs::exists(samples))
    GTEST_SKIP() << "no datasets/samples";
  auto set = load_dataset_lenient(samples);
  ASSERT_TRUE(set) << render(set.error());
  for (const auto& f : set->failures)
    ADD_FAILURE() << f.dir << ": " << render(f.error);
  EXPECT_FALSE(set->incidents.empty());
  EXPECT_TRUE(std::is_sorted(set->incidents.begin(), set->incidents.end(),
                             [](const auto& x, const auto& y) {
                               return x.id < y.id;
                             }));
}

TEST(SimIncident, MissingRequiredFieldsAreNamed) {
  struct test_case {
    std::string line;
    std::string expected;
  };
  std::vector<test_case> cases{
    {"format: kfix-incident/v1", "incident.yaml: format: missing"},
    {"id: sim-checkout-oom", "incident.yaml: id: missing"},
    {"title: checkout app container OOMKilled (simulator test incident)",
     "incident.yaml: title: missing"},
    {"alert_type: oom_killed", "incident.yaml: alert_type: missing"},
    {"env: prod", "incident.yaml: env: missing"},
    {"received_at: \"2026-03-14T10:02:11Z\"",
     "incident.yaml: received_at: missing"},
    {"source: synthetic", "incident.yaml: source: missing"},
    {"  kind: Deployment", "incident.yaml: workload.kind: missing"},
    {"  namespace: shop", "incident.yaml: workload.namespace: missing"},
    {"  name: checkout", "incident.yaml: workload.name: missing"},
    {"  decision: fix",
     "incident.yaml: expected.decision: must be fix, escalate or no_action "
     "(missing)"},
  };
  for (const auto& c : cases) {
    broken_incident inc;
    inc.remove_line("incident.yaml", c.line);
    EXPECT_EQ(inc.error(), c.expected) << c.line;
  }
}

TEST(SimIncident, MissingSectionsAreNamed) {
  broken_incident inc;
  auto text = read_file(inc.dir() / "incident.yaml");
  text = text.substr(0, text.find("workload:"));
  write_file(inc.dir() / "incident.yaml", text + "source: synthetic\n");
  EXPECT_EQ(inc.error(),
            "incident.yaml: workload: missing; incident.yaml: workload.kind: "
            "missing; incident.yaml: workload.namespace: missing; "
            "incident.yaml: workload.name: missing; incident.yaml: expected: "
            "missing; incident.yaml: expected.decision: missing");
}

TEST(SimIncident, BadValuesAreNamed) {
  struct test_case {
    std::string from;
    std::string to;
    std::string expected;
  };
  std::vector<test_case> cases{
    {"decision: fix", "decision: maybe",
     "incident.yaml: expected.decision: must be fix, escalate or no_action, "
     "got maybe"},
    {"alert_type: oom_killed", "alert_type: oom",
     "incident.yaml: alert_type: unknown type oom"},
    {"received_at: \"2026-03-14T10:02:11Z\"", "received_at: yesterday",
     "incident.yaml: received_at: not an RFC 3339 time: yesterday"},
    {"id: sim-checkout-oom", "id: other",
     "incident.yaml: id: other does not equal the folder name "
     "sim-checkout-oom"},
    {"format: kfix-incident/v1", "format: kfix-incident/v2",
     "incident.yaml: format: must be kfix-incident/v1, got "
     "kfix-incident/v2"},
    {"kind: Deployment", "kind: CronJob",
     "incident.yaml: workload.kind: must be Deployment, StatefulSet or "
     "DaemonSet, got CronJob"},
    {"title: checkout", "title: 42\nx: checkout",
     "incident.yaml: title: must be a string, got 42"},
    {"project: shop/deploy", "target_branch: dev",
     "incident.yaml: gitops.project: missing"},
    {"- action: set_resources", "- action: set_memory",
     "incident.yaml: expected.accept[0]: unknown action set_memory"},
    {"container: app", "pod: app",
     "incident.yaml: expected.accept[0]: set_resources has no parameter pod"},
    {"{min: 960Mi, max: 1536Mi}", "{min: 960MB, max: 1536Mi}",
     "incident.yaml: expected.accept[0]: memory_limit.min not a quantity: "
     "960MB"},
    {"{min: 960Mi, max: 1536Mi}", "{low: 960Mi}",
     "incident.yaml: expected.accept[0]: memory_limit range key low"},
    {"- action: scale_replicas", "- note: no action",
     "incident.yaml: expected.reject[0]: entry without action"},
  };
  for (const auto& c : cases) {
    broken_incident inc;
    inc.replace("incident.yaml", c.from, c.to);
    EXPECT_EQ(inc.error(), c.expected) << c.to;
  }
}

TEST(SimIncident, FixNeedsAcceptEntries) {
  broken_incident inc;
  auto text = read_file(inc.dir() / "incident.yaml");
  auto begin = text.find("  accept:");
  auto end = text.find("  reject:");
  text.erase(begin, end - begin);
  write_file(inc.dir() / "incident.yaml", text);
  EXPECT_EQ(inc.error(), "incident.yaml: expected.accept: decision fix needs "
                         "at least one accept entry");
}

TEST(SimIncident, YamlSyntaxErrorNamesLine) {
  broken_incident inc;
  inc.replace("incident.yaml", "env: prod", "env: [prod");
  EXPECT_THAT(inc.error(), StartsWith("incident.yaml:"));
  EXPECT_THAT(inc.error(), HasSubstr("end of sequence flow not found"));
}

TEST(SimIncident, AlertJsonProblemsAreNamed) {
  {
    broken_incident inc;
    inc.replace("alert.json", "\"alert_id\":\"123456\",", "");
    EXPECT_EQ(inc.error(), "alert.json: alert_id: missing");
  }
  {
    broken_incident inc;
    inc.replace("alert.json", "\"date\":\"1773482531000\"",
                "\"date\":1773482531000");
    EXPECT_EQ(inc.error(), "alert.json: date: must be a string");
  }
  {
    broken_incident inc;
    auto text = read_file(inc.dir() / "alert.json");
    auto doc = nlohmann::json::parse(text);
    doc.erase("alert_query");
    doc.erase("alert_metric");
    write_file(inc.dir() / "alert.json", doc.dump());
    EXPECT_EQ(inc.error(), "alert.json: neither alert_query nor alert_metric");
  }
  {
    broken_incident inc;
    write_file(inc.dir() / "alert.json", "{\"id\": ");
    EXPECT_THAT(inc.error(), StartsWith("alert.json: [json.exception"));
  }
  {
    broken_incident inc;
    fs::remove(inc.dir() / "alert.json");
    EXPECT_EQ(inc.error(), "alert.json: missing");
  }
}

TEST(SimIncident, StateProblemsAreNamed) {
  {
    broken_incident inc;
    fs::remove(inc.dir() / "state" / "logs.jsonl");
    EXPECT_EQ(inc.error(), "state/logs.jsonl: missing");
  }
  {
    broken_incident inc;
    fs::remove(inc.dir() / "state" / "metrics.json");
    EXPECT_EQ(inc.error(), "state/metrics.json: missing");
  }
  {
    broken_incident inc;
    fs::remove(inc.dir() / "state" / "kubernetes.yaml");
    EXPECT_EQ(inc.error(), "state/kubernetes.yaml: missing");
  }
  {
    broken_incident inc;
    write_file(inc.dir() / "state" / "logs.jsonl",
               "{\"attributes\":{\"timestamp\":\"2026-03-14T10:00:00Z\"}}\n"
               "{\"id\":\"x\"}\n");
    EXPECT_EQ(inc.error(), "state/logs.jsonl:2: no attributes");
  }
  {
    broken_incident inc;
    inc.replace("state/kubernetes.yaml",
                "kind: Deployment\nmetadata:\n  name: checkout\n",
                "kind: Deployment\nmetadata:\n  name: checkout-v2\n");
    EXPECT_EQ(inc.error(), "state/kubernetes.yaml: the workload object "
                           "Deployment shop/checkout is missing");
  }
  {
    broken_incident inc;
    write_file(inc.dir() / "state" / "metrics.json",
               "{\"series\": [{\"metric\": \"m\"}]}");
    EXPECT_EQ(inc.error(),
              "state/metrics.json: series[0]: series without points");
  }
}

TEST(SimIncident, GitopsYamlIsChecked) {
  broken_incident inc;
  write_file(inc.dir() / "gitops" / "apps" / "checkout" / "deployment.yaml",
             "a: [1\n");
  EXPECT_THAT(inc.error(), StartsWith("gitops/apps/checkout/deployment.yaml:"));
}

TEST(SimIncident, SeveralProblemsAreJoined) {
  broken_incident inc;
  inc.replace("incident.yaml", "env: prod", "env: \"\"");
  inc.replace("alert.json", "\"alert_id\":\"123456\",", "");
  EXPECT_EQ(inc.error(), "incident.yaml: env: must not be empty; "
                         "alert.json: alert_id: missing");
}

TEST(SimIncident, FolderNameIsChecked) {
  broken_incident inc{"Bad_Name"};
  inc.replace("incident.yaml", "id: sim-checkout-oom", "id: Bad_Name");
  EXPECT_EQ(inc.error(),
            "folder name Bad_Name does not match [a-z0-9][a-z0-9-]*");
}

TEST(SimIncident, DatasetErrorsNameTheIncident) {
  temp_dir tmp;
  fs::copy(incident_dir(), tmp.path() / "sim-checkout-oom",
           fs::copy_options::recursive);
  fs::copy(incident_dir(), tmp.path() / "sim-other",
           fs::copy_options::recursive);
  fs::create_directories(tmp.path() / "not-an-incident");
  auto strict = load_dataset(tmp.path());
  ASSERT_FALSE(strict);
  EXPECT_EQ(error_message(strict.error()),
            "sim-other: incident.yaml: id: sim-checkout-oom does not equal "
            "the folder name sim-other");
  auto lenient = load_dataset_lenient(tmp.path());
  ASSERT_TRUE(lenient);
  ASSERT_EQ(lenient->incidents.size(), 1u);
  EXPECT_EQ(lenient->incidents[0].id, "sim-checkout-oom");
  ASSERT_EQ(lenient->failures.size(), 1u);
  EXPECT_EQ(lenient->failures[0].dir.filename(), "sim-other");
  EXPECT_EQ(code_of(lenient->failures[0].error), ec::invalid_input);
}

TEST(SimIncident, EmptyDatasetIsAnError) {
  temp_dir tmp;
  EXPECT_FALSE(load_dataset(tmp.path()));
  auto lenient = load_dataset_lenient(tmp.path());
  ASSERT_TRUE(lenient);
  EXPECT_TRUE(lenient->incidents.empty());
  EXPECT_FALSE(load_incident(tmp.path() / "nope"));
}

TEST(SimIncident, ExpectedEntryChecks) {
  auto entry = nlohmann::json::parse(
    R"({"action":"set_probe","container":"app","probe":"liveliness",
        "period_seconds":{"min":5,"max":"30"}})");
  auto problems = check_expected_entry(entry, "x");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0], "x: probe must be liveness, readiness or startup");
  entry["probe"] = "liveness";
  EXPECT_TRUE(check_expected_entry(entry, "x").empty());
}

TEST(SimIncident, CanHandBackTheValidatedState) {
  cluster_state state;
  auto inc = load_incident(incident_dir(), state);
  ASSERT_TRUE(inc) << render(inc.error());
  EXPECT_EQ(state.objects.size(), 25u);
  EXPECT_EQ(state.logs.size(), 12u);
  cluster_state untouched;
  untouched.logs.emplace_back(nlohmann::json{{"x", 1}});
  broken_incident broken;
  broken.remove_line("incident.yaml", "env: prod");
  EXPECT_FALSE(load_incident(broken.dir(), untouched));
  EXPECT_EQ(untouched.logs.size(), 1u);
}
