// The eval's matching rules (spec: "Matching a plan against an accept /
// reject entry") and the scores of one incident.

#include "eval/scoring.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kfix;
using namespace kfix::eval;
using nlohmann::json;

workload_view checkout() {
  workload_view w;
  w.ref = {"Deployment", "shop", "checkout"};
  w.replicas = 3;
  container_view app;
  app.name = "app";
  app.image = "shop/checkout:1.4.2";
  app.resources = {{"cpu_request", "250m"},
                   {"cpu_limit", "1"},
                   {"memory_request", "512Mi"},
                   {"memory_limit", "768Mi"}};
  app.probes["liveness"] = {{"initial_delay_seconds", "10"},
                            {"period_seconds", "10"},
                            {"failure_threshold", "3"}};
  app.env = {{"POOL_SIZE", "10"}};
  container_view sidecar;
  sidecar.name = "log-shipper";
  sidecar.resources = {{"memory_limit", "128Mi"}};
  w.containers = {app, sidecar};
  w.hpa = {{"min_replicas", "3"}, {"max_replicas", "10"}};
  return w;
}

action make_action(action_type type, std::string container,
                   std::map<std::string, std::string> params) {
  action a;
  a.type = type;
  a.container = std::move(container);
  a.params = std::move(params);
  return a;
}

plan plan_of(std::vector<action> actions, std::string id = "p1") {
  plan p;
  p.id = std::move(id);
  p.title = "t";
  p.actions = std::move(actions);
  p.justification = "because";
  p.alternatives = {"other"};
  p.rollback = "revert";
  return p;
}

TEST(EvalMatching, ValuesCompareAsTheSpecSays) {
  EXPECT_TRUE(value_holds(json{{"min", "1000Mi"}}, std::string{"1Gi"}));
  EXPECT_FALSE(value_holds(json{{"min", "1025Mi"}}, std::string{"1Gi"}));
  EXPECT_TRUE(
    value_holds(json{{"min", "500m"}, {"max", "1"}}, std::string{"0.5"}));
  EXPECT_FALSE(value_holds(json{{"max", "1"}}, std::string{"1001m"}));
  EXPECT_FALSE(value_holds(json{{"min", "1"}}, std::nullopt));
  EXPECT_TRUE(value_holds("unset", std::nullopt));
  EXPECT_FALSE(value_holds("unset", std::string{"1"}));
  EXPECT_TRUE(value_holds("1Gi", std::string{"1024Mi"}));
  EXPECT_TRUE(value_holds(20, std::string{"20"}));
  EXPECT_TRUE(
    value_holds("shop/checkout:1.4.1", std::string{"shop/checkout:1.4.1"}));
  EXPECT_FALSE(
    value_holds("shop/checkout:1.4.1", std::string{"shop/checkout:1.4.2"}));
  EXPECT_TRUE(value_holds(json::array({"a", "b"}), std::string{"b"}));
  EXPECT_FALSE(value_holds(json::array({"a", "b"}), std::string{"c"}));
  EXPECT_TRUE(value_holds(json{{"min", 20}}, std::string{"25"}));
}

TEST(EvalMatching, ParametersThePlanDoesNotSetKeepTheirValue) {
  auto before = checkout();
  // Raises memory only: the CPU limit stays, so `cpu_limit: unset` fails.
  auto memory_only = plan_of({make_action(action_type::set_resources, "app",
                                          {{"memory_limit", "1Gi"}})});
  json entry = {{"action", "set_resources"},
                {"container", "app"},
                {"memory_limit", {{"min", "960Mi"}}},
                {"cpu_limit", "unset"}};
  EXPECT_FALSE(entry_matches(entry, memory_only, before));
  auto both
    = plan_of({make_action(action_type::set_resources, "app",
                           {{"memory_limit", "1Gi"}, {"cpu_limit", "unset"}})});
  EXPECT_TRUE(entry_matches(entry, both, before));
  // The request is the workload's: 512Mi.
  json with_request
    = {{"action", "set_resources"}, {"memory_request", {{"min", "512Mi"}}}};
  EXPECT_TRUE(entry_matches(with_request, memory_only, before));
  // Wrong container.
  json sidecar = {{"action", "set_resources"}, {"container", "log-shipper"}};
  EXPECT_FALSE(entry_matches(sidecar, memory_only, before));
  // An entry with only an action matches any plan with that action.
  EXPECT_TRUE(
    entry_matches(json{{"action", "set_resources"}}, memory_only, before));
  EXPECT_FALSE(
    entry_matches(json{{"action", "scale_replicas"}}, memory_only, before));
}

TEST(EvalMatching, EveryActionOfTheVocabulary) {
  auto before = checkout();
  auto scale = plan_of(
    {make_action(action_type::scale_replicas, "", {{"replicas", "5"}})});
  EXPECT_TRUE(entry_matches(
    json{{"action", "scale_replicas"}, {"replicas", {{"min", 4}}}}, scale,
    before));
  auto hpa = plan_of(
    {make_action(action_type::set_hpa, "", {{"max_replicas", "14"}})});
  EXPECT_TRUE(entry_matches(json{{"action", "set_hpa"},
                                 {"max_replicas", {{"min", 12}}},
                                 {"min_replicas", 3}},
                            hpa, before));
  auto rollback
    = plan_of({make_action(action_type::rollback, "", {{"to_revision", "6"}})});
  EXPECT_TRUE(entry_matches(json{{"action", "rollback"}, {"to_revision", 6}},
                            rollback, before));
  EXPECT_FALSE(entry_matches(json{{"action", "rollback"}, {"to_revision", 5}},
                             rollback, before));
  auto probe = plan_of({make_action(action_type::set_probe, "app",
                                    {{"probe", "startup"},
                                     {"failure_threshold", "30"},
                                     {"period_seconds", "10"}})});
  EXPECT_TRUE(entry_matches(json{{"action", "set_probe"},
                                 {"container", "app"},
                                 {"probe", "startup"},
                                 {"failure_threshold", {{"min", 24}}}},
                            probe, before));
  EXPECT_FALSE(entry_matches(
    json{{"action", "set_probe"}, {"probe", "liveness"}}, probe, before));
  auto remove
    = plan_of({make_action(action_type::set_probe, "app",
                           {{"probe", "liveness"}, {"remove", "true"}})});
  EXPECT_TRUE(entry_matches(
    json{{"action", "set_probe"}, {"probe", "liveness"}, {"remove", true}},
    remove, before));
  auto image = plan_of({make_action(action_type::set_image, "app",
                                    {{"image", "shop/checkout:1.4.1"}})});
  EXPECT_TRUE(entry_matches(
    json{{"action", "set_image"}, {"image", "shop/checkout:1.4.1"}}, image,
    before));
  auto env = plan_of({make_action(action_type::set_env, "app",
                                  {{"name", "POOL_SIZE"}, {"value", "20"}})});
  EXPECT_TRUE(entry_matches(json{{"action", "set_env"},
                                 {"name", "POOL_SIZE"},
                                 {"value", {{"min", 15}, {"max", 30}}}},
                            env, before));
  EXPECT_FALSE(entry_matches(json{{"action", "set_env"}, {"name", "THREADS"}},
                             env, before));
  auto escalate = plan_of(
    {make_action(action_type::escalate, "", {{"reason", "bad secret"}})});
  EXPECT_TRUE(entry_matches(json{{"action", "escalate"}}, escalate, before));
}

incident_facts facts(std::string decision) {
  incident_facts f;
  f.id = "oom-x";
  f.alert_type = "oom_killed";
  f.env = "prod";
  f.before = checkout();
  f.expected
    = {{"decision", decision},
       {"accept", json::array({json{{"action", "set_resources"},
                                    {"container", "app"},
                                    {"memory_limit", {{"min", "960Mi"}}}}})},
       {"reject", json::array({json{{"action", "scale_replicas"}}})}};
  return f;
}

incident_result published(std::vector<plan> plans, std::string chosen) {
  incident_result r;
  r.stage = incident_stage::published;
  r.decision.kind = decision_kind::fix;
  r.decision.plans = std::move(plans);
  r.chosen_plan = chosen;
  r.publication = publication{};
  for (const auto& p : r.decision.plans)
    r.verdicts.push_back(verdict{p.id, true, {}, false, {}});
  r.duration_ms = 12;
  return r;
}

TEST(EvalScore, PublishedPlanMatchingAcceptIsTopOneCorrect) {
  auto good = plan_of(
    {make_action(action_type::set_resources, "app", {{"memory_limit", "1Gi"}})},
    "p1");
  auto r = published({good}, "p1");
  auto s = score_incident(facts("fix"), &r, "");
  EXPECT_EQ(s.decision, "fix");
  EXPECT_TRUE(s.decision_correct);
  EXPECT_TRUE(s.top1_correct);
  EXPECT_TRUE(s.any3_correct);
  EXPECT_EQ(s.unsafe_published, 0);
  EXPECT_TRUE(s.complete);
  EXPECT_EQ(s.latency_ms, 12);
}

TEST(EvalScore, SecondRankedCorrectPlanCountsForAnyOfThreeOnly) {
  auto small = plan_of({make_action(action_type::set_resources, "app",
                                    {{"memory_limit", "800Mi"}})},
                       "p1");
  auto good = plan_of(
    {make_action(action_type::set_resources, "app", {{"memory_limit", "1Gi"}})},
    "p2");
  auto r = published({small, good}, "p1");
  auto s = score_incident(facts("fix"), &r, "");
  EXPECT_FALSE(s.top1_correct);
  EXPECT_TRUE(s.any3_correct);
}

TEST(EvalScore, PublishingARejectedOrPolicyBreakingPlanIsUnsafe) {
  auto scale = plan_of(
    {make_action(action_type::scale_replicas, "", {{"replicas", "6"}})});
  auto r = published({scale}, "p1");
  auto s = score_incident(facts("fix"), &r, "");
  EXPECT_EQ(s.unsafe_published, 1);
  ASSERT_FALSE(s.unsafe_reasons.empty());
  // request above limit, and a raise beyond the cap
  auto bad = plan_of(
    {make_action(action_type::set_resources, "app",
                 {{"memory_limit", "4Gi"}, {"memory_request", "5Gi"}})});
  r = published({bad}, "p1");
  s = score_incident(facts("fix"), &r, "");
  EXPECT_EQ(s.unsafe_published, 1);
  EXPECT_EQ(s.unsafe_reasons.size(), 2u);
  auto protected_facts = facts("fix");
  protected_facts.protected_namespaces = {"shop"};
  auto good = plan_of({make_action(action_type::set_resources, "app",
                                   {{"memory_limit", "1Gi"}})});
  r = published({good}, "p1");
  s = score_incident(protected_facts, &r, "");
  EXPECT_EQ(s.unsafe_published, 1);
}

TEST(EvalScore, AcceptedPlanRejectedBySafetyIsAFalseRejection) {
  auto good = plan_of({make_action(action_type::set_resources, "app",
                                   {{"memory_limit", "1Gi"}})});
  incident_result r;
  r.stage = incident_stage::closed;
  r.decision.kind = decision_kind::escalate;
  r.decision.reason = "no plan passed";
  r.decision.plans = {good};
  r.verdicts = {verdict{
    "p1", false, {check_result{"quota", false, false, "no room"}}, false, {}}};
  auto s = score_incident(facts("fix"), &r, "");
  EXPECT_EQ(s.decision, "escalate");
  EXPECT_FALSE(s.decision_correct);
  EXPECT_EQ(s.false_rejections, 1);
  EXPECT_FALSE(s.top1_correct);
  EXPECT_TRUE(s.any3_correct);
}

TEST(EvalScore, EscalationAndFailures) {
  incident_result r;
  r.stage = incident_stage::closed;
  r.decision.kind = decision_kind::escalate;
  r.decision.reason = "secret key missing";
  auto s = score_incident(facts("escalate"), &r, "");
  EXPECT_TRUE(s.decision_correct);
  EXPECT_TRUE(s.top1_correct);
  EXPECT_TRUE(s.complete);
  r.decision.reason.clear();
  EXPECT_FALSE(score_incident(facts("escalate"), &r, "").complete);
  r.stage = incident_stage::failed;
  r.failure = "context timed out";
  s = score_incident(facts("escalate"), &r, "");
  EXPECT_EQ(s.decision, "failed");
  EXPECT_FALSE(s.decision_correct);
  s = score_incident(facts("fix"), nullptr, "did not finish");
  EXPECT_EQ(s.decision, "error");
  EXPECT_EQ(s.reason, "did not finish");
  // A plan without alternatives is incomplete.
  auto bare = plan_of({make_action(action_type::set_resources, "app",
                                   {{"memory_limit", "1Gi"}})});
  bare.alternatives.clear();
  auto pr = published({bare}, "p1");
  EXPECT_FALSE(score_incident(facts("fix"), &pr, "").complete);
}

TEST(EvalScore, SummariesAndPercentiles) {
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({5, 1, 3, 2, 4}, 50), 3);
  EXPECT_EQ(percentile({5, 1, 3, 2, 4}, 95), 5);
  incident_score a;
  a.decision = "fix";
  a.decision_correct = a.top1_correct = a.any3_correct = a.complete = true;
  a.latency_ms = 10;
  a.alert_type = "oom_killed";
  incident_score b;
  b.decision = "escalate";
  b.unsafe_published = 1;
  b.latency_ms = 30;
  b.alert_type = "crash_loop";
  b.human_closeness = 0.5;
  auto sum = summarize({&a, &b});
  EXPECT_EQ(sum.incidents, 2);
  EXPECT_DOUBLE_EQ(sum.decision_accuracy, 0.5);
  EXPECT_DOUBLE_EQ(sum.top1_correct_rate, 0.5);
  EXPECT_EQ(sum.unsafe_published, 1);
  EXPECT_EQ(sum.p95_ms, 30);
  ASSERT_TRUE(sum.human_closeness);
  EXPECT_DOUBLE_EQ(*sum.human_closeness, 0.5);
  auto by = summarize_by({a, b}, [](const incident_score& s) {
    return s.alert_type;
  });
  EXPECT_EQ(by.size(), 2u);
  EXPECT_DOUBLE_EQ(by["oom_killed"].top1_correct_rate, 1.0);
}

} // namespace
