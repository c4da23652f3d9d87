#include "actors/patch/patch_synthesis.hpp"
#include "actors/safety/dry_run.hpp"
#include "eval/sim/incident.hpp"
#include "eval/sim/k8s_simulator.hpp"
#include "tests/unit/patch/patch_test_support.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

// The dry-run targets of a synthesised patch, sent by the safety layer to
// the simulated API server of an eval incident.

namespace {

using namespace kfix;
using namespace kfix::patch_test;
namespace fs = std::filesystem;

const std::string base_url = "https://k8s.test";

/// An HTTP client answering from the simulated Kubernetes API.
class sim_client : public http::client {
public:
  explicit sim_client(const sim::k8s_simulator& api) : api_(api) {}

  caf::expected<http::incoming> send(const http::outgoing& req) override {
    sent.push_back(req);
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [k, v] : req.headers)
      headers.emplace_back(k, v);
    auto resp = api_.handle(sim::test::make_request(
      req.method, req.url.substr(base_url.size()), req.body, headers));
    http::incoming in;
    in.status = resp.status;
    in.body = resp.body;
    return in;
  }

  std::vector<caf::expected<http::incoming>>
  send_all(const std::vector<http::outgoing>& reqs) override {
    std::vector<caf::expected<http::incoming>> out;
    for (const auto& r : reqs)
      out.push_back(send(r));
    return out;
  }

  std::vector<http::outgoing> sent;

private:
  const sim::k8s_simulator& api_;
};

struct incident_api {
  sim::recorded_incident inc;
  sim::cluster_state state;
};

incident_api load(const std::string& id) {
  incident_api out;
  auto inc = sim::load_incident(
    fs::path{KFIX_SOURCE_DIR} / "datasets/eval" / id, out.state);
  EXPECT_TRUE(inc) << render(inc.error());
  if (inc)
    out.inc = std::move(*inc);
  return out;
}

/// The incident cpusat-orders-api-hpa (a Deployment with an HPA) and its
/// simulated API server.
class DryRunTargets : public testing::Test {
protected:
  DryRunTargets()
    : incident(load("cpusat-orders-api-hpa")), api(incident.state),
      client(api) {}

  /// A plan changing the workload's memory request and its HPA.
  patch synthesize(const std::string& memory_request) {
    const auto& inc = incident.inc;
    auto made = patching::synthesize_patch(
      plan_of(
        {act(action_type::set_resources, "app",
             {{"memory_request", memory_request}}),
         act(action_type::set_hpa, "",
             {{"min_replicas", "7"}, {"target_memory_utilization", "75"}})}),
      inc.workload, inc.gitops_files, {inc.env, inc.received_at});
    EXPECT_TRUE(made) << render(made.error());
    return made ? *made : patch{};
  }

  check_result dry_run(const std::vector<dry_run_target>& targets) {
    return safety::dry_run_targets(client, base_url, {}, targets,
                                   std::chrono::seconds{1});
  }

  incident_api incident;
  sim::k8s_simulator api;
  sim_client client;
};

TEST_F(DryRunTargets, WorkloadAndHpaAreBothDryRun) {
  auto made = synthesize("1536Mi");
  ASSERT_EQ(made.dry_run_targets.size(), 2u);
  EXPECT_EQ(made.dry_run_targets[0].path,
            "/apis/apps/v1/namespaces/orders/deployments/orders-api");
  EXPECT_EQ(made.dry_run_targets[1].path,
            "/apis/autoscaling/v2/namespaces/orders/horizontalpodautoscalers/"
            "orders-api");
  auto check = dry_run(made.dry_run_targets);
  EXPECT_TRUE(check.passed) << check.detail;
  EXPECT_EQ(check.rule, "dry_run");
  EXPECT_NE(check.detail.find("horizontalpodautoscalers/orders-api"),
            std::string::npos)
    << check.detail;
  ASSERT_EQ(client.sent.size(), 2u);
  for (const auto& req : client.sent) {
    EXPECT_EQ(req.method, "PATCH");
    EXPECT_NE(req.url.find("?dryRun=All"), std::string::npos) << req.url;
    auto type
      = std::find(req.headers.begin(), req.headers.end(),
                  std::pair<std::string, std::string>{
                    "Content-Type", "application/strategic-merge-patch+json"});
    EXPECT_NE(type, req.headers.end());
  }
}

TEST_F(DryRunTargets, ARefusalNamesTheObject) {
  // A request above the 2Gi limit: the API server refuses it (422).
  auto made = synthesize("3Gi");
  auto check = dry_run(made.dry_run_targets);
  EXPECT_FALSE(check.passed);
  EXPECT_NE(check.detail.find("/deployments/orders-api: server-side dry run "
                              "refused (HTTP 422)"),
            std::string::npos)
    << check.detail;
  // The workload's patch alone, the way plans without targets are checked.
  auto single
    = safety::dry_run_patch(client, base_url, {}, incident.inc.workload,
                            made.k8s_patch, std::chrono::seconds{1});
  EXPECT_FALSE(single.passed);
  EXPECT_EQ(single.detail.rfind("server-side dry run refused (HTTP 422)", 0),
            0u)
    << single.detail;
  EXPECT_FALSE(dry_run({}).passed);
}

} // namespace
