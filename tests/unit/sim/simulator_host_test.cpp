#include "eval/sim/simulator_host.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kfix;
using namespace kfix::sim;
using namespace kfix::sim::test;
using ::testing::ElementsAre;
using json = nlohmann::json;

namespace {

const std::vector<std::pair<std::string, std::string>> keys{
  {"DD-API-KEY", "k"}, {"DD-APPLICATION-KEY", "a"}};

class SimHost : public ::testing::Test {
protected:
  SimHost() {
    for (auto id : {"sim-checkout-oom", "sim-checkout-later"}) {
      auto inc = load_incident(data_dir() / id);
      EXPECT_TRUE(inc) << render(inc.error());
      if (inc) {
        auto err = host.add_incident(*inc);
        EXPECT_FALSE(err) << render(err);
      }
    }
  }

  simulator_host host;
};

} // namespace

TEST_F(SimHost, RoutesByIncidentId) {
  EXPECT_THAT(host.incident_ids(),
              ElementsAre("sim-checkout-later", "sim-checkout-oom"));
  EXPECT_EQ(simulator_host::base_path("sim-checkout-oom"),
            "/i/sim-checkout-oom");
  auto image = [&](const std::string& id) {
    auto resp = host.handle_kubernetes(
      make_request("GET", simulator_host::base_path(id)
                            + "/apis/apps/v1/namespaces/shop/deployments/"
                              "checkout"));
    EXPECT_EQ(resp.status, 200) << resp.body;
    return body_of(resp)["spec"]["template"]["spec"]["containers"][0]["image"]
      .get<std::string>();
  };
  EXPECT_EQ(image("sim-checkout-oom"), "registry/checkout:1.4.2");
  EXPECT_EQ(image("sim-checkout-later"), "registry/checkout:1.4.3");
  // Query strings survive the prefix stripping, with or without a parsed
  // path.
  auto list = host.handle_kubernetes(make_request(
    "GET", "/i/sim-checkout-oom/api/v1/namespaces/shop/pods?labelSelector="
           "track"));
  EXPECT_EQ(body_of(list)["items"].size(), 1u);
  http::request raw;
  raw.method = "GET";
  raw.target = "/i/sim-checkout-oom/api/v1/namespaces/shop/pods?limit=1";
  EXPECT_EQ(body_of(host.handle_kubernetes(raw))["items"].size(), 1u);
}

TEST_F(SimHost, UnknownIncidentsGetTheApisErrorShape) {
  auto k8s = host.handle_kubernetes(
    make_request("GET", "/i/nope/api/v1/namespaces/shop/pods"));
  EXPECT_EQ(k8s.status, 404);
  EXPECT_EQ(body_of(k8s)["message"],
            "the server could not find the requested resource");
  EXPECT_EQ(body_of(k8s)["kind"], "Status");
  auto dd = host.handle_datadog(make_request(
    "GET", "/i/nope/api/v1/query?from=1&to=2&query=m%7B*%7D", {}, keys));
  EXPECT_EQ(dd.status, 404);
  EXPECT_EQ(body_of(dd), json::parse(R"({"errors":["Not found"]})"));
  EXPECT_EQ(host.handle_kubernetes(make_request("GET", "/api/v1/pods")).status,
            404);
  EXPECT_EQ(host.handle_kubernetes(make_request("GET", "/i/")).status, 404);
}

TEST_F(SimHost, ServesDatadogPerIncident) {
  auto resp = host.handle_datadog(make_request(
    "GET",
    "/i/sim-checkout-oom/api/v1/query?from=1773482400&to=1773482640&query="
      + percent_encode("max:kubernetes.memory.working_set{kube_namespace:"
                       "payments}"),
    {}, keys));
  ASSERT_EQ(resp.status, 200) << resp.body;
  EXPECT_EQ(body_of(resp)["series"][0]["pointlist"].size(), 5u);
  // Relative log times count from the alert (10:02:11, after the newest
  // log): now-15m starts at 09:47:11.
  EXPECT_EQ(host.datadog("sim-checkout-oom")->now(), 1773482531000);
  auto logs = host.handle_datadog(
    make_request("POST", "/i/sim-checkout-oom/api/v2/logs/events/search",
                 R"({"page":{"limit":100}})", keys));
  ASSERT_EQ(logs.status, 200);
  EXPECT_EQ(body_of(logs)["data"].size(), 11u);
  auto empty = host.handle_datadog(make_request(
    "POST", "/i/sim-checkout-later/api/v2/logs/events/search", "{}", keys));
  EXPECT_EQ(body_of(empty)["data"], json::array());
}

TEST_F(SimHost, FindsTheLatestIncidentOfAWorkload) {
  EXPECT_EQ(host.find_incident({"Deployment", "shop", "checkout"}),
            "sim-checkout-later");
  EXPECT_EQ(host.find_incident({"", "shop", "checkout"}), "sim-checkout-later");
  EXPECT_EQ(host.find_incident({"StatefulSet", "shop", "checkout"}),
            std::nullopt);
  EXPECT_EQ(host.find_incident({"Deployment", "payments", "checkout"}),
            std::nullopt);
  EXPECT_EQ(host.find_incident({"Deployment", "shop", "frontend"}),
            std::nullopt);
}

TEST_F(SimHost, ExposesSimulatorsForFaultInjection) {
  ASSERT_NE(host.kubernetes("sim-checkout-oom"), nullptr);
  EXPECT_EQ(host.kubernetes("nope"), nullptr);
  host.kubernetes("sim-checkout-oom")->fail_path("/api/v1", 503);
  auto resp = host.handle_kubernetes(
    make_request("GET", "/i/sim-checkout-oom/api/v1/namespaces/shop/pods"));
  EXPECT_EQ(resp.status, 503);
  auto other = host.handle_kubernetes(
    make_request("GET", "/i/sim-checkout-later/api/v1/namespaces/shop/pods"));
  EXPECT_EQ(other.status, 200);
}

TEST_F(SimHost, ReportsBrokenState) {
  recorded_incident inc;
  inc.id = "broken";
  inc.dir = data_dir() / "does-not-exist";
  auto err = host.add_incident(inc);
  ASSERT_TRUE(err);
  EXPECT_EQ(error_message(err), "broken: state/: missing");
}

TEST(SimHostSamples, ServesEverySampleWorkload) {
  auto samples
    = std::filesystem::path{KFIX_SOURCE_DIR} / "datasets" / "samples";
  if (!std::filesystem::exists(samples))
    GTEST_SKIP() << "no datasets/samples";
  simulator_host host;
  std::vector<recorded_incident> incidents;
  for (const auto& entry : std::filesystem::directory_iterator{samples}) {
    if (!std::filesystem::exists(entry.path() / "incident.yaml"))
      continue;
    cluster_state state;
    auto inc = load_incident(entry.path(), state);
    ASSERT_TRUE(inc) << render(inc.error());
    host.add_incident(*inc, std::move(state));
    incidents.push_back(std::move(*inc));
  }
  ASSERT_FALSE(incidents.empty());
  for (const auto& inc : incidents) {
    const auto& w = inc.workload;
    std::string group = w.kind == "Deployment" || w.kind == "StatefulSet"
                            || w.kind == "DaemonSet"
                          ? "/apis/apps/v1"
                          : "/api/v1";
    std::string resource = w.kind == "Deployment"    ? "deployments"
                           : w.kind == "StatefulSet" ? "statefulsets"
                                                     : "daemonsets";
    auto resp = host.handle_kubernetes(make_request(
      "GET", simulator_host::base_path(inc.id) + group + "/namespaces/" + w.ns
               + "/" + resource + "/" + w.name));
    EXPECT_EQ(resp.status, 200) << inc.id << ": " << resp.body;
    EXPECT_EQ(host.find_incident(w).has_value(), true);
  }
}
