#include "actors/context/context_merge.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace kfix::context {
namespace {

source_report rep(std::string name, source_status status) {
  source_report r;
  r.source = std::move(name);
  r.status = status;
  return r;
}

context_part k8s_part() {
  context_part part;
  part.data.workload.ref = {"Deployment", "shop", "checkout"};
  part.data.workload.uid = "uid-1";
  part.data.workload_found = true;
  part.data.pods.resize(3);
  part.data.pods[0].name = "p0";
  part.data.events.resize(2);
  part.data.quotas.resize(1);
  part.reports = {rep("kubernetes.workload", source_status::ok),
                  rep("kubernetes.pods", source_status::error)};
  return part;
}

context_part dd_part() {
  context_part part;
  part.data.workload.ref = {"Deployment", "shop", "checkout"};
  part.data.metrics.resize(4);
  part.data.metrics[0].container = "app";
  part.data.logs.resize(5);
  part.reports = {rep("datadog.metrics", source_status::ok),
                  rep("datadog.logs", source_status::partial)};
  return part;
}

TEST(ContextMerge, ConcatenatesAndKeepsEveryReport) {
  std::vector<context_part> parts;
  parts.push_back(dd_part());
  parts.push_back(k8s_part());
  auto bundle = merge_context(std::move(parts));
  EXPECT_TRUE(bundle.workload_found);
  EXPECT_EQ(bundle.workload.uid, "uid-1");
  EXPECT_EQ(bundle.pods.size(), 3u);
  EXPECT_EQ(bundle.pods[0].name, "p0");
  EXPECT_EQ(bundle.events.size(), 2u);
  EXPECT_EQ(bundle.quotas.size(), 1u);
  EXPECT_EQ(bundle.metrics.size(), 4u);
  EXPECT_EQ(bundle.logs.size(), 5u);
  ASSERT_EQ(bundle.sources.size(), 4u);
  EXPECT_EQ(bundle.sources[0].source, "datadog.metrics");
  EXPECT_EQ(bundle.sources[1].source, "datadog.logs");
  EXPECT_EQ(bundle.sources[1].status, source_status::partial);
  EXPECT_EQ(bundle.sources[3].source, "kubernetes.pods");
  EXPECT_EQ(bundle.sources[3].status, source_status::error);
}

TEST(ContextMerge, FirstFoundWorkloadWins) {
  auto a = k8s_part();
  auto b = k8s_part();
  b.data.workload.uid = "uid-2";
  std::vector<context_part> parts;
  parts.push_back(std::move(a));
  parts.push_back(std::move(b));
  auto bundle = merge_context(std::move(parts));
  EXPECT_EQ(bundle.workload.uid, "uid-1");
  EXPECT_EQ(bundle.pods.size(), 6u);
  EXPECT_EQ(bundle.sources.size(), 4u);
}

TEST(ContextMerge, NotFoundKeepsTheRef) {
  context_part part;
  part.data.workload.ref = {"Deployment", "shop", "gone"};
  part.reports = {rep("kubernetes.workload", source_status::error)};
  std::vector<context_part> parts;
  parts.push_back(std::move(part));
  parts.push_back(dd_part());
  auto bundle = merge_context(std::move(parts));
  EXPECT_FALSE(bundle.workload_found);
  EXPECT_EQ(bundle.workload.ref.name, "gone");
  EXPECT_EQ(bundle.sources.size(), 3u);
}

TEST(ContextMerge, KeepsReportsAlreadyInData) {
  context_part part;
  part.data.sources = {rep("earlier", source_status::skipped)};
  part.reports = {rep("later", source_status::ok)};
  std::vector<context_part> parts;
  parts.push_back(std::move(part));
  auto bundle = merge_context(std::move(parts));
  ASSERT_EQ(bundle.sources.size(), 2u);
  EXPECT_EQ(bundle.sources[0].source, "earlier");
  EXPECT_EQ(bundle.sources[1].source, "later");
}

TEST(ContextMerge, EmptyInput) {
  auto bundle = merge_context({});
  EXPECT_FALSE(bundle.workload_found);
  EXPECT_TRUE(bundle.sources.empty());
}

TEST(ContextMerge, FetchScopeFromAlert) {
  enriched_alert alert;
  alert.workload = {"StatefulSet", "finance", "ledger-db"};
  alert.pod = "ledger-db-0";
  alert.container = "db";
  alert.cluster = "eu-1";
  alert.service = "ledger";
  alert.date_ms = 1779170000123;
  auto s = make_fetch_scope(alert);
  EXPECT_EQ(s.workload, alert.workload);
  EXPECT_EQ(s.pod, "ledger-db-0");
  EXPECT_EQ(s.container, "db");
  EXPECT_EQ(s.cluster, "eu-1");
  EXPECT_EQ(s.service, "ledger");
  EXPECT_EQ(s.alert_time_s, 1779170000);
}

TEST(ContextMerge, CallBudget) {
  using namespace std::chrono;
  auto now = steady_clock::now();
  EXPECT_EQ(call_timeout(milliseconds{5000}, now, now + seconds{8}),
            milliseconds{5000});
  EXPECT_EQ(call_timeout(milliseconds{5000}, now, now + seconds{2}),
            milliseconds{2000});
  EXPECT_EQ(call_timeout(milliseconds{5000}, now, now - seconds{1}),
            milliseconds{1});
  EXPECT_EQ(call_attempts(milliseconds{5000}, now, now + seconds{8}), 1);
  EXPECT_EQ(call_attempts(milliseconds{1000}, now, now + seconds{8}), 3);
  EXPECT_EQ(call_attempts(milliseconds{2000}, now, now + seconds{4}), 2);
  EXPECT_EQ(failure_status(make_error(ec::timeout, "t"), false),
            source_status::timeout);
  EXPECT_EQ(failure_status(make_error(ec::unavailable, "refused"), false),
            source_status::error);
  EXPECT_EQ(failure_status(make_error(ec::unavailable, "refused"), true),
            source_status::timeout);
}

} // namespace
} // namespace kfix::context
