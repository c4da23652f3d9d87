#include "actors/intake/alert_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kfix::intake {
namespace {

using strings = std::vector<std::string>;

TEST(AlertParserMonitorQuery, SimpleMultiAlert) {
  auto q = parse_monitor_query(
    "avg(last_5m):avg:kubernetes.memory.usage{kube_namespace:shop} by "
    "{kube_deployment} > 900000000");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_EQ(q->time_aggregation, "avg");
  EXPECT_EQ(q->window, "5m");
  EXPECT_EQ(q->change_aggregation, "");
  EXPECT_EQ(q->space_aggregation, "avg");
  EXPECT_EQ(q->metric, "kubernetes.memory.usage");
  EXPECT_EQ(q->metrics, strings{"kubernetes.memory.usage"});
  EXPECT_EQ(q->scope, strings{"kube_namespace:shop"});
  EXPECT_EQ(q->group_by, strings{"kube_deployment"});
  EXPECT_EQ(q->comparator, ">");
  ASSERT_TRUE(q->threshold);
  EXPECT_DOUBLE_EQ(*q->threshold, 900000000);
  EXPECT_FALSE(q->formula);
}

TEST(AlertParserMonitorQuery, FormulaGivesFirstMetricAndThreshold) {
  auto q = parse_monitor_query(
    "avg(last_15m):avg:kubernetes.memory.working_set{kube_cluster_name:eu-1,"
    "!kube_namespace:kube-system} by {kube_namespace,kube_deployment} / "
    "avg:kubernetes.memory.limits{kube_cluster_name:eu-1} by "
    "{kube_namespace,kube_deployment} > 0.9");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_EQ(q->window, "15m");
  EXPECT_EQ(q->metric, "kubernetes.memory.working_set");
  EXPECT_EQ(q->metrics, (strings{"kubernetes.memory.working_set",
                                 "kubernetes.memory.limits"}));
  EXPECT_EQ(q->scope,
            (strings{"kube_cluster_name:eu-1", "!kube_namespace:kube-system"}));
  EXPECT_EQ(q->group_by, (strings{"kube_namespace", "kube_deployment"}));
  EXPECT_EQ(q->comparator, ">");
  EXPECT_DOUBLE_EQ(q->threshold.value_or(-1), 0.9);
  EXPECT_TRUE(q->formula);
}

TEST(AlertParserMonitorQuery, FunctionWrappedGroupBy) {
  auto q = parse_monitor_query(
    "max(last_10m):default_zero(max:kubernetes.containers.state.terminated"
    "{reason:oomkilled} by {kube_cluster_name,kube_namespace,pod_name}) >= 1");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_EQ(q->functions, strings{"default_zero"});
  EXPECT_EQ(q->space_aggregation, "max");
  EXPECT_EQ(q->metric, "kubernetes.containers.state.terminated");
  EXPECT_EQ(q->scope, strings{"reason:oomkilled"});
  EXPECT_EQ(q->group_by,
            (strings{"kube_cluster_name", "kube_namespace", "pod_name"}));
  EXPECT_EQ(q->comparator, ">=");
  EXPECT_DOUBLE_EQ(q->threshold.value_or(-1), 1);
}

TEST(AlertParserMonitorQuery, ChangeForm) {
  auto q = parse_monitor_query(
    "change(sum(last_5m),last_5m):kubernetes.containers.restarts by "
    "{pod_name} > 5");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_EQ(q->change_aggregation, "change");
  EXPECT_EQ(q->time_aggregation, "sum");
  EXPECT_EQ(q->window, "5m");
  EXPECT_EQ(q->timeshift, "last_5m");
  EXPECT_EQ(q->space_aggregation, "");
  EXPECT_EQ(q->metric, "kubernetes.containers.restarts");
  EXPECT_TRUE(q->scope.empty());
  EXPECT_EQ(q->group_by, strings{"pod_name"});
  EXPECT_DOUBLE_EQ(q->threshold.value_or(-1), 5);
}

TEST(AlertParserMonitorQuery, RecommendedMonitorWithoutAggregators) {
  auto q = parse_monitor_query(
    "avg(last_5m): kubernetes.memory.rss / kubernetes.memory.limits * 100 > "
    "95");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_EQ(q->metrics,
            (strings{"kubernetes.memory.rss", "kubernetes.memory.limits"}));
  EXPECT_EQ(q->space_aggregation, "");
  EXPECT_DOUBLE_EQ(q->threshold.value_or(-1), 95);
  EXPECT_TRUE(q->formula);
}

TEST(AlertParserMonitorQuery, AnomalyWithQuotedArguments) {
  auto q = parse_monitor_query(
    "avg(last_4h):anomalies(avg:system.cpu.system{name:cassandra}, 'basic', "
    "2, direction='above', alert_window='last_15m') >= 1");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_EQ(q->window, "4h");
  EXPECT_EQ(q->functions, strings{"anomalies"});
  EXPECT_EQ(q->metrics, strings{"system.cpu.system"});
  EXPECT_EQ(q->scope, strings{"name:cassandra"});
  EXPECT_EQ(q->comparator, ">=");
}

TEST(AlertParserMonitorQuery, ThresholdKeywordAndSignedNumbers) {
  auto q = parse_monitor_query("avg(last_1h):avg:kubernetes.cpu.usage.total{*}"
                               " > threshold");
  ASSERT_TRUE(q) << render(q.error());
  EXPECT_FALSE(q->threshold);
  EXPECT_TRUE(q->scope.empty());
  auto neg = parse_monitor_query("min(last_1d):min:custom.free{a:b} <= -5.5");
  ASSERT_TRUE(neg) << render(neg.error());
  EXPECT_EQ(neg->comparator, "<=");
  EXPECT_EQ(neg->window, "1d");
  EXPECT_DOUBLE_EQ(neg->threshold.value_or(0), -5.5);
  auto ne = parse_monitor_query("max(last_1w):max:a.b{c:d} != 1e3");
  ASSERT_TRUE(ne) << render(ne.error());
  EXPECT_EQ(ne->comparator, "!=");
  EXPECT_DOUBLE_EQ(ne->threshold.value_or(0), 1000);
}

struct bad_query {
  const char* query;
  const char* message;
};

class AlertParserMonitorQueryErrors
  : public ::testing::TestWithParam<bad_query> {};

TEST_P(AlertParserMonitorQueryErrors, NamesTheProblem) {
  auto q = parse_monitor_query(GetParam().query);
  ASSERT_FALSE(q) << GetParam().query;
  EXPECT_EQ(code_of(q.error()), ec::invalid_input);
  EXPECT_NE(render(q.error()).find(GetParam().message), std::string::npos)
    << render(q.error());
}

INSTANTIATE_TEST_SUITE_P(
  AlertParserMonitorQuery, AlertParserMonitorQueryErrors,
  ::testing::Values(bad_query{"", "empty monitor query"},
                    bad_query{"   ", "empty monitor query"},
                    bad_query{"kubernetes.memory.usage > 5",
                              "expected time_aggr(window): at the start"},
                    bad_query{"avg(last_5m) avg:x.y{*} > 1",
                              "expected ':' after the evaluation window"},
                    bad_query{"avg(last_5m:avg:x.y{*} > 1", "unbalanced '('"},
                    bad_query{"avg(last_5m):avg:x.y{a:b > 5",
                              "unbalanced brackets"},
                    bad_query{"avg(last_5m):avg:x.y{*}", "no comparator"},
                    bad_query{"avg(last_5m):avg:x.y{*} >", "no threshold"},
                    bad_query{"avg(last_5m):avg:x.y{*} > abc",
                              "threshold \"abc\" is not a number"},
                    bad_query{"avg(last_5m):5 > 1", "no metric"}));

} // namespace
} // namespace kfix::intake
