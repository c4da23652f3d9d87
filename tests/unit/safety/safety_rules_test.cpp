#include "actors/common/quantity.hpp"
#include "actors/safety/safety_rules.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kfix::safety {
namespace {

// -- fixtures -----------------------------------------------------------------

/// Deployment shop/checkout, 3 replicas, default maxSurge (25 % -> 1 pod),
/// container app 250m/1 CPU and 512Mi/768Mi memory, one quota with 256Mi of
/// memory and 250m of CPU used by other pods.
struct shop {
  context_bundle bundle;
  policy_config policy;

  shop() {
    bundle.workload_found = true;
    auto& wl = bundle.workload;
    wl.ref = {"Deployment", "shop", "checkout"};
    wl.replicas = 3;
    wl.strategy = "RollingUpdate";
    container_spec app;
    app.name = "app";
    app.requests = {{"cpu", "250m"}, {"memory", "512Mi"}};
    app.limits = {{"cpu", "1"}, {"memory", "768Mi"}};
    wl.containers.push_back(app);
    quota_state q;
    q.name = "compute";
    q.hard = {{"requests.memory", "3Gi"},
              {"limits.memory", "4Gi"},
              {"requests.cpu", "2"},
              {"limits.cpu", "4"},
              {"pods", "20"}};
    q.used = {{"requests.memory", "1792Mi"},
              {"limits.memory", "2560Mi"},
              {"requests.cpu", "1"},
              {"limits.cpu", "3500m"},
              {"pods", "4"}};
    bundle.quotas.push_back(q);
  }
};

plan memory_plan(const char* limit, const char* request,
                 const char* container = "app") {
  plan p;
  p.id = "p1";
  action a;
  a.type = action_type::set_resources;
  a.container = container;
  if (limit)
    a.params["memory_limit"] = limit;
  if (request)
    a.params["memory_request"] = request;
  p.actions.push_back(a);
  return p;
}

std::vector<check_result> checks_named(const verdict& v,
                                       const std::string& rule) {
  std::vector<check_result> result;
  for (const auto& c : v.checks)
    if (c.rule == rule)
      result.push_back(c);
  return result;
}

check_result only_check(const verdict& v, const std::string& rule) {
  auto xs = checks_named(v, rule);
  EXPECT_EQ(xs.size(), 1u) << rule;
  return xs.empty() ? check_result{} : xs.front();
}

// -- a full verdict -----------------------------------------------------------

TEST(SafetyRules, QuotaHeadroomRejectsRequestEqualsLimit) {
  shop s;
  auto v = check_plan(memory_plan("960Mi", "960Mi"), s.bundle, s.policy);
  EXPECT_EQ(v.plan_id, "p1");
  EXPECT_FALSE(v.accepted);
  auto ns = only_check(v, "protected_namespace");
  EXPECT_TRUE(ns.passed);
  EXPECT_EQ(ns.detail, "namespace shop is not protected (protected: "
                       "kube-system)");
  EXPECT_EQ(only_check(v, "quantity_format").detail,
            "container app: memory_limit 960Mi, memory_request 960Mi are "
            "valid quantities");
  EXPECT_EQ(only_check(v, "request_le_limit").detail,
            "container app: cpu request 250m ≤ limit 1; memory request 960Mi "
            "≤ limit 960Mi");
  EXPECT_EQ(only_check(v, "memory_increase_cap").detail,
            "container app: memory limit 960Mi ≤ 2 × 768Mi = 1536Mi and ≤ cap "
            "16Gi for namespace shop");
  auto quota = checks_named(v, "quota_headroom");
  ASSERT_EQ(quota.size(), 2u); // memory keys only: CPU is untouched
  EXPECT_FALSE(quota[0].passed);
  // 1792Mi − 3 × 512Mi + (3 + 1) × 960Mi = 4096Mi
  EXPECT_EQ(quota[0].detail,
            "quota compute requests.memory: rollout peak 4Gi > hard 3Gi (used "
            "1792Mi − 3 × 512Mi current + (3 + 1 surge) × 960Mi)");
  EXPECT_TRUE(quota[1].passed); // exactly at the hard limit
  EXPECT_EQ(quota[1].detail,
            "quota compute limits.memory: rollout peak 4Gi ≤ hard 4Gi (used "
            "2560Mi − 3 × 768Mi current + (3 + 1 surge) × 960Mi)");
  EXPECT_EQ(v.reasons(),
            "quota_headroom: quota compute requests.memory: rollout peak 4Gi "
            "> hard 3Gi (used 1792Mi − 3 × 512Mi current + (3 + 1 surge) × "
            "960Mi)");
}

TEST(SafetyRules, SmallerPlanFitsTheQuota) {
  shop s;
  auto v = check_plan(memory_plan("896Mi", "512Mi"), s.bundle, s.policy);
  EXPECT_TRUE(v.accepted) << v.reasons();
  auto quota = checks_named(v, "quota_headroom");
  ASSERT_EQ(quota.size(), 2u);
  EXPECT_EQ(quota[0].detail,
            "quota compute requests.memory: rollout peak 2304Mi ≤ hard 3Gi "
            "(used 1792Mi − 3 × 512Mi current + (3 + 1 surge) × 512Mi)");
  EXPECT_EQ(quota[1].detail,
            "quota compute limits.memory: rollout peak 3840Mi ≤ hard 4Gi "
            "(used 2560Mi − 3 × 768Mi current + (3 + 1 surge) × 896Mi)");
}

TEST(SafetyRules, StatefulSetsDoNotSurge) {
  shop s;
  auto p = memory_plan("960Mi", "832Mi");
  EXPECT_FALSE(check_plan(p, s.bundle, s.policy).accepted); // 3584Mi > 3Gi
  s.bundle.workload.ref.kind = "StatefulSet";
  auto v = check_plan(p, s.bundle, s.policy);
  EXPECT_TRUE(v.accepted) << v.reasons();
  EXPECT_EQ(checks_named(v, "quota_headroom")[0].detail,
            "quota compute requests.memory: rollout peak 2752Mi ≤ hard 3Gi "
            "(used 1792Mi − 3 × 512Mi current + (3 + 0 surge) × 832Mi)");
}

// -- request <= limit ---------------------------------------------------------

TEST(SafetyRules, RequestAboveLimitIsRejected) {
  shop s;
  auto v = check_plan(memory_plan("960Mi", "1Gi"), s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  auto c = only_check(v, "request_le_limit");
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.detail, "container app: memory request 1Gi > limit 960Mi");
}

TEST(SafetyRules, LoweringTheLimitBelowTheKeptRequestIsRejected) {
  shop s;
  auto v = check_plan(memory_plan("256Mi", nullptr), s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(only_check(v, "request_le_limit").detail,
            "container app: memory request 512Mi > limit 256Mi");
}

TEST(SafetyRules, RequestComparesByValueAcrossFormats) {
  shop s;
  auto v = check_plan(memory_plan("1Gi", "1024Mi"), s.bundle, s.policy);
  EXPECT_TRUE(only_check(v, "request_le_limit").passed);
  v = check_plan(memory_plan("1G", "1Gi"), s.bundle, s.policy);
  EXPECT_FALSE(only_check(v, "request_le_limit").passed); // 1G < 1Gi
}

// -- quantity format ----------------------------------------------------------

struct format_case {
  const char* param;
  const char* value;
  const char* detail;
};

class SafetyRulesFormat : public ::testing::TestWithParam<format_case> {};

TEST_P(SafetyRulesFormat, Rejects) {
  shop s;
  plan p;
  p.id = "p1";
  action a;
  a.type = action_type::set_resources;
  a.container = "app";
  a.params[GetParam().param] = GetParam().value;
  p.actions.push_back(a);
  auto v = check_plan(p, s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  auto c = only_check(v, "quantity_format");
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.detail, GetParam().detail);
  // Numeric rules are not evaluated on invalid input.
  EXPECT_TRUE(checks_named(v, "request_le_limit").empty());
}

INSTANTIATE_TEST_SUITE_P(
  SafetyRules, SafetyRulesFormat,
  ::testing::Values(
    format_case{"memory_limit", "1000m",
                "container app: memory_limit: \"1000m\" uses the suffix "
                "\"m\", a fraction of a byte for memory (M is 10^6, Mi 2^20)"},
    format_case{"memory_request", "1K",
                "container app: memory_request: invalid quantity \"1K\": "
                "unknown suffix \"K\" (use k for 1000 or Ki for 1024)"},
    format_case{"memory_limit", "-1Gi",
                "container app: memory_limit: \"-1Gi\" is negative"},
    format_case{"ephemeral_storage_limit", "2u",
                "container app: ephemeral_storage_limit: \"2u\" uses the "
                "suffix \"u\", a fraction of a byte for memory (M is 10^6, "
                "Mi 2^20)"},
    format_case{"cpu_request", "0.1m",
                "container app: cpu_request: \"0.1m\" is finer than 1m"},
    format_case{"cpu_limit", "two",
                "container app: cpu_limit: invalid quantity \"two\": no "
                "digits"},
    format_case{"memory_limits", "1Gi",
                "container app: unknown parameter memory_limits"}));

TEST(SafetyRules, CurrentInvalidValuesAreReported) {
  shop s;
  s.bundle.workload.containers[0].requests["memory"] = "512m";
  auto v = check_plan(memory_plan("960Mi", nullptr), s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(only_check(v, "quantity_format").detail,
            "container app: current memory_request: \"512m\" uses the suffix "
            "\"m\", a fraction of a byte for memory (M is 10^6, Mi 2^20)");
}

// -- memory increase cap ------------------------------------------------------

TEST(SafetyRules, MemoryIncreaseFactor) {
  shop s;
  auto v = check_plan(memory_plan("2Gi", nullptr), s.bundle, s.policy);
  auto c = only_check(v, "memory_increase_cap");
  EXPECT_FALSE(c.passed);
  EXPECT_EQ(c.detail, "container app: memory limit 2Gi > 2 × 768Mi = 1536Mi");
  v = check_plan(memory_plan("1536Mi", nullptr), s.bundle, s.policy);
  EXPECT_TRUE(only_check(v, "memory_increase_cap").passed);
}

TEST(SafetyRules, RestoringAnEarlierRevisionsLimitIsNotARaise) {
  shop s;
  revision_state old;
  old.revision = 3;
  container_spec app;
  app.name = "app";
  app.limits = {{"memory", "2Gi"}};
  old.containers.push_back(app);
  s.bundle.revisions.push_back(old);
  auto v = check_plan(memory_plan("2Gi", nullptr), s.bundle, s.policy);
  auto c = only_check(v, "memory_increase_cap");
  EXPECT_TRUE(c.passed) << c.detail;
  EXPECT_NE(c.detail.find("restores revision 3"), std::string::npos)
    << c.detail;
  // A value no earlier revision had is still capped.
  v = check_plan(memory_plan("3Gi", nullptr), s.bundle, s.policy);
  EXPECT_FALSE(only_check(v, "memory_increase_cap").passed);
  // The current revision's own value is no precedent.
  s.bundle.revisions.front().current = true;
  v = check_plan(memory_plan("2Gi", nullptr), s.bundle, s.policy);
  EXPECT_FALSE(only_check(v, "memory_increase_cap").passed);
}

TEST(SafetyRules, NamespaceMemoryCap) {
  shop s;
  s.policy.namespace_max_memory_bytes["shop"] = units::gib;
  auto v = check_plan(memory_plan("1200Mi", nullptr), s.bundle, s.policy);
  EXPECT_EQ(only_check(v, "memory_increase_cap").detail,
            "container app: memory limit 1200Mi > cap 1Gi for namespace shop");
  EXPECT_FALSE(v.accepted);
}

TEST(SafetyRules, NoPreviousLimitOnlyTheNamespaceCap) {
  shop s;
  s.bundle.workload.containers[0].limits.erase("memory");
  auto v = check_plan(memory_plan("1Gi", nullptr), s.bundle, s.policy);
  EXPECT_EQ(only_check(v, "memory_increase_cap").detail,
            "container app: memory limit 1Gi ≤ cap 16Gi for namespace shop");
}

TEST(SafetyRules, RemovingTheMemoryLimitIsRejected) {
  shop s;
  auto v = check_plan(memory_plan("unset", nullptr), s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(only_check(v, "memory_increase_cap").detail,
            "container app: removing the memory limit (was 768Mi) is not "
            "allowed");
}

TEST(SafetyRules, UnchangedMemoryLimitPasses) {
  shop s;
  auto v = check_plan(memory_plan(nullptr, "600Mi"), s.bundle, s.policy);
  EXPECT_TRUE(v.accepted) << v.reasons();
  EXPECT_EQ(only_check(v, "memory_increase_cap").detail,
            "container app: memory limit unchanged");
}

// -- protected namespaces, escalations, other actions
// --------------------------

TEST(SafetyRules, ProtectedNamespace) {
  shop s;
  s.bundle.workload.ref.ns = "kube-system";
  auto v = check_plan(memory_plan("896Mi", nullptr), s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.reasons(),
            "protected_namespace: namespace kube-system is protected by "
            "policy; K-Fix never changes it");
}

TEST(SafetyRules, EscalationIsAcceptedWithANote) {
  shop s;
  s.bundle.workload.ref.ns = "kube-system"; // nothing is applied anyway
  plan p;
  p.id = "p1";
  action a;
  a.type = action_type::escalate;
  a.params["reason"] = "no working-set metrics for container app";
  p.actions.push_back(a);
  auto v = check_plan(p, s.bundle, s.policy);
  EXPECT_TRUE(v.accepted);
  ASSERT_EQ(v.checks.size(), 1u);
  EXPECT_EQ(v.checks[0].rule, "no_changes");
  EXPECT_TRUE(v.checks[0].passed);
  plan empty;
  empty.id = "p0";
  EXPECT_TRUE(check_plan(empty, s.bundle, s.policy).accepted);
}

TEST(SafetyRules, OtherActionsAreSkippedNotFailed) {
  shop s;
  plan p;
  p.id = "p1";
  action a;
  a.type = action_type::scale_replicas;
  a.params["replicas"] = "5";
  p.actions.push_back(a);
  auto v = check_plan(p, s.bundle, s.policy);
  EXPECT_TRUE(v.accepted);
  auto c = only_check(v, "scale_replicas");
  EXPECT_TRUE(c.skipped);
}

TEST(SafetyRules, UnknownContainer) {
  shop s;
  auto v
    = check_plan(memory_plan("960Mi", nullptr, "worker"), s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(only_check(v, "container_exists").detail,
            "container \"worker\" is not in Deployment shop/checkout "
            "(containers: app)");
}

TEST(SafetyRules, MissingWorkload) {
  shop s;
  s.bundle.workload_found = false;
  auto v = check_plan(memory_plan("960Mi", nullptr), s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  EXPECT_FALSE(only_check(v, "container_exists").passed);
}

// -- CPU and quota details ----------------------------------------------------

TEST(SafetyRules, CpuQuotaCheckedWhenTouched) {
  shop s;
  plan p;
  p.id = "p1";
  action a;
  a.type = action_type::set_resources;
  a.container = "app";
  a.params["cpu_limit"] = "2";
  p.actions.push_back(a);
  auto v = check_plan(p, s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  auto quota = checks_named(v, "quota_headroom");
  ASSERT_EQ(quota.size(), 4u);
  EXPECT_EQ(quota[2].detail,
            "quota compute requests.cpu: rollout peak 1250m ≤ hard 2 (used 1 "
            "− 3 × 250m current + (3 + 1 surge) × 250m)");
  EXPECT_EQ(quota[3].detail,
            "quota compute limits.cpu: rollout peak 8500m > hard 4 (used "
            "3500m − 3 × 1 current + (3 + 1 surge) × 2)");
}

TEST(SafetyRules, RemovingAQuotaTrackedValueIsRejected) {
  shop s;
  plan p;
  p.id = "p1";
  action a;
  a.type = action_type::set_resources;
  a.container = "app";
  a.params["cpu_limit"] = "unset";
  p.actions.push_back(a);
  auto v = check_plan(p, s.bundle, s.policy);
  EXPECT_FALSE(v.accepted);
  EXPECT_EQ(v.reasons(),
            "quota_headroom: quota compute limits.cpu: container app would "
            "have no cpu limit, which the quota requires for new pods");
}

TEST(SafetyRules, PodTotalsIncludeOtherContainers) {
  shop s;
  container_spec sidecar;
  sidecar.name = "envoy";
  sidecar.requests = {{"memory", "64Mi"}};
  sidecar.limits = {{"memory", "128Mi"}};
  s.bundle.workload.containers.push_back(sidecar);
  // Other pods still use 256Mi; the workload's pods carry the sidecar.
  s.bundle.quotas[0].used["requests.memory"] = "1984Mi"; // 3 × 576Mi + 256Mi
  s.bundle.quotas[0].used["limits.memory"] = "2944Mi";   // 3 × 896Mi + 256Mi
  auto v = check_plan(memory_plan("896Mi", nullptr), s.bundle, s.policy);
  auto quota = checks_named(v, "quota_headroom");
  ASSERT_EQ(quota.size(), 2u);
  // Per pod: requests 576Mi (unchanged), limits 896Mi -> 1024Mi.
  EXPECT_EQ(quota[0].detail,
            "quota compute requests.memory: rollout peak 2560Mi ≤ hard 3Gi "
            "(used 1984Mi − 3 × 576Mi current + (3 + 1 surge) × 576Mi)");
  EXPECT_EQ(quota[1].detail,
            "quota compute limits.memory: rollout peak 4352Mi > hard 4Gi "
            "(used 2944Mi − 3 × 896Mi current + (3 + 1 surge) × 1Gi)");
  EXPECT_FALSE(v.accepted);
}

TEST(SafetyRules, LimitOnlyContainerRequestDefaultsToTheLimit) {
  shop s;
  s.bundle.workload.containers[0].requests.erase("memory");
  s.bundle.quotas[0].used["requests.memory"] = "2560Mi"; // 3 × 768Mi + 256Mi
  auto v = check_plan(memory_plan("960Mi", nullptr), s.bundle, s.policy);
  // requests.memory per pod: 768Mi (defaulted from the limit) -> 960Mi.
  EXPECT_EQ(checks_named(v, "quota_headroom")[0].detail,
            "quota compute requests.memory: rollout peak 4Gi > hard 3Gi "
            "(used 2560Mi − 3 × 768Mi current + (3 + 1 surge) × 960Mi)");
}

TEST(SafetyRules, NoQuotaIsASkippedCheck) {
  shop s;
  s.bundle.quotas.clear();
  auto v = check_plan(memory_plan("960Mi", "960Mi"), s.bundle, s.policy);
  EXPECT_TRUE(v.accepted) << v.reasons();
  auto c = only_check(v, "quota_headroom");
  EXPECT_TRUE(c.skipped);
  EXPECT_EQ(c.detail, "no ResourceQuota in namespace shop");
}

// -- surge and applying plans -------------------------------------------------

struct surge_case {
  const char* kind;
  const char* strategy;
  const char* max_surge;
  int32_t replicas;
  int64_t surge;
};

class SafetyRulesSurge : public ::testing::TestWithParam<surge_case> {};

TEST_P(SafetyRulesSurge, Rollout) {
  workload_state wl;
  wl.ref.kind = GetParam().kind;
  wl.strategy = GetParam().strategy;
  wl.max_surge = GetParam().max_surge;
  wl.replicas = GetParam().replicas;
  EXPECT_EQ(rollout_surge(wl), GetParam().surge)
    << GetParam().kind << " " << GetParam().max_surge << " x"
    << GetParam().replicas;
}

INSTANTIATE_TEST_SUITE_P(
  SafetyRules, SafetyRulesSurge,
  ::testing::Values(surge_case{"Deployment", "", "", 3, 1},
                    surge_case{"Deployment", "RollingUpdate", "25%", 4, 1},
                    surge_case{"Deployment", "RollingUpdate", "25%", 10, 3},
                    surge_case{"Deployment", "RollingUpdate", "50%", 3, 2},
                    surge_case{"Deployment", "RollingUpdate", "100%", 3, 3},
                    surge_case{"Deployment", "RollingUpdate", "2", 10, 2},
                    surge_case{"Deployment", "RollingUpdate", "0", 10, 0},
                    surge_case{"Deployment", "Recreate", "", 10, 0},
                    surge_case{"StatefulSet", "RollingUpdate", "", 3, 0},
                    surge_case{"DaemonSet", "RollingUpdate", "", 5, 0},
                    surge_case{"DaemonSet", "RollingUpdate", "1", 5, 1}));

TEST(SafetyRules, ApplyResources) {
  shop s;
  plan p = memory_plan("1Gi", "unset");
  p.actions[0].params["cpu_limit"] = "unset";
  auto after = apply_resources(p, s.bundle.workload);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].limits, (resource_map{{"memory", "1Gi"}}));
  EXPECT_EQ(after[0].requests, (resource_map{{"cpu", "250m"}}));
}

} // namespace
} // namespace kfix::safety
