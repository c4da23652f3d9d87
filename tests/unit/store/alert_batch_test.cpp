// Group commit planning: a batch is grouped as if stored alert by alert.

#include "actors/store/alert_batch.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace {

using namespace kfix;
using namespace kfix::store;

/// Alerts that live as long as the batch that points at them.
class batch_builder {
public:
  enriched_alert& add(std::string delivery, std::string cycle,
                      std::string transition = "Triggered",
                      std::string workload = "checkout") {
    auto& a = alerts_.emplace_back();
    a.delivery_id = std::move(delivery);
    a.monitor_id = "m1";
    a.cycle_key = std::move(cycle);
    a.transition = std::move(transition);
    a.cluster = "eu-1";
    a.workload = {"Deployment", "shop", std::move(workload)};
    return a;
  }
  std::vector<alert_to_store> batch() const {
    std::vector<alert_to_store> items;
    for (const auto& a : alerts_)
      items.push_back({&a, "{}"});
    return items;
  }

private:
  std::deque<enriched_alert> alerts_;
};

TEST(AlertBatch, LookupKeysAreDistinctAndWorkloadsOnlyForRemediation) {
  batch_builder b;
  b.add("d1", "c1");
  b.add("d2", "c1");
  b.add("d3", "c2", "Recovered", "orders");
  b.add("d4", "c3", "Warn", "ledger");
  auto& nameless = b.add("d5", "c4");
  nameless.workload = {};
  auto keys = lookup_keys(b.batch());
  EXPECT_EQ(keys.deliveries.size(), 5u);
  EXPECT_EQ(keys.groups,
            (std::vector<std::string>{"m1/c1", "m1/c2", "m1/c3", "m1/c4"}));
  ASSERT_EQ(keys.workloads.size(), 1u);
  EXPECT_EQ(keys.workloads[0].text(), "eu-1/shop/checkout");
}

TEST(AlertBatch, StormOnOneWorkloadOpensOneIncident) {
  batch_builder b;
  for (int i = 0; i < 100; ++i)
    b.add("d" + std::to_string(i), "cycle-" + std::to_string(i));
  auto plan = plan_alert_batch(b.batch(), {});
  ASSERT_EQ(plan.new_incidents.size(), 1u);
  assign_incident_ids(plan, {41});
  ASSERT_EQ(plan.results.size(), 100u);
  EXPECT_TRUE(plan.results[0].new_incident);
  for (size_t i = 1; i < plan.results.size(); ++i) {
    EXPECT_FALSE(plan.results[i].new_incident) << i;
    EXPECT_EQ(plan.results[i].incident_id, 41) << i;
  }
  EXPECT_EQ(plan.alerts.size(), 100u);
  ASSERT_EQ(plan.progress.size(), 1u);
  EXPECT_EQ(plan.progress[0].incident_id, 41);
  EXPECT_EQ(plan.progress[0].stage, "received");
}

TEST(AlertBatch, RepeatedDeliveryInsideTheBatchIsADuplicateOfItsFirstCopy) {
  batch_builder b;
  b.add("d1", "c1");
  b.add("d1", "c1");
  batch_lookups known;
  known.deliveries["old"] = 7;
  b.add("old", "c9");
  auto plan = plan_alert_batch(b.batch(), known);
  assign_incident_ids(plan, {12});
  EXPECT_TRUE(plan.results[0].new_incident);
  EXPECT_TRUE(plan.results[1].duplicate_delivery);
  EXPECT_EQ(plan.results[1].incident_id, 12);
  EXPECT_TRUE(plan.results[2].duplicate_delivery);
  EXPECT_EQ(plan.results[2].incident_id, 7);
  // Only the first copy is written.
  ASSERT_EQ(plan.alerts.size(), 1u);
  EXPECT_EQ(plan.alerts[0].index, 0u);
}

TEST(AlertBatch, TriggeredThenRecoveredInOneBatchResolvesTheNewIncident) {
  batch_builder b;
  b.add("t1", "c1");
  b.add("r1", "c1", "Recovered");
  b.add("t2", "c2"); // a new cycle after the recovery opens a new incident
  auto plan = plan_alert_batch(b.batch(), {});
  ASSERT_EQ(plan.new_incidents.size(), 2u);
  assign_incident_ids(plan, {5, 6});
  EXPECT_EQ(plan.results[1].incident_id, 5);
  EXPECT_TRUE(plan.results[1].resolved);
  EXPECT_EQ(plan.resolved, (std::vector<int64_t>{5}));
  EXPECT_TRUE(plan.results[2].new_incident);
  EXPECT_EQ(plan.results[2].incident_id, 6);
}

TEST(AlertBatch, RecoveredAfterPublicationCarriesThePublication) {
  batch_builder b;
  b.add("r1", "c1", "Recovered");
  batch_lookups known;
  publication pub;
  pub.publisher = "gitlab";
  pub.project = "shop/deploy";
  pub.mr_iid = 3;
  known.groups["m1/c1"] = group_state{9, false, true, pub};
  auto plan = plan_alert_batch(b.batch(), known);
  ASSERT_EQ(plan.results.size(), 1u);
  const auto& r = plan.results[0];
  EXPECT_EQ(r.incident_id, 9);
  EXPECT_FALSE(r.resolved);
  EXPECT_TRUE(r.recovered_after_publication);
  ASSERT_TRUE(r.publication);
  EXPECT_EQ(r.publication->mr_iid, 3);
  EXPECT_TRUE(plan.resolved.empty());
  ASSERT_EQ(plan.progress.size(), 1u);
  EXPECT_NE(plan.progress[0].detail.find("note"), std::string::npos);
}

TEST(AlertBatch, FlappingAfterPublicationJoinsThePublishedIncident) {
  batch_builder b;
  b.add("t9", "c-new");
  batch_lookups known;
  known.workloads["eu-1/shop/checkout"] = workload_incidents{0, 4};
  auto plan = plan_alert_batch(b.batch(), known);
  EXPECT_TRUE(plan.new_incidents.empty());
  EXPECT_EQ(plan.results[0].incident_id, 4);
  EXPECT_FALSE(plan.results[0].new_incident);
}

TEST(AlertBatch, WarnWithoutAnIncidentIsRecordedClosed) {
  batch_builder b;
  b.add("w1", "c1", "Warn");
  auto plan = plan_alert_batch(b.batch(), {});
  ASSERT_EQ(plan.new_incidents.size(), 1u);
  EXPECT_FALSE(plan.new_incidents[0].open);
  assign_incident_ids(plan, {3});
  EXPECT_FALSE(plan.results[0].new_incident);
  EXPECT_EQ(plan.progress[0].stage, "closed");
}

} // namespace
