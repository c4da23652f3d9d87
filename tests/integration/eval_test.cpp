// The eval harness over the production actors: recorded incidents replayed
// through the pipeline against the simulated APIs on 127.0.0.1, scored
// against their expected answers.

#include "actors/system/eval_strategy.hpp"
#include "config/config.hpp"
#include "eval/harness.hpp"
#include "tests/support/test_database.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

using namespace kfix;
namespace fs = std::filesystem;

agent_config eval_config() {
  agent_config cfg;
  cfg.policy_file = std::string{KFIX_SOURCE_DIR} + "/config/policy.yaml";
  auto policy = load_policy_file(cfg.policy_file);
  EXPECT_TRUE(policy) << render(policy.error());
  if (policy)
    cfg.policy = *policy;
  return cfg;
}

TEST(EvalHarness, SamplesThroughTheActorsAreScored) {
  auto data = eval::load_for_eval(test::samples_dir());
  ASSERT_TRUE(data) << render(data.error());
  ASSERT_EQ(data->incidents.size(), 3u);
  EXPECT_TRUE(data->problems.empty());
  pipeline_strategy rules{"rules", eval_config()};
  std::vector<size_t> progress;
  auto report = eval::evaluate("samples", *data, {&rules}, 2, {},
                               [&](size_t done, size_t total) {
                                 EXPECT_EQ(total, 3u);
                                 progress.push_back(done);
                               });
  EXPECT_EQ(progress, (std::vector<size_t>{1, 2, 3}));
  ASSERT_EQ(report.strategies.size(), 1u);
  const auto& s = report.strategies[0];
  EXPECT_FALSE(s.skipped);
  ASSERT_EQ(s.incidents.size(), 3u);
  // The three memory samples: the rules publish an accepted raise.
  EXPECT_EQ(s.summary.incidents, 3);
  EXPECT_DOUBLE_EQ(s.summary.decision_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(s.summary.top1_correct_rate, 1.0);
  EXPECT_EQ(s.summary.unsafe_published, 0);
  EXPECT_DOUBLE_EQ(s.summary.complete_rate, 1.0);
  for (const auto& i : s.incidents) {
    EXPECT_EQ(i.decision, "fix") << i.id << ": " << i.reason;
    EXPECT_FALSE(i.diff.empty()) << i.id;
    EXPECT_GT(i.latency_ms, 0) << i.id;
  }
  auto json = eval::report_json(report);
  EXPECT_EQ(json["strategies"]["rules"]["incidents"].size(), 3u);
}

TEST(EvalHarness, BadIncidentIsReportedAndTheRunContinues) {
  auto dir = fs::temp_directory_path() / ("kfix-eval-" + test::unique_suffix());
  fs::create_directories(dir);
  fs::copy(test::samples_dir() / "oom-checkout-0314", dir / "oom-checkout-0314",
           fs::copy_options::recursive);
  fs::copy(test::samples_dir() / "oom-checkout-0314", dir / "broken-one",
           fs::copy_options::recursive);
  {
    std::ofstream out{dir / "broken-one" / "incident.yaml",
                      std::ios::app | std::ios::binary};
    out << "\nexpected: {decision: maybe}\n";
  }
  auto data = eval::load_for_eval(dir);
  ASSERT_TRUE(data) << render(data.error());
  EXPECT_EQ(data->incidents.size(), 1u);
  ASSERT_EQ(data->problems.size(), 1u);
  EXPECT_NE(data->problems[0].dir.find("broken-one"), std::string::npos);
  EXPECT_NE(data->problems[0].reason.find("incident.yaml"), std::string::npos)
    << data->problems[0].reason;
  pipeline_strategy rules{"rules", eval_config()};
  pipeline_strategy unknown{"no-such-engine", eval_config()};
  auto report = eval::evaluate("tmp", *data, {&rules, &unknown}, 1, {});
  ASSERT_EQ(report.strategies.size(), 2u);
  EXPECT_EQ(report.strategies[0].summary.incidents, 1);
  EXPECT_TRUE(report.strategies[1].skipped);
  EXPECT_NE(report.strategies[1].skip_reason.find("reasoning.strategy"),
            std::string::npos);
  EXPECT_EQ(report.load_problems.size(), 1u);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST(EvalHarness, NotADatasetIsAnError) {
  auto data = eval::load_for_eval("/nonexistent/dataset");
  ASSERT_FALSE(data);
  EXPECT_NE(render(data.error()).find("/nonexistent/dataset"),
            std::string::npos);
}

} // namespace
