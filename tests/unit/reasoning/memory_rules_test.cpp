#include "actors/common/quantity.hpp"
#include "actors/reasoning/memory_rules.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kfix::reasoning {
namespace {

using units::gib;
using units::mib;

// -- fixtures -----------------------------------------------------------------

series_summary working_set(const std::string& container,
                           const std::string& window, double p50, double p95,
                           double p99, double max) {
  series_summary s;
  s.metric = working_set_metric;
  s.container = container;
  s.window = window;
  s.unit = "byte";
  s.samples = window == "7d" ? 10080 : 60;
  s.p50 = p50;
  s.p95 = p95;
  s.p99 = p99;
  s.max = max;
  s.last = p50;
  return s;
}

double mi(double x) {
  return x * static_cast<double>(mib);
}

/// Deployment shop/checkout, 3 replicas, container app 512Mi/768Mi, two of
/// three pods OOMKilled, working set peaking at 760Mi.
struct checkout {
  enriched_alert alert;
  context_bundle bundle;
  sizing_config sizing;
  policy_config policy;

  checkout() {
    alert.type = alert_type::oom_killed;
    alert.workload = {"Deployment", "shop", "checkout"};
    alert.container = "app";
    alert.metric = "kubernetes.containers.last_state.terminated";
    bundle.workload_found = true;
    auto& wl = bundle.workload;
    wl.ref = alert.workload;
    wl.replicas = 3;
    container_spec app;
    app.name = "app";
    app.image = "registry.example.com/shop/checkout:1.42.0";
    app.requests = {{"cpu", "250m"}, {"memory", "512Mi"}};
    app.limits = {{"cpu", "1"}, {"memory", "768Mi"}};
    wl.containers.push_back(app);
    const char* names[]
      = {"checkout-7d9f8c6b5-x2x8q", "checkout-7d9f8c6b5-k4wz9",
         "checkout-7d9f8c6b5-p7n2m"};
    int restarts[] = {4, 5, 2};
    const char* reasons[] = {"OOMKilled", "OOMKilled", ""};
    for (int i = 0; i < 3; ++i) {
      pod_state pod;
      pod.name = names[i];
      pod.phase = "Running";
      container_status st;
      st.name = "app";
      st.restart_count = restarts[i];
      st.ready = true;
      st.state = "running";
      st.last_termination_reason = reasons[i];
      st.last_exit_code = reasons[i][0] ? 137 : 0;
      pod.containers.push_back(st);
      bundle.pods.push_back(pod);
    }
    event_record ev;
    ev.type = "Warning";
    ev.reason = "OOMKilling";
    ev.message = "Memory cgroup out of memory: Killed process 4242 (java)";
    ev.count = 2;
    bundle.events.push_back(ev);
    event_record backoff;
    backoff.type = "Warning";
    backoff.reason = "BackOff";
    backoff.message = "Back-off restarting failed container app";
    backoff.count = 7;
    bundle.events.push_back(backoff);
    set_metrics(760);
  }

  void set_metrics(double peak_mi, double p95_mi = 700) {
    bundle.metrics.clear();
    bundle.metrics.push_back(working_set("app", "7d", mi(600), mi(p95_mi),
                                         mi(peak_mi - 20), mi(peak_mi)));
    bundle.metrics.push_back(working_set("app", "1h", mi(640), mi(peak_mi - 15),
                                         mi(peak_mi - 10), mi(peak_mi - 5)));
  }

  void set_memory(const char* request, const char* limit) {
    auto& app = bundle.workload.containers.front();
    app.requests.erase("memory");
    app.limits.erase("memory");
    if (request)
      app.requests["memory"] = request;
    if (limit)
      app.limits["memory"] = limit;
  }

  decision plan() const {
    return plan_memory_fix(alert, bundle, sizing, policy);
  }
};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// -- the worked OOM case ------------------------------------------------------

TEST(MemoryRules, OomAt768MiWith760MiPeak) {
  checkout c;
  auto d = c.plan();
  ASSERT_EQ(d.kind, decision_kind::fix) << d.reason;
  // max(768Mi × 1.25 = 960Mi, 768Mi + 100Mi = 868Mi, 760Mi × 1.15 = 874Mi)
  // = 960Mi, already on the 64Mi grid.
  ASSERT_EQ(d.plans.size(), 3u);
  const auto& p1 = d.plans[0];
  EXPECT_EQ(p1.id, "p1");
  ASSERT_EQ(p1.actions.size(), 1u);
  EXPECT_EQ(p1.actions[0].type, action_type::set_resources);
  EXPECT_EQ(p1.actions[0].container, "app");
  EXPECT_EQ(p1.actions[0].param("memory_limit"), "960Mi");
  EXPECT_EQ(p1.actions[0].param("memory_request"), "960Mi");
  EXPECT_EQ(p1.actions[0].params.count("cpu_limit"), 0u); // CPU untouched
  // p2: request = max(512Mi, round_up(700Mi × 1.15 = 805Mi) = 832Mi).
  const auto& p2 = d.plans[1];
  EXPECT_EQ(p2.actions[0].param("memory_limit"), "960Mi");
  EXPECT_EQ(p2.actions[0].param("memory_request"), "832Mi");
  // p3: round_up(max(874Mi, 868Mi)) = 896Mi, request kept at 512Mi.
  const auto& p3 = d.plans[2];
  EXPECT_EQ(p3.actions[0].param("memory_limit"), "896Mi");
  EXPECT_EQ(p3.actions[0].param("memory_request"), "512Mi");
  EXPECT_GT(p1.confidence, p2.confidence);
  EXPECT_GT(p2.confidence, p3.confidence);
  for (const auto& p : d.plans) {
    EXPECT_EQ(p.source, "rules/memory");
    EXPECT_FALSE(p.title.empty());
    EXPECT_FALSE(p.expected_effect.empty());
  }
}

TEST(MemoryRules, JustificationCitesTheEvidence) {
  checkout c;
  auto d = c.plan();
  ASSERT_FALSE(d.plans.empty());
  const auto& j = d.plans[0].justification;
  for (const auto* needle :
       {"memory limit 768Mi, request 512Mi",
        "Working set over 7d: p50 600Mi, p95 700Mi, p99 740Mi, max 760Mi "
        "(10080 samples)",
        "Peak 760Mi is 99% of the limit",
        "2 of 3 pods last terminated OOMKilled",
        "checkout-7d9f8c6b5-x2x8q 4, checkout-7d9f8c6b5-k4wz9 5, "
        "checkout-7d9f8c6b5-p7n2m 2 (total 11)",
        "2 OOM events", "Sizing (OOM kill, window 7d)",
        "new limit = round_up(max(limit 768Mi × 1.25 = 960Mi, limit 768Mi + "
        "100Mi = 868Mi, peak 760Mi × 1.15 = 874Mi)) = 960Mi"})
    EXPECT_TRUE(contains(j, needle)) << needle << "\nin: " << j;
  EXPECT_TRUE(contains(d.plans[1].justification,
                       "Request = min(limit, max(current request 512Mi, "
                       "round_up(p95 700Mi × 1.15) = 832Mi)) = 832Mi"))
    << d.plans[1].justification;
}

TEST(MemoryRules, RiskRollbackAlternatives) {
  checkout c;
  auto d = c.plan();
  ASSERT_EQ(d.plans.size(), 3u);
  const auto& p1 = d.plans[0];
  EXPECT_TRUE(contains(p1.risk, "restarts all 3 pods of Deployment "
                                "shop/checkout"))
    << p1.risk;
  EXPECT_TRUE(contains(p1.risk, "requests.memory +1344Mi ((960Mi − 512Mi) × "
                                "3), limits.memory +576Mi ((960Mi − 768Mi) × "
                                "3)"))
    << p1.risk;
  EXPECT_EQ(p1.rollback, "Revert the merge request: container app back to "
                         "memory_limit 768Mi, memory_request 512Mi.");
  ASSERT_GE(p1.alternatives.size(), 3u);
  EXPECT_TRUE(contains(p1.alternatives[0], "p2 (limit 960Mi, request 832Mi)"));
  bool scaling = false;
  for (const auto& alt : p1.alternatives)
    scaling = scaling || contains(alt, "Scaling replicas: rejected");
  EXPECT_TRUE(scaling);
  // p2 adds less against the requests quota.
  EXPECT_TRUE(contains(d.plans[1].risk, "requests.memory +960Mi ((832Mi − "
                                        "512Mi) × 3)"))
    << d.plans[1].risk;
}

// -- table-driven sizing ------------------------------------------------------

struct sizing_case {
  const char* name;
  alert_type type;
  const char* request;
  const char* limit;
  double peak_mi;
  const char* expected_limit;
};

class MemoryRulesSizing : public ::testing::TestWithParam<sizing_case> {};

TEST_P(MemoryRulesSizing, ExactLimit) {
  const auto& tc = GetParam();
  checkout c;
  c.alert.type = tc.type;
  if (tc.type == alert_type::memory_pressure)
    for (auto& pod : c.bundle.pods)
      pod.containers[0].last_termination_reason.clear();
  c.set_memory(tc.request, tc.limit);
  c.set_metrics(tc.peak_mi, tc.peak_mi * 0.9);
  auto d = c.plan();
  ASSERT_EQ(d.kind, decision_kind::fix) << tc.name << ": " << d.reason;
  ASSERT_FALSE(d.plans.empty());
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), tc.expected_limit)
    << tc.name << "\n"
    << d.plans[0].justification;
  EXPECT_EQ(d.plans[0].actions[0].param("memory_request"), tc.expected_limit);
  EXPECT_GE(d.plans.size(), 2u) << tc.name;
}

INSTANTIATE_TEST_SUITE_P(
  MemoryRules, MemoryRulesSizing,
  ::testing::Values(
    // OOM: max(limit × 1.25, limit + 100Mi, peak × 1.15), rounded up.
    sizing_case{"oom 768Mi ratio wins", alert_type::oom_killed, "512Mi",
                "768Mi", 760, "960Mi"},
    sizing_case{"oom 256Mi min bump wins", alert_type::oom_killed, "128Mi",
                "256Mi", 250, "384Mi"}, // 356Mi -> 32Mi grid
    sizing_case{"oom 1Gi", alert_type::oom_killed, "512Mi", "1Gi", 1000,
                "1280Mi"},
    sizing_case{"oom 2Gi", alert_type::oom_killed, "2Gi", "2Gi", 2000,
                "2560Mi"}, // 256Mi grid above 2Gi
    sizing_case{"oom 600Mi", alert_type::oom_killed, "300Mi", "600Mi", 590,
                "768Mi"}, // 750Mi -> 64Mi grid
    sizing_case{"oom peak wins", alert_type::oom_killed, "400Mi", "400Mi", 480,
                "576Mi"}, // 552Mi -> 576Mi
    sizing_case{"oom 6Gi", alert_type::oom_killed, "4Gi", "6Gi", 6000,
                "7680Mi"},
    sizing_case{"oom no limit: on the peak", alert_type::oom_killed, nullptr,
                nullptr, 400, "512Mi"}, // max(500, 500, 460)Mi
    // Pressure: max(peak / 0.75, limit × 1.2), rounded up.
    sizing_case{"pressure 1Gi", alert_type::memory_pressure, "512Mi", "1Gi",
                900, "1280Mi"}, // max(1200Mi, 1228.8Mi) -> 1280Mi
    sizing_case{"pressure 512Mi", alert_type::memory_pressure, "256Mi", "512Mi",
                480, "640Mi"},
    sizing_case{"pressure 4Gi", alert_type::memory_pressure, "2Gi", "4Gi", 3900,
                "5376Mi"}, // 5200Mi -> 256Mi grid
    sizing_case{"pressure no limit", alert_type::memory_pressure, "256Mi",
                nullptr, 300, "416Mi"})); // 400Mi -> 416Mi

// -- caps ---------------------------------------------------------------------

TEST(MemoryRules, NamespaceCapClampsWhenEvidenceAllows) {
  checkout c;
  c.policy.namespace_max_memory_bytes["shop"] = 900 * mib;
  auto d = c.plan();
  ASSERT_EQ(d.kind, decision_kind::fix) << d.reason;
  // 960Mi > 900Mi cap; round_down(900Mi) = 896Mi still clears 874Mi.
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), "896Mi");
  EXPECT_TRUE(contains(d.plans[0].justification,
                       "Capped to 896Mi by the cap 900Mi for namespace shop"))
    << d.plans[0].justification;
}

TEST(MemoryRules, NamespaceCapBelowEvidenceEscalates) {
  checkout c;
  c.policy.namespace_max_memory_bytes["shop"] = 850 * mib;
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_EQ(d.reason,
            "the cap 850Mi for namespace shop is below what the evidence "
            "requires: peak 760Mi × 1.15 = 874Mi (new limit = "
            "round_up(max(limit 768Mi × 1.25 = 960Mi, limit 768Mi + 100Mi = "
            "868Mi, peak 760Mi × 1.15 = 874Mi)) = 960Mi)");
  ASSERT_EQ(d.plans.size(), 1u);
  EXPECT_EQ(d.plans[0].actions[0].type, action_type::escalate);
  EXPECT_EQ(d.plans[0].actions[0].param("reason"), d.reason);
}

TEST(MemoryRules, IncreaseFactorCapBelowEvidenceEscalates) {
  checkout c;
  c.policy.max_memory_increase_factor = 1.1;
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_TRUE(contains(d.reason, "the cap 844.8Mi (1.1 × current limit "
                                 "768Mi) is below what the evidence requires: "
                                 "peak 760Mi × 1.15 = 874Mi"))
    << d.reason;
}

TEST(MemoryRules, IncreaseFactorCapClamps) {
  checkout c;
  c.set_memory("1Gi", "1Gi");
  c.set_metrics(1000);
  c.policy.max_memory_increase_factor = 1.2; // cap 1228.8Mi < 1280Mi
  auto d = c.plan();
  ASSERT_EQ(d.kind, decision_kind::fix) << d.reason;
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), "1216Mi");
}

// -- missing evidence ---------------------------------------------------------

TEST(MemoryRules, NoMetricsNoOomEscalates) {
  checkout c;
  c.alert.type = alert_type::memory_pressure;
  c.bundle.metrics.clear();
  for (auto& pod : c.bundle.pods)
    pod.containers[0].last_termination_reason.clear();
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_EQ(d.reason, "no working-set metrics for container app");
}

TEST(MemoryRules, NoMetricsButOomKillSizesFromTheLimit) {
  checkout c;
  c.bundle.metrics.clear();
  auto d = c.plan();
  ASSERT_EQ(d.kind, decision_kind::fix) << d.reason;
  ASSERT_EQ(d.plans.size(), 3u);
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), "960Mi");
  EXPECT_EQ(d.plans[1].actions[0].param("memory_request"), "512Mi");
  EXPECT_EQ(d.plans[2].actions[0].param("memory_limit"), "896Mi");
  EXPECT_LE(d.plans[0].confidence, 0.6);
  EXPECT_TRUE(contains(d.plans[0].justification,
                       "No working-set metrics for the container"));
}

TEST(MemoryRules, NoMetricsNoLimitEscalates) {
  checkout c;
  c.bundle.metrics.clear();
  c.set_memory("512Mi", nullptr);
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_EQ(d.reason, "no working-set metrics for container app and no "
                      "memory limit to size from");
}

TEST(MemoryRules, NoWorkloadEscalates) {
  checkout c;
  c.bundle.workload_found = false;
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_EQ(d.reason,
            "workload Deployment shop/checkout not found; nothing to size");
}

TEST(MemoryRules, UnknownContainerEscalates) {
  checkout c;
  c.alert.container = "worker";
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_EQ(d.reason, "container worker is not in Deployment shop/checkout");
}

TEST(MemoryRules, OtherAlertTypesEscalate) {
  checkout c;
  c.alert.type = alert_type::cpu_throttling;
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_EQ(d.reason, "memory rules do not handle alert type cpu_throttling");
}

TEST(MemoryRules, InvalidCurrentQuantityEscalates) {
  checkout c;
  c.set_memory("512Mi", "768m");
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_TRUE(contains(d.reason, "\"768m\" uses the suffix \"m\"")) << d.reason;
}

TEST(MemoryRules, PressureWellBelowLimitIsNoAction) {
  checkout c;
  c.alert.type = alert_type::memory_pressure;
  for (auto& pod : c.bundle.pods)
    pod.containers[0].last_termination_reason.clear();
  c.set_memory("512Mi", "1Gi");
  c.set_metrics(600);
  auto d = c.plan();
  EXPECT_EQ(d.kind, decision_kind::no_action);
  EXPECT_TRUE(d.plans.empty());
  EXPECT_TRUE(contains(d.reason, "working-set peak 600Mi is 59% of the 1Gi "
                                 "limit"))
    << d.reason;
}

TEST(MemoryRules, PressureWithOomKillsUsesOomSizing) {
  checkout c;
  c.alert.type = alert_type::memory_pressure;
  auto d = c.plan();
  ASSERT_EQ(d.kind, decision_kind::fix);
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), "960Mi");
  EXPECT_TRUE(contains(d.plans[0].justification, "Sizing (OOM kill"));
}

// -- container choice ---------------------------------------------------------

TEST(MemoryRules, PicksTheOomKilledContainer) {
  checkout c;
  c.alert.container.clear();
  container_spec sidecar;
  sidecar.name = "envoy";
  sidecar.requests = {{"memory", "64Mi"}};
  sidecar.limits = {{"memory", "128Mi"}};
  c.bundle.workload.containers.push_back(sidecar);
  for (auto& pod : c.bundle.pods) {
    pod.containers[0].last_termination_reason.clear();
    container_status st;
    st.name = "envoy";
    st.restart_count = 3;
    st.last_termination_reason = "OOMKilled";
    pod.containers.push_back(st);
  }
  c.bundle.metrics.push_back(
    working_set("envoy", "7d", mi(90), mi(110), mi(120), mi(126)));
  EXPECT_EQ(pick_memory_container(c.alert, c.bundle), "envoy");
  auto d = c.plan();
  ASSERT_EQ(d.kind, decision_kind::fix) << d.reason;
  EXPECT_EQ(d.plans[0].actions[0].container, "envoy");
  // max(128Mi × 1.25 = 160Mi, 128Mi + 100Mi = 228Mi, 126Mi × 1.15 =
  // 144.9Mi) -> 256Mi on the 32Mi grid, exactly the 2 × 128Mi cap.
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), "256Mi");
}

TEST(MemoryRules, PicksTheHighestWorkingSetRatio) {
  checkout c;
  c.alert.container.clear();
  for (auto& pod : c.bundle.pods)
    pod.containers[0].last_termination_reason.clear();
  container_spec sidecar;
  sidecar.name = "envoy";
  sidecar.limits = {{"memory", "256Mi"}};
  c.bundle.workload.containers.insert(c.bundle.workload.containers.begin(),
                                      sidecar);
  c.bundle.metrics.push_back(
    working_set("envoy", "7d", mi(90), mi(100), mi(110), mi(120)));
  EXPECT_EQ(pick_memory_container(c.alert, c.bundle), "app");
}

TEST(MemoryRules, EvidenceCollection) {
  checkout c;
  auto ev = collect_memory_evidence(c.bundle, "app");
  EXPECT_EQ(ev.limit, 768 * mib);
  EXPECT_EQ(ev.request, 512 * mib);
  EXPECT_EQ(ev.peak, 760 * mib);
  EXPECT_EQ(ev.p95, 700 * mib);
  EXPECT_EQ(ev.pods, 3);
  EXPECT_EQ(ev.oom_killed_pods, 2);
  EXPECT_EQ(ev.total_restarts, 11);
  EXPECT_EQ(ev.oom_events, 2);
  ASSERT_TRUE(ev.long_window);
  EXPECT_EQ(ev.long_window->window, "7d");
  ASSERT_TRUE(ev.short_window);
}

} // namespace
} // namespace kfix::reasoning
