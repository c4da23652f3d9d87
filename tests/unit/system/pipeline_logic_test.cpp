#include "actors/patch/patch_synthesis.hpp"
#include "actors/reasoning/decide.hpp"
#include "actors/store/incident_store.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace {

using namespace kfix;

plan memory_plan(const std::string& id, const std::string& limit,
                 const std::string& request) {
  plan p;
  p.id = id;
  p.title = "raise memory to " + limit;
  action a;
  a.type = action_type::set_resources;
  a.container = "app";
  a.params = {{"memory_limit", limit}, {"memory_request", request}};
  p.actions.push_back(a);
  return p;
}

verdict verdict_for(const std::string& id, bool accepted,
                    const std::string& why = "") {
  verdict v;
  v.plan_id = id;
  v.accepted = accepted;
  if (!accepted)
    v.checks.push_back({"quota_headroom", false, false, why});
  return v;
}

TEST(PipelineLogic, ChoosesTheBestAcceptedPlanWithAPatch) {
  decision d;
  d.kind = decision_kind::fix;
  d.plans = {memory_plan("p1", "2Gi", "2Gi"), memory_plan("p2", "1Gi", "1Gi"),
             memory_plan("p3", "960Mi", "768Mi")};
  patch_set patches;
  patches.patches.push_back({"p2", {}, "diff2", "{}"});
  patches.patches.push_back({"p3", {}, "diff3", "{}"});
  patches.failures.emplace_back("p1", "manifest not found");
  std::vector<verdict> verdicts{verdict_for("p1", true),
                                verdict_for("p2", false, "quota exceeded"),
                                verdict_for("p3", true)};
  auto chosen = pipeline::choose_plan(d, patches, verdicts);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(*chosen, 2u);
  verdicts[2].accepted = false;
  EXPECT_FALSE(pipeline::choose_plan(d, patches, verdicts));
  auto why = pipeline::rejection_summary(d, patches, verdicts);
  EXPECT_NE(why.find("p1 (raise memory to 2Gi): no patch: manifest not found"),
            std::string::npos)
    << why;
  EXPECT_NE(why.find("p2 (raise memory to 1Gi): quota_headroom: quota "
                     "exceeded"),
            std::string::npos)
    << why;
}

TEST(PipelineLogic, OnlyFixDecisionsChooseAPlan) {
  decision d;
  d.kind = decision_kind::escalate;
  d.plans = {memory_plan("p1", "1Gi", "1Gi")};
  patch_set patches;
  patches.patches.push_back({"p1", {}, "", "{}"});
  EXPECT_FALSE(pipeline::choose_plan(d, patches, {verdict_for("p1", true)}));
}

TEST(PipelineLogic, RemediationOnlyForTriggeredTransitions) {
  enriched_alert a;
  for (auto t : {"Triggered", "Re-Triggered", "Renotify"}) {
    a.transition = t;
    EXPECT_TRUE(pipeline::wants_remediation(a)) << t;
  }
  for (auto t : {"Recovered", "Warn", "No Data"}) {
    a.transition = t;
    EXPECT_FALSE(pipeline::wants_remediation(a)) << t;
  }
}

TEST(Decide, RecoveredAlertNeedsNoAction) {
  enriched_alert a;
  a.transition = "Recovered";
  a.type = alert_type::oom_killed;
  auto d = reasoning::decide(a, {}, {}, {});
  EXPECT_EQ(d.kind, decision_kind::no_action);
}

TEST(Decide, WithoutTheWorkloadPeopleDecide) {
  enriched_alert a;
  a.transition = "Triggered";
  a.type = alert_type::image_pull;
  a.workload = {"Deployment", "shop", "cart"};
  auto d = reasoning::decide(a, {}, {}, {});
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_NE(d.reason.find("could not be read"), std::string::npos) << d.reason;
  EXPECT_TRUE(d.plans.empty());
}

// -- patch synthesis ----------------------------------------------------------

const char* manifest = R"(# checkout, owned by team payments
apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/shop/checkout:1.4.2
          resources:
            requests:
              cpu: 250m
              memory: 512Mi   # sized in 2025
            limits:
              memory: 768Mi
        - name: log-shipper
          image: fluent-bit:2.2
          resources:
            limits:
              memory: 128Mi
)";

TEST(PatchSynthesis, EditsOnlyTheMemoryLinesAndRendersBothPatches) {
  workload_ref w{"Deployment", "shop", "checkout"};
  std::vector<repo_file> files{
    {"apps/checkout/deployment.yaml", manifest, "c0ffee"}};
  auto made
    = patching::synthesize_patch(memory_plan("p1", "1Gi", "1Gi"), w, files);
  ASSERT_TRUE(made) << render(made.error());
  ASSERT_EQ(made->files.size(), 1u);
  EXPECT_EQ(made->files[0].last_commit_id, "c0ffee");
  std::string expected = manifest;
  expected.replace(expected.find("memory: 512Mi"), 13, "memory: 1Gi");
  expected.replace(expected.find("memory: 768Mi"), 13, "memory: 1Gi");
  EXPECT_EQ(made->files[0].after, expected);
  EXPECT_NE(made->diff.find("-              memory: 768Mi"), std::string::npos)
    << made->diff;
  EXPECT_NE(made->diff.find("+              memory: 1Gi"), std::string::npos);
  auto k8s = nlohmann::json::parse(made->k8s_patch);
  EXPECT_EQ(k8s, nlohmann::json::parse(
                   R"({"spec":{"template":{"spec":{"containers":[{"name":"app",
                   "resources":{"limits":{"memory":"1Gi"},
                   "requests":{"memory":"1Gi"}}}]}}}})"));
}

TEST(PatchSynthesis, UnsupportedActionsAndMissingManifestsAreReasons) {
  workload_ref w{"Deployment", "shop", "checkout"};
  plan scale;
  scale.id = "p9";
  action a;
  a.type = action_type::scale_replicas;
  a.params = {{"replicas", "5"}};
  scale.actions.push_back(a);
  decision d;
  d.kind = decision_kind::fix;
  d.plans = {scale, memory_plan("p1", "1Gi", "1Gi")};
  auto set = patching::synthesize_all(d, w, {});
  EXPECT_TRUE(set.patches.empty());
  ASSERT_EQ(set.failures.size(), 2u);
  EXPECT_NE(set.failures[0].second.find("scale_replicas"), std::string::npos);
  EXPECT_NE(set.failures[1].second.find("checkout"), std::string::npos)
    << set.failures[1].second;
}

TEST(PatchSynthesis, UnsetBecomesNullInTheDryRunPatch) {
  auto p = memory_plan("p1", "1Gi", "1Gi");
  p.actions[0].params = {{"cpu_limit", "unset"}};
  auto k8s = patching::strategic_patch_of(p, {"StatefulSet", "db", "ledger"});
  ASSERT_TRUE(k8s);
  EXPECT_EQ(
    nlohmann::json::parse(*k8s)["spec"]["template"]["spec"]["containers"][0]
                               ["resources"]["limits"]["cpu"],
    nullptr);
}

// -- the in-memory store ------------------------------------------------------

TEST(MemoryStore, DeduplicatesDeliveriesAndGroupsByCycle) {
  store::memory_store db;
  enriched_alert a;
  a.delivery_id = "d1";
  a.monitor_id = "m1";
  a.cycle_key = "c1";
  // Alerts join across cycles by their workload (an alert that names none
  // never joins another cycle's incident).
  a.workload = {"Deployment", "shop", "checkout"};
  auto first = db.record_alert(a, "{}");
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->new_incident);
  auto again = db.record_alert(a, "{}");
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate_delivery);
  EXPECT_EQ(again->incident_id, first->incident_id);
  a.delivery_id = "d2"; // Re-Triggered in the same cycle
  auto joined = db.record_alert(a, "{}");
  ASSERT_TRUE(joined);
  EXPECT_FALSE(joined->new_incident);
  EXPECT_EQ(joined->incident_id, first->incident_id);
  ASSERT_FALSE(
    db.record_stage(first->incident_id, incident_stage::published, "done"));
  a.delivery_id = "d3"; // flapping after publication: joins, no second MR
  a.cycle_key = "c2";
  auto next = db.record_alert(a, "{}");
  ASSERT_TRUE(next);
  EXPECT_FALSE(next->new_incident);
  EXPECT_EQ(next->incident_id, first->incident_id);
  a.delivery_id = "d4"; // another workload opens its own incident
  a.workload.name = "orders";
  a.cycle_key = "c3";
  auto other = db.record_alert(a, "{}");
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->new_incident);
  EXPECT_NE(other->incident_id, first->incident_id);
  EXPECT_EQ(db.stages(first->incident_id),
            (std::vector<incident_stage>{incident_stage::received,
                                         incident_stage::published}));
  EXPECT_FALSE(db.incident_json(999));
}

// -- storm discipline ---------------------------------------------------------

enriched_alert alert_with(const std::string& transition) {
  enriched_alert a;
  a.transition = transition;
  return a;
}

TEST(Grouping, TriggeredJoinsTheOpenIncidentOfItsCycleOrWorkload) {
  store::group_lookup lookup;
  auto g = store::decide_grouping(alert_with("Triggered"), lookup);
  EXPECT_EQ(g.kind, store::grouping::open_new);
  lookup.latest_in_group = 7;
  lookup.latest_open = true;
  g = store::decide_grouping(alert_with("Re-Triggered"), lookup);
  EXPECT_EQ(g.kind, store::grouping::join);
  EXPECT_EQ(g.incident_id, 7);
  // Another monitor on the same workload.
  lookup = {};
  lookup.open_for_workload = 9;
  g = store::decide_grouping(alert_with("Triggered"), lookup);
  EXPECT_EQ(g.kind, store::grouping::join);
  EXPECT_EQ(g.incident_id, 9);
  // Flapping after publication.
  lookup = {};
  lookup.latest_in_group = 5;
  lookup.latest_published = true;
  lookup.recently_published = 5;
  g = store::decide_grouping(alert_with("Triggered"), lookup);
  EXPECT_EQ(g.kind, store::grouping::join);
  EXPECT_EQ(g.incident_id, 5);
}

TEST(Grouping, RecoveredResolvesOnlyAnUnpublishedOpenIncident) {
  store::group_lookup lookup;
  lookup.latest_in_group = 3;
  lookup.latest_open = true;
  auto g = store::decide_grouping(alert_with("Recovered"), lookup);
  EXPECT_EQ(g.kind, store::grouping::join);
  EXPECT_TRUE(g.resolve);
  lookup.latest_open = false;
  lookup.latest_published = true;
  g = store::decide_grouping(alert_with("Recovered"), lookup);
  EXPECT_EQ(g.kind, store::grouping::join);
  EXPECT_FALSE(g.resolve);
  g = store::decide_grouping(alert_with("Recovered"), {});
  EXPECT_EQ(g.kind, store::grouping::record_only);
}

TEST(Grouping, WarnAndNoDataAreRecordedOnly) {
  for (auto t : {"Warn", "Re-Warn", "No Data", "Re-No Data"}) {
    auto g = store::decide_grouping(alert_with(t), {});
    EXPECT_EQ(g.kind, store::grouping::record_only) << t;
    store::group_lookup lookup;
    lookup.latest_in_group = 4;
    lookup.latest_open = true;
    g = store::decide_grouping(alert_with(t), lookup);
    EXPECT_EQ(g.kind, store::grouping::join) << t;
    EXPECT_FALSE(g.resolve) << t;
  }
}

TEST(MemoryStore, RecoveredBeforePublicationResolvesTheIncident) {
  store::memory_store db;
  enriched_alert a;
  a.delivery_id = "t1";
  a.monitor_id = "m";
  a.cycle_key = "c";
  a.transition = "Triggered";
  auto opened = db.record_alert(a, "{}");
  ASSERT_TRUE(opened);
  a.delivery_id = "r1";
  a.transition = "Recovered";
  auto recovered = db.record_alert(a, "{}");
  ASSERT_TRUE(recovered);
  EXPECT_TRUE(recovered->resolved);
  EXPECT_EQ(recovered->incident_id, opened->incident_id);
  EXPECT_EQ(db.stages(opened->incident_id).back(), incident_stage::closed);
}

} // namespace
