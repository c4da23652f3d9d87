#include "actors/context/metric_summary.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>

namespace kfix::context {
namespace {

using json = nlohmann::json;

/// A v1 query series with `points` ([ts_s, value], ...).
json series(const std::string& metric, const std::string& scope, json unit,
            std::vector<std::pair<int64_t, double>> points,
            const char* aggr = "max") {
  json pointlist = json::array();
  for (auto [ts, v] : points)
    pointlist.push_back(json::array({ts * 1000.0, v}));
  return json{{"metric", metric},
              {"scope", scope},
              {"aggr", aggr},
              {"unit", unit},
              {"pointlist", pointlist}};
}

json unit(const char* family, const char* name, double scale) {
  return json::array(
    {json{{"family", family}, {"name", name}, {"scale_factor", scale}},
     nullptr});
}

std::string response(std::vector<json> xs) {
  return json{{"status", "ok"}, {"series", xs}}.dump();
}

const series_summary* find(const std::vector<series_summary>& xs,
                           const std::string& metric,
                           const std::string& container = "") {
  for (const auto& s : xs)
    if (s.metric == metric && s.container == container)
      return &s;
  return nullptr;
}

TEST(MetricSummary, UnitsAreNormalisedByScaleFactor) {
  auto body = response({
    series("kubernetes.cpu.usage.total", "kube_container_name:app",
           unit("cpu", "nanocore", 1e-9), {{1, 5e8}, {2, 1.5e9}}),
    series("kubernetes.memory.usage", "kube_container_name:app",
           unit("bytes", "kibibyte", 1024), {{1, 1024}}),
    series("trace.http.request", "service:api,env:prod",
           unit("time", "millisecond", 0.001), {{1, 250}}, "p99"),
  });
  auto sums = summarise_metric_response(body, "1h");
  ASSERT_TRUE(sums) << render(sums.error());
  const auto* cpu = find(*sums, "kubernetes.cpu.usage.total", "app");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->unit, "core");
  EXPECT_DOUBLE_EQ(cpu->max, 1.5);
  EXPECT_DOUBLE_EQ(cpu->p50, 0.5);
  EXPECT_EQ(cpu->aggregation, "max");
  const auto* mem = find(*sums, "kubernetes.memory.usage", "app");
  ASSERT_NE(mem, nullptr);
  EXPECT_EQ(mem->unit, "byte");
  EXPECT_DOUBLE_EQ(mem->max, 1024.0 * 1024);
  const auto* latency = find(*sums, "trace.http.request");
  ASSERT_NE(latency, nullptr);
  EXPECT_EQ(latency->service, "api");
  EXPECT_EQ(latency->unit, "second");
  EXPECT_EQ(latency->aggregation, "p99");
  EXPECT_DOUBLE_EQ(latency->max, 0.25);
}

TEST(MetricSummary, DefaultUnitsWithoutAUnitInTheResponse) {
  auto body = response({
    series("kubernetes.cpu.usage.total", "kube_container_name:app", nullptr,
           {{1, 2e9}}),
    series("kubernetes.cpu.cfs.throttled.seconds", "kube_container_name:app",
           nullptr, {{1, 0.2}}),
    series("kubernetes.cpu.cfs.periods", "kube_container_name:app", nullptr,
           {{1, 10}}),
    series("trace.web.request.hits", "service:api", nullptr, {{1, 3}}, "sum"),
    series("kubernetes.containers.restarts", "kube_container_name:app", nullptr,
           {{1, 4}}),
    series("kubernetes.ephemeral_storage.usage", "kube_container_name:N/A",
           nullptr, {{1, 5e9}}),
  });
  auto sums = summarise_metric_response(body, "7d");
  ASSERT_TRUE(sums);
  EXPECT_EQ(find(*sums, "kubernetes.cpu.usage.total", "app")->unit, "core");
  EXPECT_DOUBLE_EQ(find(*sums, "kubernetes.cpu.usage.total", "app")->max, 2);
  EXPECT_EQ(find(*sums, "kubernetes.cpu.cfs.throttled.seconds", "app")->unit,
            "second/second");
  EXPECT_EQ(find(*sums, "kubernetes.cpu.cfs.periods", "app")->unit,
            "per_second");
  EXPECT_EQ(find(*sums, "trace.web.request.hits")->unit, "per_second");
  EXPECT_EQ(find(*sums, "kubernetes.containers.restarts", "app")->unit,
            "count");
  // `N/A` (no container tag) is pod level: container "".
  const auto* eph = find(*sums, "kubernetes.ephemeral_storage.usage");
  ASSERT_NE(eph, nullptr);
  EXPECT_EQ(eph->unit, "byte");
}

TEST(MetricSummary, ThrottledRatioPointByPoint) {
  auto body = response({
    series("kubernetes.cpu.cfs.throttled.periods", "kube_container_name:app",
           nullptr, {{1, 2}, {2, 5}, {3, 9}, {4, 1}}),
    series("kubernetes.cpu.cfs.periods", "kube_container_name:app", nullptr,
           {{1, 10}, {2, 10}, {3, 10}, {4, 0}}),
    series("kubernetes.cpu.cfs.throttled.periods", "kube_container_name:db",
           nullptr, {{1, 1}}),
  });
  auto sums = summarise_metric_response(body, "1h");
  ASSERT_TRUE(sums);
  const auto* ratio = find(*sums, "kubernetes.cpu.cfs.throttled.ratio", "app");
  ASSERT_NE(ratio, nullptr);
  EXPECT_EQ(ratio->unit, "fraction");
  EXPECT_EQ(ratio->aggregation, "derived");
  // The point with zero periods is skipped.
  EXPECT_EQ(ratio->samples, 3);
  EXPECT_DOUBLE_EQ(ratio->max, 0.9);
  EXPECT_DOUBLE_EQ(ratio->p50, 0.5);
  EXPECT_DOUBLE_EQ(ratio->last, 0.9);
  // No periods series for db: no ratio.
  EXPECT_EQ(find(*sums, "kubernetes.cpu.cfs.throttled.ratio", "db"), nullptr);
}

TEST(MetricSummary, ErrorRatePerServiceAndOperation) {
  auto body = response({
    series("trace.http.request.hits", "service:api,env:prod", nullptr,
           {{1, 100}, {2, 200}}, "sum"),
    series("trace.http.request.errors", "service:api,env:prod", nullptr,
           {{1, 1}, {2, 50}}, "sum"),
  });
  auto sums = summarise_metric_response(body, "1h");
  ASSERT_TRUE(sums);
  context_bundle b;
  b.metrics = *sums;
  const auto* rate
    = b.find_service_metric("trace.http.request.error_rate", "api", "1h");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->unit, "fraction");
  EXPECT_DOUBLE_EQ(rate->max, 0.25);
  EXPECT_DOUBLE_EQ(rate->p50, 0.01);
  EXPECT_EQ(b.find_metric("trace.http.request.error_rate", "", "1h"), nullptr);
}

TEST(MetricSummary, MetricFromExpressionAndNullPoints) {
  json s{{"expression", "max:kubernetes.memory.rss{kube_container_name:app}"},
         {"scope", "kube_container_name:app"},
         {"pointlist", json::array({json::array({1000.0, nullptr}),
                                    json::array({2000.0, 7.0})})}};
  auto parsed = parse_metric_response(response({s}));
  ASSERT_TRUE(parsed);
  ASSERT_EQ(parsed->size(), 1u);
  EXPECT_EQ((*parsed)[0].metric, "kubernetes.memory.rss");
  EXPECT_EQ((*parsed)[0].aggregation, "max");
  EXPECT_EQ((*parsed)[0].points.size(), 1u);
  EXPECT_FALSE(parse_metric_response("{\"series\": 3}"));
}

} // namespace
} // namespace kfix::context
