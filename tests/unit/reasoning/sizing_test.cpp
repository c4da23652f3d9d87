// The sizing methods: the reference's formulas, rounding, and the caps.

#include "actors/common/quantity.hpp"
#include "actors/reasoning/sizing.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kfix;
using namespace kfix::reasoning;

constexpr int64_t mi = 1LL << 20;

struct fixture {
  incident_signals s;
  sizing_config sizing;
  policy_config policy;
  std::map<std::string, std::string> params;

  fixture() {
    s.facts.container = "app";
    s.facts.workload = {"Deployment", "shop", "checkout"};
    s.facts.replicas = 3;
    s.facts.rollout_peak_pods = 4;
  }

  caf::expected<sized_value> run(const std::string& method) {
    sizing_inputs in{s, sizing, policy, params};
    return size(method, in);
  }

  std::string value(const std::string& method) {
    auto v = run(method);
    EXPECT_TRUE(v) << method << ": " << render(v.error());
    return v ? v->value : std::string{};
  }
};

window_stats stats(double p50, double p95, double p99, double max) {
  return window_stats{2016, p50, p95, p99, max, max};
}

TEST(Sizing, OomBumpTakesTheLargestTermAndRoundsUp) {
  fixture f;
  f.s.facts.resources.memory_limit = 768 * mi;
  f.s.facts.memory_peak = static_cast<int64_t>(762.7 * mi);
  // max(768 x 1.25 = 960, 868, 877.1) = 960Mi.
  EXPECT_EQ(f.value("memory_oom_bump"), "960Mi");
  f.s.facts.memory_peak = 1000 * mi; // 1150Mi -> rounds up to 1152Mi
  EXPECT_EQ(f.value("memory_oom_bump"), "1152Mi");
  f.s.facts.resources.memory_limit.reset();
  f.s.facts.memory_peak.reset();
  EXPECT_FALSE(f.run("memory_oom_bump"));
}

TEST(Sizing, MemoryCapsComeFromPolicyLimitRangeAndQuota) {
  fixture f;
  f.s.facts.resources.memory_limit = 2048 * mi;
  f.s.facts.memory_peak = 2040 * mi;
  // Wanted 2560Mi; a LimitRange max of 2304Mi caps it (still above the
  // needed 2458Mi? no: 2040 x 1.15 = 2346Mi > 2304Mi -> no fit).
  f.s.facts.limit_range_max["memory"] = 2304.0 * mi;
  auto refused = f.run("memory_oom_bump");
  ASSERT_FALSE(refused);
  EXPECT_NE(render(refused.error()).find("LimitRange max"), std::string::npos);
  f.s.facts.limit_range_max["memory"] = 4096.0 * mi;
  // Quota: headroom 1Gi over the rollout of 4 pods with 3 running at 2Gi:
  // (1Gi + 3 x 2Gi) / 4 = 1792Mi per pod, below the 2458Mi needed.
  f.s.facts.quota_headroom["limits.memory"] = 1024.0 * mi;
  auto quota = f.run("memory_oom_bump");
  ASSERT_FALSE(quota);
  EXPECT_NE(render(quota.error()).find("ResourceQuota limits.memory"),
            std::string::npos)
    << render(quota.error());
  // With room for 2560Mi per pod the bump fits whole.
  f.s.facts.quota_headroom["limits.memory"] = (2560.0 * 4 - 3 * 2048) * mi;
  EXPECT_EQ(f.value("memory_oom_bump"), "2560Mi");
  // Memory pressure: limit 1Gi, peak 1000Mi wants 1344Mi (peak / 0.75) but
  // needs only 1228.8Mi (+20 %): a quota that leaves 1300Mi per pod caps it
  // to the clean 1280Mi.
  f.s.facts.resources.memory_limit = 1024 * mi;
  f.s.facts.memory_peak = 1000 * mi;
  f.s.facts.limit_range_max.clear();
  f.s.facts.quota_headroom["limits.memory"] = (1300.0 * 4 - 3 * 1024) * mi;
  auto capped = f.run("memory_pressure_raise");
  ASSERT_TRUE(capped) << render(capped.error());
  EXPECT_EQ(capped->value, "1280Mi");
  EXPECT_NE(capped->formula.find("capped by the ResourceQuota"),
            std::string::npos)
    << capped->formula;
  // The policy's increase factor caps too.
  f.s.facts.quota_headroom.clear();
  f.policy.max_memory_increase_factor = 1.1;
  EXPECT_FALSE(f.run("memory_oom_bump"));
}

TEST(Sizing, RequestsFollowTheLimitOrTheP95) {
  fixture f;
  f.s.facts.resources.memory_limit = 1024 * mi;
  f.s.facts.resources.memory_request = 512 * mi;
  f.s.facts.working_set_7d
    = stats(600.0 * mi, 700.0 * mi, 750.0 * mi, 900.0 * mi);
  f.params["memory_limit"] = "1280Mi";
  EXPECT_EQ(f.value("memory_request_to_limit"), "1280Mi");
  // 700Mi x 1.15 = 805Mi -> 832Mi.
  EXPECT_EQ(f.value("memory_request_p95"), "832Mi");
  // The request never exceeds the new limit.
  f.params["memory_limit"] = "768Mi";
  EXPECT_EQ(f.value("memory_request_p95"), "768Mi");
}

TEST(Sizing, CpuMethods) {
  fixture f;
  f.s.facts.resources.cpu_request_m = 250;
  f.s.facts.resources.cpu_limit_m = 500;
  f.s.facts.cpu_7d = stats(0.161, 0.47, 0.49, 0.492);
  EXPECT_EQ(f.value("cpu_request_p95"), "470m");
  // max(500 x 1.5, 490 x 1.2) = 750m.
  EXPECT_EQ(f.value("cpu_limit_raise"), "750m");
  // A LimitRange max of 600m caps the raise above the needed 600m.
  f.s.facts.limit_range_max["cpu"] = 0.6;
  EXPECT_EQ(f.value("cpu_limit_raise"), "600m");
  f.s.facts.limit_range_max["cpu"] = 0.55;
  EXPECT_FALSE(f.run("cpu_limit_raise"));
  // For a container without a limit the request covers p95, and a larger
  // current request is kept.
  EXPECT_EQ(f.value("cpu_request_for_unlimited"), "470m");
  f.s.facts.resources.cpu_request_m = 800;
  EXPECT_EQ(f.value("cpu_request_for_unlimited"), "800m");
  f.s.facts.resources.cpu_limit_m.reset();
  EXPECT_FALSE(f.run("cpu_limit_raise"));
}

TEST(Sizing, HpaMaxRaiseStaysInsideTheQuota) {
  fixture f;
  f.s.values.set("hpa.max", 10.0);
  f.s.values.set("hpa.current", 10.0);
  f.s.facts.resources.cpu_request_m = 500;
  EXPECT_EQ(f.value("hpa_max_raise"), "12");
  // Room for one more pod only: below ceil(10 x 1.2).
  f.s.facts.quota_headroom["pods"] = 1;
  auto refused = f.run("hpa_max_raise");
  ASSERT_FALSE(refused);
  EXPECT_NE(render(refused.error()).find("room for 1"), std::string::npos);
  // requests.cpu room for 5 pods: 12 fits.
  f.s.facts.quota_headroom["pods"] = 50;
  f.s.facts.quota_headroom["requests.cpu"] = 2.5;
  EXPECT_EQ(f.value("hpa_max_raise"), "12");
}

TEST(Sizing, StartupProbeCoversTheObservedStartWithMargin) {
  fixture f;
  f.s.values.set("probe.liveness_period", 10.0);
  EXPECT_FALSE(f.run("startup_failure_threshold"));
  f.s.facts.startup_seconds = 196.6;
  // ceil(196.6 x 1.5 / 10) = 30.
  EXPECT_EQ(f.value("startup_failure_threshold"), "30");
  EXPECT_EQ(f.value("startup_period"), "10");
}

TEST(Sizing, EphemeralStorageRaise) {
  fixture f;
  f.s.facts.resources.ephemeral_limit = 1024 * mi;
  f.s.facts.ephemeral_7d
    = stats(600.0 * mi, 900.0 * mi, 1000.0 * mi, 1100.0 * mi);
  // max(1100 x 1.3 = 1430, 1024 x 1.25 = 1280) -> 1472Mi.
  EXPECT_EQ(f.value("ephemeral_limit_raise"), "1472Mi");
  f.params["ephemeral_storage_limit"] = "1472Mi";
  // max(current request (none), p95 900Mi rounded up to 64Mi steps).
  EXPECT_EQ(f.value("ephemeral_request_raise"), "960Mi");
}

TEST(Sizing, QuotaCapIsTheRolloutMath) {
  incident_facts f;
  f.replicas = 4;
  f.rollout_peak_pods = 5;
  f.quota_headroom["requests.memory"] = 2048.0 * mi;
  // (2Gi + 4 x 1Gi) / 5 = 1228.8Mi.
  auto cap = quota_cap(f, "requests.memory", 1024.0 * mi);
  ASSERT_TRUE(cap);
  EXPECT_NEAR(*cap / mi, 1228.8, 0.01);
  EXPECT_FALSE(quota_cap(f, "limits.cpu", 1.0));
}

} // namespace
