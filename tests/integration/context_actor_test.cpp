// CONTEXT over the simulators: three FETCHERs, one deadline; a slow source
// is reported `timeout` and never holds the others past the deadline.

#include "actors/actors.hpp"
#include "actors/context/context_actor.hpp"
#include "tests/support/sim_world.hpp"

#include <caf/all.hpp>

#include <gtest/gtest.h>

#include <chrono>

namespace kfix {
namespace {

using namespace std::chrono_literals;

class ContextActor : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_TRUE(world_.ok());
    world_.add("ctx-api", {"Deployment", "web", "api"}, test::rich_alert_time_s,
               test::rich_state());
    auto cfg = std::make_shared<agent_config>();
    cfg->context_deadline = 1500ms;
    cfg->kubernetes.timeout = 3000ms;
    cfg->datadog.timeout = 3000ms;
    auto services = std::make_shared<pipeline_services>();
    services->cfg = cfg;
    services->http = http::make_curl_client();
    services->kubernetes_http = http::make_curl_client();
    services_ = services;
    auto alert = test::rich_scope();
    auto inc = std::make_shared<incident>();
    inc->id = 7;
    inc->alert.workload = alert.workload;
    inc->alert.service = alert.service;
    inc->alert.env = alert.env;
    inc->alert.date_ms = alert.alert_time_s * 1000;
    auto ep = std::make_shared<incident_endpoints>();
    ep->kubernetes_url = world_.kubernetes_url("ctx-api");
    ep->kubernetes_headers = {{"Authorization", "Bearer t"}};
    ep->datadog_url = world_.datadog_url("ctx-api");
    ep->datadog_headers = {{"DD-API-KEY", "k"}, {"DD-APPLICATION-KEY", "a"}};
    auto job = std::make_shared<incident_job>();
    job->incident = inc;
    job->endpoints = ep;
    job_ = job;
  }

  /// Asks CONTEXT for the bundle; returns it and how long it took.
  std::pair<bundle_ptr, std::chrono::milliseconds> fetch() {
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", size_t{2});
    caf::actor_system sys{cfg};
    auto ctx = sys.spawn(context_stage, services_);
    caf::scoped_actor self{sys};
    bundle_ptr result;
    auto start = std::chrono::steady_clock::now();
    self->request(ctx, 10s, atom::fetch::value, job_)
      .receive(
        [&](const bundle_ptr& b) {
          result = b;
        },
        [&](caf::error& err) {
          ADD_FAILURE() << render(err);
        });
    auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
    caf::anon_send_exit(ctx, caf::exit_reason::user_shutdown);
    return {result, took};
  }

  test::sim_world world_;
  services_ptr services_;
  job_ptr job_;
};

TEST_F(ContextActor, AllThreeSourcesInOneBundle) {
  auto [bundle, took] = fetch();
  ASSERT_NE(bundle, nullptr);
  EXPECT_TRUE(bundle->workload_found);
  EXPECT_EQ(bundle->sources.size(), 12u);
  for (const auto& s : bundle->sources)
    EXPECT_EQ(s.status, source_status::ok) << s.source << ": " << s.reason;
  EXPECT_FALSE(bundle->metrics.empty());
  EXPECT_FALSE(bundle->log_patterns.empty());
}

TEST_F(ContextActor, ASlowSourceDoesNotHoldTheOthers) {
  // The logs API answers after 3 s; the deadline is 1.5 s.
  world_.host().datadog("ctx-api")->delay_path("/api/v2/logs", 3s);
  auto [bundle, took] = fetch();
  ASSERT_NE(bundle, nullptr);
  EXPECT_LT(took, 3s);
  const auto* logs = bundle->find_source("datadog.logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->status, source_status::timeout) << logs->reason;
  EXPECT_EQ(bundle->find_source("datadog.metrics")->status, source_status::ok);
  EXPECT_EQ(bundle->find_source("kubernetes.workload")->status,
            source_status::ok);
  EXPECT_FALSE(bundle->metrics.empty());
  EXPECT_FALSE(bundle->pods.empty());
  EXPECT_TRUE(bundle->logs.empty());
}

} // namespace
} // namespace kfix
