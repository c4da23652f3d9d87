// The whole bundle over real HTTP against the simulators, on a hand-built
// state with every object kind the context reads, and the error answers of
// the APIs (403, 429 with rate-limit headers) on it.

#include "actors/common/http_client.hpp"
#include "actors/context/datadog_source.hpp"
#include "actors/context/k8s_source.hpp"
#include "tests/support/sim_world.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>

namespace kfix::context {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

class ContextRich : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    world_ = test::rich_world(id);
  }

  static void TearDownTestSuite() {
    world_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(world_->ok());
    world_->host().kubernetes(id)->clear_faults();
    world_->host().datadog(id)->clear_faults();
    http::client_config cfg;
    cfg.backoff_base = 10ms;
    client_ = http::make_curl_client(cfg);
  }

  context_bundle fetch(const datadog_config& cfg = {}) {
    auto deadline = clock_type::now() + 8s;
    auto scope = test::rich_scope();
    std::vector<context_part> parts;
    parts.push_back(fetch_kubernetes(*client_, world_->kubernetes_endpoint(id),
                                     scope, deadline));
    parts.push_back(fetch_datadog_metrics(
      *client_, world_->datadog_endpoint(id), scope, cfg, deadline));
    parts.push_back(fetch_datadog_logs(*client_, world_->datadog_endpoint(id),
                                       scope, cfg, deadline));
    return merge_context(std::move(parts));
  }

  static constexpr const char* id = "rich-api";
  static std::unique_ptr<test::sim_world> world_;
  std::shared_ptr<http::client> client_;
};

std::unique_ptr<test::sim_world> ContextRich::world_;

const config_reference* ref(const context_bundle& b, const std::string& name,
                            const std::string& key) {
  for (const auto& r : b.config_refs)
    if (r.name == name && r.key == key)
      return &r;
  return nullptr;
}

TEST_F(ContextRich, EveryPartOfTheBundle) {
  auto b = fetch();
  for (const auto& r : b.sources)
    EXPECT_EQ(r.status, source_status::ok) << r.source << ": " << r.reason;
  ASSERT_EQ(b.sources.size(), 12u);
  // Revisions: the Deployment's three, newest first, for rollback.
  ASSERT_EQ(b.revisions.size(), 3u);
  EXPECT_EQ(b.revisions[0].revision, 3);
  EXPECT_TRUE(b.revisions[0].current);
  EXPECT_EQ(b.revisions[1].containers.at(0).image, "registry/api:3.0");
  ASSERT_NE(b.newest_revision(), nullptr);
  EXPECT_EQ(b.newest_revision()->name, "api-7f");
  // Pods: the Pending one and the crash-looping one, both of revision 3.
  ASSERT_EQ(b.pods.size(), 2u);
  for (const auto& p : b.pods)
    EXPECT_EQ(p.template_hash, b.current_revision()->template_hash) << p.name;
  const auto& crashing = b.pods[0].phase == "Running" ? b.pods[0] : b.pods[1];
  EXPECT_EQ(crashing.containers.at(0).waiting_reason, "CrashLoopBackOff");
  EXPECT_EQ(crashing.containers.at(0).last_termination_message,
            "panic: config key missing");
  // Events, newest first, with first/last seen and count.
  ASSERT_EQ(b.events.size(), 3u); // the other pod's event is not kept
  EXPECT_EQ(b.events[0].reason, "FailedScheduling");
  EXPECT_EQ(b.events[0].first_seen, "2026-01-02T03:10:00Z");
  EXPECT_EQ(b.events[0].count, 9);
  EXPECT_EQ(b.events[0].source, "default-scheduler");
  // Namespace policy.
  ASSERT_EQ(b.limit_ranges.size(), 1u);
  EXPECT_EQ(b.limit_ranges[0].items.at(0).max_limit_request_ratio.at("memory"),
            "2");
  EXPECT_FALSE(b.quotas.empty());
  ASSERT_EQ(b.hpas.size(), 1u);
  EXPECT_EQ(b.hpa()->max_replicas, 4);
  EXPECT_EQ(b.hpa()->conditions.at(2).reason, "TooManyReplicas");
  ASSERT_EQ(b.pdbs.size(), 2u);
  EXPECT_EQ(b.pdbs[0].name, "api-pdb");
  // Nodes, because a pod is Pending.
  ASSERT_EQ(b.nodes.size(), 2u);
  EXPECT_EQ(b.nodes[0].name, "node-a");
  EXPECT_EQ(b.nodes[0].pods, 1);
  EXPECT_TRUE(b.nodes[1].unschedulable);
  // Config references: what exists, what is missing.
  EXPECT_EQ(ref(b, "api-db", "password")->status, "present");
  EXPECT_EQ(ref(b, "api-tls", "tls.crt")->status, "present");
  EXPECT_EQ(ref(b, "api-tls", "tls.key")->status, "key_missing");
  EXPECT_EQ(ref(b, "api-config", "features")->status, "key_missing");
  EXPECT_EQ(ref(b, "api-config", "")->status, "present");
  EXPECT_EQ(ref(b, "api-files", "")->status, "missing");
  EXPECT_EQ(ref(b, "api-extra", "")->status, "missing");
  EXPECT_TRUE(ref(b, "api-extra", "")->optional);
  EXPECT_EQ(ref(b, "registry-pull", "")->status, "present");
  // Metrics: throttling per container, APM per service, units normalised.
  const auto* ratio
    = b.find_metric(metric_names::cpu_throttled_ratio, "app", "1h");
  ASSERT_NE(ratio, nullptr);
  // 31 points at 0.8, 30 at 0.2 in the last hour.
  EXPECT_EQ(ratio->samples, 61);
  EXPECT_DOUBLE_EQ(ratio->max, 0.8);
  EXPECT_DOUBLE_EQ(ratio->p50, 0.8);
  EXPECT_DOUBLE_EQ(ratio->last, 0.8);
  EXPECT_EQ(
    b.find_metric(metric_names::cpu_throttled_ratio, "app", "7d")->samples,
    121);
  const auto* cpu = b.find_metric(metric_names::cpu_usage, "app", "7d");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->unit, "core");
  EXPECT_DOUBLE_EQ(cpu->max, 0.95);
  const auto* errors
    = b.find_service_metric("trace.http.request.error_rate", "api", "1h");
  ASSERT_NE(errors, nullptr);
  EXPECT_DOUBLE_EQ(errors->max, 0.2);
  EXPECT_DOUBLE_EQ(errors->last, 0.2);
  const auto* latency
    = b.find_service_metric("trace.http.request", "api", "1h");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->aggregation, "p99");
  EXPECT_EQ(latency->unit, "second");
  EXPECT_DOUBLE_EQ(latency->max, 1.2);
  // Logs: error logs only, redacted, grouped.
  EXPECT_EQ(b.log_events_read, 13);
  ASSERT_EQ(b.logs.size(), 13u);
  EXPECT_EQ(b.logs[0].message,
            "login failed for <redacted> with password=<redacted>");
  ASSERT_EQ(b.log_patterns.size(), 2u);
  EXPECT_EQ(b.log_patterns[0].pattern,
            "upstream timeout after <num>ms calling orders-db");
  EXPECT_EQ(b.log_patterns[0].count, 12);
  EXPECT_EQ(b.log_patterns[0].first_seen, "2026-01-02T03:10:00Z");
  EXPECT_EQ(b.log_patterns[0].last_seen, "2026-01-02T03:14:09Z");
  // Nothing asked for that the simulators do not serve.
  EXPECT_TRUE(world_->host().kubernetes(id)->unknown_requests().empty());
  EXPECT_TRUE(world_->host().datadog(id)->unknown_requests().empty());
  // The bundle serialises.
  nlohmann::json j = b;
  EXPECT_EQ(j["revisions"][0]["revision"], 3);
  EXPECT_EQ(j["config_refs"].size(), b.config_refs.size());
  EXPECT_TRUE(j["workload"]["containers"][0]["liveness"].is_object());
}

TEST_F(ContextRich, ForbiddenHpaAndSecretsAreAnswers) {
  world_->host().kubernetes(id)->fail_path("/apis/autoscaling", 403);
  world_->host().kubernetes(id)->fail_path("/api/v1/namespaces/web/secrets",
                                           403);
  auto b = fetch();
  const auto* hpa = b.find_source("kubernetes.hpa");
  ASSERT_NE(hpa, nullptr);
  EXPECT_EQ(hpa->status, source_status::error);
  EXPECT_EQ(hpa->http_status, 403);
  EXPECT_NE(hpa->reason.find("horizontalpodautoscalers.autoscaling is "
                             "forbidden: User"),
            std::string::npos)
    << hpa->reason;
  EXPECT_TRUE(b.hpas.empty());
  // Secrets cannot be read, ConfigMaps can: partial, and the Secret
  // references say why they are unknown.
  const auto* config = b.find_source("kubernetes.config");
  EXPECT_EQ(config->status, source_status::partial);
  EXPECT_EQ(config->http_status, 403);
  EXPECT_EQ(ref(b, "api-db", "password")->status, "unknown");
  EXPECT_NE(ref(b, "api-db", "password")->reason.find("HTTP 403"),
            std::string::npos);
  EXPECT_EQ(ref(b, "api-files", "")->status, "missing");
  for (const auto& name : {"kubernetes.workload", "kubernetes.pods",
                           "kubernetes.revisions", "datadog.metrics"})
    EXPECT_EQ(b.find_source(name)->status, source_status::ok) << name;
}

TEST_F(ContextRich, RateLimitedLogsFollowTheHeaders) {
  // Always 429: the report says what the rate-limit headers said.
  world_->host().datadog(id)->fail_path("/api/v2/logs", 429);
  auto start = clock_type::now();
  auto b = fetch();
  const auto* logs = b.find_source("datadog.logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->status, source_status::error);
  EXPECT_EQ(logs->http_status, 429);
  EXPECT_NE(logs->reason.find("rate limit logs_query: 0 of 300 left per 3600 "
                              "s, resets in 1 s"),
            std::string::npos)
    << logs->reason;
  EXPECT_EQ(b.find_source("datadog.metrics")->status, source_status::ok);
  // Once: the client waits X-RateLimit-Reset (1 s) and the retry succeeds.
  world_->host().datadog(id)->clear_faults();
  world_->host().datadog(id)->fail_path("/api/v2/logs", 429, 1);
  start = clock_type::now();
  b = fetch();
  EXPECT_GE(clock_type::now() - start, 900ms);
  EXPECT_EQ(b.find_source("datadog.logs")->status, source_status::ok);
  EXPECT_EQ(b.logs.size(), 13u);
}

TEST_F(ContextRich, CappedLogsKeepPatternsOfEverythingRead) {
  datadog_config cfg;
  cfg.max_log_records = 3;
  cfg.max_log_patterns = 1;
  auto b = fetch(cfg);
  EXPECT_EQ(b.logs.size(), 3u);
  EXPECT_EQ(b.log_events_read, 13);
  ASSERT_EQ(b.log_patterns.size(), 1u);
  EXPECT_EQ(b.log_patterns[0].count, 12);
  EXPECT_EQ(b.find_source("datadog.logs")->status, source_status::ok);
}

} // namespace
} // namespace kfix::context
