#include "eval/sim/datadog_simulator.hpp"
#include "eval/sim/dd_metrics.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kfix;
using namespace kfix::sim;
using namespace kfix::sim::test;
using ::testing::ElementsAre;
using ::testing::StartsWith;
using json = nlohmann::json;

namespace {

constexpr int64_t t0 = 1773482400; // 2026-03-14T10:00:00Z

const std::vector<std::pair<std::string, std::string>> keys{
  {"DD-API-KEY", "k"}, {"DD-APPLICATION-KEY", "a"}};

class SimDatadogMetrics : public ::testing::Test {
protected:
  SimDatadogMetrics() : sim(test_state()) {}

  http::response query_raw(const std::string& query, int64_t from, int64_t to) {
    return sim.handle(make_request("GET",
                                   "/api/v1/query?from=" + std::to_string(from)
                                     + "&to=" + std::to_string(to)
                                     + "&query=" + percent_encode(query),
                                   {}, keys));
  }

  json query(const std::string& q, int64_t from = t0, int64_t to = t0 + 240) {
    auto resp = query_raw(q, from, to);
    EXPECT_EQ(resp.status, 200) << resp.body;
    return body_of(resp);
  }

  static std::vector<double> values(const json& series) {
    std::vector<double> result;
    for (const auto& p : series["pointlist"])
      result.push_back(p[1].get<double>());
    return result;
  }

  datadog_simulator sim;
};

} // namespace

TEST_F(SimDatadogMetrics, GroupsByTagsInTheV1Shape) {
  auto q = "avg:kubernetes.memory.working_set{kube_namespace:shop,"
           "kube_deployment:checkout,kube_container_name:app} by {pod_name}";
  auto body = query(q);
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["res_type"], "time_series");
  EXPECT_EQ(body["resp_version"], 1);
  EXPECT_EQ(body["query"], q);
  EXPECT_EQ(body["group_by"], json::array({"pod_name"}));
  EXPECT_EQ(body["from_date"], t0 * 1000);
  EXPECT_EQ(body["to_date"], (t0 + 240) * 1000);
  ASSERT_EQ(body["series"].size(), 2u);
  const auto& s = body["series"][0];
  auto scope = std::string{"kube_container_name:app,kube_deployment:checkout,"
                           "kube_namespace:shop,"
                           "pod_name:checkout-7d9f8c6b5-abcde"};
  EXPECT_EQ(s["metric"], "kubernetes.memory.working_set");
  EXPECT_EQ(s["display_name"], "kubernetes.memory.working_set");
  EXPECT_EQ(s["scope"], scope);
  EXPECT_EQ(s["expression"],
            "avg:kubernetes.memory.working_set{" + scope + "}");
  EXPECT_EQ(s["tag_set"], json::array({"pod_name:checkout-7d9f8c6b5-abcde"}));
  EXPECT_EQ(s["aggr"], "avg");
  EXPECT_EQ(s["interval"], 60);
  EXPECT_EQ(s["length"], 5);
  EXPECT_EQ(s["start"], t0 * 1000.0);
  EXPECT_EQ(s["end"], (t0 + 240) * 1000.0);
  EXPECT_EQ(s["pointlist"][0], json::array({t0 * 1000.0, 400e6}));
  EXPECT_THAT(values(s), ElementsAre(400e6, 420e6, 440e6, 460e6, 480e6));
  EXPECT_EQ(s["unit"][0]["family"], "bytes");
  EXPECT_EQ(s["unit"][0]["name"], "byte");
  EXPECT_TRUE(s["unit"][1].is_null());
  EXPECT_EQ(body["series"][1]["tag_set"],
            json::array({"pod_name:checkout-7d9f8c6b5-x2x8q"}));
  EXPECT_THAT(values(body["series"][1]),
              ElementsAre(500e6, 600e6, 700e6, 780e6, 800e6));
}

TEST_F(SimDatadogMetrics, SpaceAggregators) {
  auto sum = query("sum:kubernetes.memory.working_set{kube_deployment:"
                   "checkout}");
  ASSERT_EQ(sum["series"].size(), 1u);
  EXPECT_EQ(sum["series"][0]["scope"], "kube_deployment:checkout");
  EXPECT_EQ(sum["series"][0]["tag_set"], json::array());
  EXPECT_EQ(sum["series"][0]["expression"],
            "sum:kubernetes.memory.working_set{kube_deployment:checkout}");
  EXPECT_EQ(sum["group_by"], json::array());
  // The abcde sidecar has no value at t0+120.
  EXPECT_THAT(values(sum["series"][0]),
              ElementsAre(1110e6, 1230e6, 1240e6, 1450e6, 1490e6));
  auto max = query("max:kubernetes.memory.working_set{*} by "
                   "{kube_namespace}");
  ASSERT_EQ(max["series"].size(), 2u);
  EXPECT_EQ(max["series"][0]["scope"], "kube_namespace:payments");
  EXPECT_THAT(values(max["series"][0]), ElementsAre(3e8, 3e8, 3e8, 3e8, 3e8));
  EXPECT_THAT(values(max["series"][1]),
              ElementsAre(500e6, 600e6, 700e6, 780e6, 800e6));
  auto min = query("min:kubernetes.memory.working_set{kube_deployment:"
                   "checkout,!kube_container_name:istio-proxy}");
  EXPECT_THAT(values(min["series"][0]),
              ElementsAre(400e6, 420e6, 440e6, 460e6, 480e6));
}

TEST_F(SimDatadogMetrics, WildcardsAndDefaultAggregator) {
  auto wild = query("avg:kubernetes.memory.working_set{pod_name:"
                    "checkout-7d9f8c6b5-x*}");
  EXPECT_THAT(values(wild["series"][0]),
              ElementsAre(300e6, 350e6, 400e6, 440e6, 450e6));
  auto all = query("kubernetes.memory.working_set{*}");
  ASSERT_EQ(all["series"].size(), 1u);
  const auto& s = all["series"][0];
  EXPECT_TRUE(s["aggr"].is_null());
  EXPECT_EQ(s["scope"], "*");
  EXPECT_EQ(s["expression"], "kubernetes.memory.working_set{*}");
  EXPECT_DOUBLE_EQ(s["pointlist"][0][1].get<double>(), 1610e6 / 6);
}

TEST_F(SimDatadogMetrics, CutsTheWindow) {
  auto body = query("avg:kubernetes.memory.working_set{pod_name:"
                    "checkout-7d9f8c6b5-x2x8q,kube_container_name:app}",
                    t0 + 60, t0 + 120);
  ASSERT_EQ(body["series"].size(), 1u);
  EXPECT_EQ(body["series"][0]["pointlist"],
            json::parse("[[1773482460000.0, 600000000.0],"
                        " [1773482520000.0, 700000000.0]]"));
  EXPECT_EQ(body["series"][0]["length"], 2);
  auto outside
    = query("avg:kubernetes.memory.working_set{*}", t0 - 600, t0 - 60);
  EXPECT_EQ(outside["series"], json::array());
}

TEST_F(SimDatadogMetrics, RollupAndFunctions) {
  auto rolled = query("avg:kubernetes.memory.working_set{pod_name:"
                      "checkout-7d9f8c6b5-x2x8q,kube_container_name:app}"
                      ".rollup(max, 120)");
  const auto& s = rolled["series"][0];
  EXPECT_EQ(s["interval"], 120);
  EXPECT_THAT(values(s), ElementsAre(600e6, 780e6, 800e6));
  auto top = query("top(avg:kubernetes.memory.working_set{kube_namespace:"
                   "payments} by {pod_name}, 10, 'mean', 'desc')");
  ASSERT_EQ(top["series"].size(), 1u);
  EXPECT_EQ(top["series"][0]["tag_set"],
            json::array({"pod_name:ledger-5f6a7b8c9-zzzzz"}));
  auto two = query("sum:kubernetes.cpu.usage.total{pod_name:"
                   "checkout-7d9f8c6b5-abcde}, max:kubernetes.cpu.limits{*}");
  ASSERT_EQ(two["series"].size(), 2u);
  EXPECT_EQ(two["series"][0]["query_index"], 0);
  EXPECT_EQ(two["series"][1]["query_index"], 1);
  EXPECT_EQ(two["series"][0]["unit"][0]["name"], "nanocore");
  EXPECT_EQ(two["series"][0]["unit"][0]["scale_factor"], 1e-9);
  EXPECT_EQ(two["series"][1]["unit"][0]["name"], "core");
}

TEST_F(SimDatadogMetrics, UnknownMetricGivesNoSeries) {
  auto body = query("avg:kubernetes.nothing{*}");
  EXPECT_EQ(body["status"], "ok");
  EXPECT_EQ(body["series"], json::array());
}

TEST_F(SimDatadogMetrics, BadRequests) {
  auto missing = sim.handle(
    make_request("GET", "/api/v1/query?to=1&query=avg%3Am%7B*%7D", {}, keys));
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(body_of(missing),
            json::parse(R"({"errors":["Missing required parameter: from"]})"));
  auto bad = query_raw("avg:", t0, t0 + 60);
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(body_of(bad)["errors"][0].get<std::string>(),
              StartsWith("Error parsing query"));
  EXPECT_EQ(query_raw("avg:m{*}", t0 + 60, t0).status, 400);
  EXPECT_EQ(query_raw("median:m{*}", t0, t0 + 60).status, 400);
}

TEST_F(SimDatadogMetrics, NeedsBothKeys) {
  auto target = "/api/v1/query?from=1&to=2&query=m%7B*%7D";
  auto none = sim.handle(make_request("GET", target));
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(body_of(none), json::parse(R"({"errors":["Forbidden"]})"));
  auto one = sim.handle(make_request("GET", target, {}, {{"DD-API-KEY", "k"}}));
  EXPECT_EQ(one.status, 403);
  auto both = sim.handle(make_request("GET", target, {}, keys));
  EXPECT_EQ(both.status, 200);
}

TEST_F(SimDatadogMetrics, InjectsRateLimits) {
  sim.fail_path("/api/v1/query", 429, 1);
  auto limited = query_raw("avg:kubernetes.memory.working_set{*}", t0, t0 + 60);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(body_of(limited),
            json::parse(R"({"errors":["Too many requests"]})"));
  EXPECT_EQ(header_of(limited, "X-RateLimit-Limit"), "1600");
  EXPECT_EQ(header_of(limited, "X-RateLimit-Period"), "3600");
  EXPECT_EQ(header_of(limited, "X-RateLimit-Remaining"), "0");
  EXPECT_EQ(header_of(limited, "X-RateLimit-Reset"), "1");
  EXPECT_EQ(header_of(limited, "X-RateLimit-Name"), "metrics_query");
  EXPECT_EQ(
    query_raw("avg:kubernetes.memory.working_set{*}", t0, t0 + 60).status, 200);
  sim.fail_path("/api", 502);
  auto gateway = query_raw("avg:m{*}", t0, t0 + 60);
  EXPECT_EQ(gateway.status, 502);
  EXPECT_EQ(body_of(gateway)["errors"], json::array({"Bad Gateway"}));
  EXPECT_EQ(body_of(gateway)["statuspage"], "http://status.datadoghq.com");
}

TEST(SimDatadogMetricQuery, Parses) {
  auto q = parse_metric_query(
    "max:kubernetes.cpu.usage.total{kube_namespace:shop AND env:prod,"
    "!pod_name:x*} by {kube_deployment,pod_name}.rollup(sum, 300)");
  ASSERT_TRUE(q) << render(q.error());
  ASSERT_EQ(q->size(), 1u);
  const auto& m = q->front();
  EXPECT_EQ(m.aggregator, "max");
  EXPECT_EQ(m.metric, "kubernetes.cpu.usage.total");
  EXPECT_THAT(m.scope,
              ElementsAre("kube_namespace:shop", "env:prod", "!pod_name:x*"));
  EXPECT_THAT(m.group_by, ElementsAre("kube_deployment", "pod_name"));
  EXPECT_EQ(m.rollup_method, "sum");
  EXPECT_EQ(m.rollup_seconds, 300);
  EXPECT_TRUE(scope_matches(
    m.scope, {"kube_namespace:shop", "env:prod", "pod_name:y-1"}));
  EXPECT_FALSE(scope_matches(
    m.scope, {"kube_namespace:shop", "env:prod", "pod_name:x-1"}));
  EXPECT_FALSE(scope_matches(m.scope, {"kube_namespace:shop"}));
}
