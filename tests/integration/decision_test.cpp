// The rules strategy per alert type, on recorded bundles: every incident of
// datasets/eval is fetched through the production fetchers from its
// simulated APIs (real HTTP on 127.0.0.1), decided with the shipped
// playbooks, and its top-ranked plan judged by the spec's matching rules.
// The safety layer and patch synthesis are not involved here (the eval
// covers the whole pipeline).

#include "actors/common/http_client.hpp"
#include "actors/context/datadog_source.hpp"
#include "actors/context/k8s_source.hpp"
#include "actors/intake/alert_parser.hpp"
#include "actors/reasoning/decide.hpp"
#include "config/config.hpp"
#include "eval/harness.hpp"
#include "eval/scoring.hpp"
#include "tests/support/sim_world.hpp"

#include <gtest/gtest.h>

#include <map>

namespace {

using namespace kfix;
using namespace std::chrono_literals;

struct decided {
  std::string alert_type;
  std::string expected;
  std::string decision;
  bool top_plan_accepted = false;
  bool any_plan_rejected = false;
  std::string detail;
};

class DecisionOnRecordedBundles : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    auto data
      = eval::load_for_eval(std::string{KFIX_SOURCE_DIR} + "/datasets/eval");
    ASSERT_TRUE(data) << render(data.error());
    ASSERT_TRUE(data->problems.empty());
    world_ = new test::sim_world{};
    ASSERT_TRUE(world_->ok());
    auto playbooks = reasoning::load_playbooks(
      {std::string{KFIX_SOURCE_DIR} + "/config/playbooks"});
    ASSERT_TRUE(playbooks) << render(playbooks.error());
    auto policy
      = load_policy_file(std::string{KFIX_SOURCE_DIR} + "/config/policy.yaml");
    ASSERT_TRUE(policy) << render(policy.error());
    auto client = http::make_curl_client();
    results_ = new std::map<std::string, decided>;
    for (auto& li : data->incidents) {
      const auto& inc = li.incident;
      world_->add(inc.id, inc.workload, inc.received_at_s, *li.state);
      auto alert = intake::parse_alert(inc.alert_json);
      ASSERT_TRUE(alert) << inc.id;
      auto scope = context::make_fetch_scope(*alert);
      if (scope.workload.empty())
        scope.workload = inc.workload;
      auto deadline = std::chrono::steady_clock::now() + 8s;
      std::vector<context::context_part> parts;
      parts.push_back(context::fetch_kubernetes(
        *client, world_->kubernetes_endpoint(inc.id), scope, deadline));
      parts.push_back(
        context::fetch_datadog(*client, world_->datadog_endpoint(inc.id), scope,
                               datadog_config{}, deadline));
      auto bundle = context::merge_context(std::move(parts));
      auto d = reasoning::decide(*alert, bundle, *playbooks, sizing_config{},
                                 *policy);
      decided r;
      r.alert_type = inc.alert_type;
      r.expected = inc.expected.value("decision", "");
      r.decision = std::string{to_string(d.kind)};
      r.detail = d.reason;
      auto view = eval::view_of(li.state->objects, inc.workload);
      if (view && !d.plans.empty()) {
        const auto& top = d.plans.front();
        r.top_plan_accepted
          = eval::first_match(inc.expected.value("accept", nlohmann::json{}),
                              top, *view)
            >= 0;
        r.detail += " | top plan: " + top.title;
        for (const auto& p : d.plans)
          if (eval::first_match(inc.expected.value("reject", nlohmann::json{}),
                                p, *view)
              >= 0)
            r.any_plan_rejected = true;
      }
      (*results_)[inc.id] = r;
    }
  }

  static void TearDownTestSuite() {
    delete results_;
    delete world_;
  }

  static inline test::sim_world* world_ = nullptr;
  static inline std::map<std::string, decided>* results_ = nullptr;
};

TEST_F(DecisionOnRecordedBundles, EveryIncidentGetsTheExpectedDecision) {
  ASSERT_NE(results_, nullptr);
  EXPECT_EQ(results_->size(), 66u);
  for (const auto& [id, r] : *results_)
    EXPECT_EQ(r.decision, r.expected) << id << ": " << r.detail;
}

TEST_F(DecisionOnRecordedBundles, TheTopPlanOfEveryFixIsAnAcceptedOne) {
  ASSERT_NE(results_, nullptr);
  std::map<std::string, std::pair<int, int>> by_type; // right, total
  for (const auto& [id, r] : *results_) {
    if (r.expected != "fix")
      continue;
    auto& t = by_type[r.alert_type];
    ++t.second;
    if (r.top_plan_accepted)
      ++t.first;
    EXPECT_TRUE(r.top_plan_accepted) << id << ": " << r.detail;
  }
  // Every alert type with a fix in the dataset is covered.
  EXPECT_GE(by_type.size(), 12u);
}

TEST_F(DecisionOnRecordedBundles, NoPlanMatchesARejectEntry) {
  ASSERT_NE(results_, nullptr);
  for (const auto& [id, r] : *results_)
    EXPECT_FALSE(r.any_plan_rejected) << id << ": " << r.detail;
}

} // namespace
