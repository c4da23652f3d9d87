// The policy engine, table by table: every rule, its verdict explained.

#include "actors/safety/policy.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kfix;
using namespace kfix::safety;

context_bundle bundle_of(int32_t replicas = 3, bool hpa = false) {
  context_bundle b;
  b.workload_found = true;
  b.workload.ref = {"Deployment", "shop", "checkout"};
  b.workload.replicas = replicas;
  container_spec app;
  app.name = "app";
  app.image = "registry.example.com/shop/checkout:1.4.2";
  app.requests = {{"cpu", "250m"}, {"memory", "512Mi"}};
  app.limits = {{"cpu", "500m"}, {"memory", "768Mi"}};
  b.workload.containers = {app};
  revision_state old;
  old.revision = 4;
  container_spec was = app;
  was.image = "registry.example.com/shop/checkout:1.4.1";
  old.containers = {was};
  b.revisions = {old};
  if (hpa) {
    hpa_state h;
    h.name = "checkout";
    h.min_replicas = 3;
    h.max_replicas = 10;
    b.hpas = {h};
  }
  return b;
}

plan plan_of(action_type type, std::map<std::string, std::string> params,
             std::string container = "app") {
  plan p;
  p.id = "p1";
  action a;
  a.type = type;
  a.container = std::move(container);
  a.params = std::move(params);
  p.actions = {a};
  return p;
}

const check_result* rule(const std::vector<check_result>& checks,
                         const std::string& name) {
  for (const auto& c : checks)
    if (c.rule == name)
      return &c;
  return nullptr;
}

struct row {
  const char* what;
  plan p;
  context_bundle b;
  const char* rule;
  bool passes;
  const char* detail;
};

TEST(Policy, RulesTable) {
  policy_config policy;
  policy.forbidden_actions_by_env["prod"] = {"restart"};
  policy.forbidden_actions_by_namespace["shop"] = {"set_env"};
  policy_facts prod;
  prod.env = "prod";
  const row rows[] = {
    {"scale within caps",
     plan_of(action_type::scale_replicas, {{"replicas", "5"}}, ""), bundle_of(),
     "replicas_cap", true, "3 -> 5 replicas"},
    {"scale beyond factor",
     plan_of(action_type::scale_replicas, {{"replicas", "7"}}, ""), bundle_of(),
     "replicas_cap", false, "more than 2 x the current 3"},
    {"scale to 500 (injected)",
     plan_of(action_type::scale_replicas, {{"replicas", "500"}}, ""),
     bundle_of(), "replicas_cap", false, "exceed the policy maximum of 50"},
    {"scale to zero",
     plan_of(action_type::scale_replicas, {{"replicas", "0"}}, ""), bundle_of(),
     "replicas_cap", false, "takes the service down"},
    {"scale under an HPA",
     plan_of(action_type::scale_replicas, {{"replicas", "4"}}, ""),
     bundle_of(3, true), "replicas_cap", false, "owns the replica count"},
    {"hpa within bounds",
     plan_of(action_type::set_hpa, {{"max_replicas", "12"}}, ""),
     bundle_of(3, true), "hpa_bounds", true, "3-12"},
    {"hpa beyond factor",
     plan_of(action_type::set_hpa, {{"max_replicas", "40"}}, ""),
     bundle_of(3, true), "hpa_bounds", false, "more than 2 x the current 10"},
    {"hpa min above max",
     plan_of(action_type::set_hpa, {{"min_replicas", "12"}}, ""),
     bundle_of(3, true), "hpa_bounds", false, "below minReplicas 12"},
    {"hpa target 5 %",
     plan_of(action_type::set_hpa, {{"target_cpu_utilization", "5"}}, ""),
     bundle_of(3, true), "hpa_bounds", false, "outside 10-100 %"},
    {"cpu raise x2", plan_of(action_type::set_resources, {{"cpu_limit", "1"}}),
     bundle_of(), "cpu_increase_cap", true, "500m -> 1"},
    {"cpu raise x10", plan_of(action_type::set_resources, {{"cpu_limit", "5"}}),
     bundle_of(), "cpu_increase_cap", false, "more than 3 x"},
    {"cpu above the absolute cap",
     plan_of(action_type::set_resources, {{"cpu_request", "64"}}), bundle_of(),
     "cpu_increase_cap", false, "above the policy cap 16"},
    {"image of a known repository",
     plan_of(action_type::set_image,
             {{"image", "registry.example.com/shop/checkout:1.4.1"}}),
     bundle_of(), "image_source", true, "which the workload runs"},
    {"attacker's image (injected)",
     plan_of(action_type::set_image,
             {{"image", "docker.io/attacker/search:1.0"}}),
     bundle_of(), "image_source", false,
     "neither the workload nor its revisions"},
    {"latest tag",
     plan_of(action_type::rollback,
             {{"image", "registry.example.com/shop/checkout:latest"}}),
     bundle_of(), "image_source", false, "no pinned tag"},
    {"restart forbidden in prod", plan_of(action_type::restart, {}, ""),
     bundle_of(), "forbidden_action", false,
     "restart is forbidden in env prod"},
    {"set_env forbidden in the namespace",
     plan_of(action_type::set_env, {{"name", "X"}, {"value", "1"}}),
     bundle_of(), "forbidden_action", false,
     "set_env is forbidden in namespace shop"},
  };
  for (const auto& r : rows) {
    auto checks = policy_checks(r.p, r.b, policy, prod);
    const auto* c = rule(checks, r.rule);
    ASSERT_NE(c, nullptr) << r.what;
    EXPECT_EQ(c->passed, r.passes) << r.what << ": " << c->detail;
    EXPECT_NE(c->detail.find(r.detail), std::string::npos)
      << r.what << ": " << c->detail;
  }
}

TEST(Policy, ProtectedNamespacesAndTheCircuitBreaker) {
  policy_config policy;
  policy.protected_namespaces = {"shop"};
  policy_facts facts;
  auto p = plan_of(action_type::set_resources, {{"memory_limit", "1Gi"}});
  auto checks = policy_checks(p, bundle_of(), policy, facts);
  EXPECT_FALSE(rule(checks, "protected_namespace")->passed);
  // No breaker check without a count; open at the cap.
  policy.protected_namespaces.clear();
  EXPECT_EQ(
    rule(policy_checks(p, bundle_of(), policy, facts), "circuit_breaker"),
    nullptr);
  facts.mrs_last_hour = 2;
  EXPECT_TRUE(
    rule(policy_checks(p, bundle_of(), policy, facts), "circuit_breaker")
      ->passed);
  facts.mrs_last_hour = 3;
  const auto* open
    = rule(policy_checks(p, bundle_of(), policy, facts), "circuit_breaker");
  ASSERT_NE(open, nullptr);
  EXPECT_FALSE(open->passed);
  EXPECT_NE(open->detail.find("breaker is open"), std::string::npos);
  policy.max_mrs_per_namespace_per_hour = 0;
  EXPECT_EQ(
    rule(policy_checks(p, bundle_of(), policy, facts), "circuit_breaker"),
    nullptr);
}

TEST(Policy, AutoMergeIsCalibratedByMeasurementNeverInProd) {
  policy_config policy;
  policy.auto_merge.envs = {"staging"};
  policy.auto_merge.min_eval_top1_rate = 0.95;
  policy.auto_merge.min_similar_merged = 3;
  policy_facts facts;
  facts.env = "staging";
  facts.alert_type = "oom_killed";
  facts.eval_top1_by_type = {{"oom_killed", 0.97}};
  facts.similar_merged = 5;
  auto raise = plan_of(action_type::set_resources,
                       {{"memory_limit", "1Gi"}, {"memory_request", "1Gi"}});
  auto ok = decide_auto_merge(raise, bundle_of(), policy, facts);
  EXPECT_TRUE(ok.allowed) << ok.reason;
  struct variation {
    const char* what;
    policy_facts facts;
    plan p;
    const char* says;
  };
  auto with = [&](auto change) {
    auto f = facts;
    change(f);
    return f;
  };
  const variation rows[] = {
    {"prod", with([](policy_facts& f) {
       f.env = "prod";
     }),
     raise, "production"},
    {"env not listed", with([](policy_facts& f) {
       f.env = "dev";
     }),
     raise, "not among the auto-merge envs"},
    {"eval below", with([](policy_facts& f) {
       f.eval_top1_by_type["oom_killed"] = 0.9;
     }),
     raise, "below 95 %"},
    {"no eval figure", with([](policy_facts& f) {
       f.alert_type = "latency";
     }),
     raise, "no eval figure"},
    {"few merges", with([](policy_facts& f) {
       f.similar_merged = 1;
     }),
     raise, "fewer than 3"},
    {"cpu change", facts,
     plan_of(action_type::set_resources, {{"cpu_limit", "1"}}),
     "only memory raises"},
    {"memory lowered", facts,
     plan_of(action_type::set_resources, {{"memory_limit", "512Mi"}}),
     "is lowered"},
    {"rollback", facts, plan_of(action_type::rollback, {{"to_revision", "4"}}),
     "not auto-mergeable"},
  };
  for (const auto& r : rows) {
    auto d = decide_auto_merge(r.p, bundle_of(), policy, r.facts);
    EXPECT_FALSE(d.allowed) << r.what;
    EXPECT_NE(d.reason.find(r.says), std::string::npos)
      << r.what << ": " << d.reason;
  }
}

TEST(Policy, EvalRatesComeFromAReport) {
  auto rates = eval_top1_rates(R"({"strategies": {"rules": {"per_type": {
    "oom_killed": {"top1_correct_rate": 0.96},
    "crash_loop": {"top1_correct_rate": 0.5}}}}})");
  EXPECT_DOUBLE_EQ(rates.at("oom_killed"), 0.96);
  EXPECT_EQ(rates.size(), 2u);
  EXPECT_TRUE(eval_top1_rates("not json").empty());
  EXPECT_TRUE(eval_top1_rates(R"({"strategies": {}})").empty());
}

TEST(Policy, ProdCanNeverBeAnAutoMergeEnv) {
  EXPECT_TRUE(is_production_env("prod"));
  EXPECT_TRUE(is_production_env("Production"));
  EXPECT_FALSE(is_production_env("staging"));
  policy_config policy;
  policy.auto_merge.envs = {"PROD"};
  EXPECT_TRUE(policy.validate());
}

} // namespace
