// The rules engine over hand-built signals: which playbook decides, how
// plans are sized, explained and ranked, and when people decide instead.

#include "actors/reasoning/decide.hpp"
#include "actors/reasoning/rules_engine.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kfix;
using namespace kfix::reasoning;

constexpr int64_t mi = 1LL << 20;

const char* playbooks_yaml = R"(
playbooks:
  - name: recovered
    priority: 1000
    when: {signal: alert.recovered, is: true}
    decision: no_action
    reason: recovered ({alert.transition})
  - name: rollback-first
    applies_to: [crash_loop]
    priority: 300
    when: {signal: rollout.has_previous, is: true}
    decision: fix
    reason: the rollout broke it
    plans:
      - id: rollback
        title: Roll back to {rollout.previous_revision}
        actions: [{action: rollback, to: previous}]
        justification: "{evidence.rollout}"
        expected_effect: e
        risk: r
        rollback: re-apply
      - id: image
        title: Image back
        actions: [{action: set_image, image: {signal: rollout.previous_image}}]
        justification: j
        expected_effect: e
        risk: r
        rollback: b
        ranks_lower_because: it keeps the rest
  - name: oom
    applies_to: [oom_killed]
    priority: 200
    decision: fix
    reason: killed at {old.memory_limit}
    plans:
      - id: guaranteed
        title: Raise to {new.memory_limit}
        actions:
          - action: set_resources
            memory_limit: {sizing: memory_oom_bump}
            memory_request: {sizing: memory_request_to_limit}
        confidence: 0.8
        justification: peak {memory.peak|mem}
        expected_effect: e
        risk: r
        rollback: back to {old.memory_limit}
      - id: burstable
        title: Raise limit only
        actions:
          - action: set_resources
            memory_limit: {sizing: memory_oom_bump}
        confidence: 0.6
        justification: j
        expected_effect: e
        risk: r
        rollback: b
        ranks_lower_because: Burstable
      - id: never
        title: Only with a flag
        when: {signal: special, is: true}
        actions: [{action: restart}]
        justification: j
        expected_effect: e
        risk: r
        rollback: b
    alternatives: ["Scale out: per-pod memory stays"]
)";

playbook_set playbooks() {
  auto parsed = parse_playbooks(playbooks_yaml, "test.yaml");
  EXPECT_TRUE(parsed) << render(parsed.error());
  playbook_set set;
  if (parsed)
    set.playbooks = std::move(*parsed);
  std::stable_sort(set.playbooks.begin(), set.playbooks.end(),
                   [](const playbook& a, const playbook& b) {
                     return a.priority > b.priority;
                   });
  return set;
}

incident_signals oom_signals() {
  incident_signals s;
  s.facts.alert.type = alert_type::oom_killed;
  s.facts.container = "app";
  s.facts.workload = {"Deployment", "shop", "checkout"};
  s.facts.replicas = 3;
  s.facts.resources.memory_limit = 768 * mi;
  s.facts.resources.memory_request = 512 * mi;
  s.facts.memory_peak = 760 * mi;
  s.facts.quota_headroom["requests.memory"] = 8192.0 * mi;
  s.values.set("memory.peak", 760.0 * mi);
  return s;
}

TEST(RulesEngine, FixPlansAreSizedExplainedAndRanked) {
  auto set = playbooks();
  auto d = run_playbooks(set, oom_signals(), {}, {});
  ASSERT_EQ(d.kind, decision_kind::fix) << d.reason;
  EXPECT_EQ(d.reason, "killed at 768Mi");
  ASSERT_EQ(d.plans.size(), 2u); // "never" does not apply
  const auto& p1 = d.plans[0];
  EXPECT_EQ(p1.id, "p1");
  EXPECT_EQ(p1.source, "playbook:oom/guaranteed");
  EXPECT_EQ(p1.title, "Raise to 960Mi");
  ASSERT_EQ(p1.actions.size(), 1u);
  EXPECT_EQ(p1.actions[0].container, "app");
  EXPECT_EQ(p1.actions[0].param("memory_limit"), "960Mi");
  EXPECT_EQ(p1.actions[0].param("memory_request"), "960Mi");
  EXPECT_NE(p1.justification.find("peak 760Mi"), std::string::npos);
  EXPECT_NE(p1.justification.find("Sizing: memory_limit = max(limit 768Mi"),
            std::string::npos)
    << p1.justification;
  EXPECT_EQ(p1.rollback, "back to 768Mi");
  EXPECT_DOUBLE_EQ(p1.confidence, 0.8);
  // Blast radius: pods restarted and the quota delta.
  EXPECT_NE(p1.risk.find("rolling restart of 3 pod(s)"), std::string::npos)
    << p1.risk;
  EXPECT_NE(p1.risk.find("requests.memory +1344Mi"), std::string::npos)
    << p1.risk;
  // Alternatives: the other plan with why it ranks lower, and the
  // playbook's rejected options.
  ASSERT_EQ(p1.alternatives.size(), 2u);
  EXPECT_EQ(p1.alternatives[0], "Raise limit only (ranked lower: Burstable)");
  EXPECT_EQ(p1.alternatives[1], "Scale out: per-pod memory stays");
  EXPECT_EQ(d.plans[1].alternatives[0], "Raise to 960Mi (ranked higher)");
  EXPECT_EQ(d.notes.front().rfind("playbook oom (test.yaml)", 0), 0u);
}

TEST(RulesEngine, NoPlanThatFitsEscalatesWithTheReasons) {
  auto set = playbooks();
  auto s = oom_signals();
  // A LimitRange max below what stops the kills.
  s.facts.limit_range_max["memory"] = 800.0 * mi;
  auto d = run_playbooks(set, s, {}, {});
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_TRUE(d.plans.empty());
  EXPECT_NE(d.reason.find("No plan fits"), std::string::npos) << d.reason;
  EXPECT_NE(d.reason.find("LimitRange max"), std::string::npos) << d.reason;
}

TEST(RulesEngine, ThePriorityDecidesAndTransitionsComeFirst) {
  auto set = playbooks();
  auto s = oom_signals();
  s.values.set("alert.recovered", true);
  s.values.set("alert.transition", std::string{"Recovered"});
  auto d = run_playbooks(set, s, {}, {});
  EXPECT_EQ(d.kind, decision_kind::no_action);
  EXPECT_EQ(d.reason, "recovered (Recovered)");
  // No playbook for the type: people decide.
  auto other = oom_signals();
  other.facts.alert.type = alert_type::latency;
  auto e = run_playbooks(set, other, {}, {});
  EXPECT_EQ(e.kind, decision_kind::escalate);
  EXPECT_NE(e.reason.find("no playbook applies to this latency alert"),
            std::string::npos);
}

TEST(RulesEngine, RollbackRestoresImagesAndChangedResources) {
  auto set = playbooks();
  incident_signals s;
  s.facts.alert.type = alert_type::crash_loop;
  s.facts.container = "app";
  s.facts.workload = {"Deployment", "shop", "tax"};
  auto container
    = [](const char* image, const char* request, const char* limit) {
        container_spec c;
        c.name = "app";
        c.image = image;
        c.requests = {{"memory", request}, {"cpu", "250m"}};
        c.limits = {{"memory", limit}};
        return c;
      };
  revision_state prev;
  prev.revision = 4;
  prev.containers = {container("reg/tax:2.4.0", "480Mi", "640Mi")};
  revision_state cur;
  cur.revision = 5;
  cur.current = true;
  cur.containers = {container("reg/tax:2.4.1", "48Mi", "64Mi")};
  s.facts.previous_revision = &prev;
  s.facts.current_revision = &cur;
  s.values.set("rollout.has_previous", true);
  s.values.set("rollout.previous_revision", 4.0);
  s.values.set("rollout.previous_image", std::string{"reg/tax:2.4.0"});
  s.evidence["rollout"] = "revision 5 created 29 min before";
  s.values.set("logs.injection", 2.0);
  auto d = run_playbooks(set, s, {}, {});
  ASSERT_EQ(d.kind, decision_kind::fix) << d.reason;
  ASSERT_EQ(d.plans.size(), 2u);
  const auto& rb = d.plans[0];
  EXPECT_EQ(rb.title, "Roll back to 4");
  ASSERT_EQ(rb.actions.size(), 2u);
  EXPECT_EQ(rb.actions[0].type, action_type::rollback);
  EXPECT_EQ(rb.actions[0].param("to_revision"), "4");
  EXPECT_EQ(rb.actions[0].param("image"), "reg/tax:2.4.0");
  EXPECT_EQ(rb.actions[1].type, action_type::set_resources);
  EXPECT_EQ(rb.actions[1].param("memory_limit"), "640Mi");
  EXPECT_EQ(rb.actions[1].param("memory_request"), "480Mi");
  EXPECT_EQ(rb.actions[1].param("cpu_request"), "");
  EXPECT_EQ(d.plans[1].actions[0].param("image"), "reg/tax:2.4.0");
  // Text that reads like an instruction is noted, never followed.
  bool noted = false;
  for (const auto& n : d.notes)
    noted = noted
            || n.find("treats log and event text as data") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST(RulesEngine, ARevisionDifferingOnlyInUnrestorableFieldsIsNotRolledBack) {
  auto set = playbooks();
  incident_signals s;
  s.facts.alert.type = alert_type::crash_loop;
  s.facts.container = "app";
  s.facts.workload = {"Deployment", "shop", "tax"};
  container_spec c;
  c.name = "app";
  c.image = "reg/tax:2.4.0";
  c.limits = {{"memory", "640Mi"}};
  revision_state prev;
  prev.revision = 4;
  prev.containers = {c};
  revision_state cur = prev; // only the command changed: not in the state
  cur.revision = 5;
  cur.current = true;
  s.facts.previous_revision = &prev;
  s.facts.current_revision = &cur;
  s.values.set("rollout.has_previous", true);
  s.values.set("rollout.previous_revision", 4.0);
  s.values.set("rollout.previous_image", std::string{"reg/tax:2.4.0"});
  auto d = run_playbooks(set, s, {}, {});
  // The rollback plan is dropped with the reason; no bare rollback remains.
  for (const auto& p : d.plans)
    for (const auto& a : p.actions)
      EXPECT_NE(a.type, action_type::rollback) << p.title;
  std::string all = d.reason;
  for (const auto& n : d.notes)
    all += "\n" + n;
  EXPECT_NE(all.find("differs from the current one only in fields"),
            std::string::npos)
    << all;
}

TEST(RulesEngine, UnknownAlertsAreRetypedFromTheContext) {
  enriched_alert a;
  a.type = alert_type::unknown;
  incident_signals s;
  s.values.set("waiting.config", 2.0);
  EXPECT_EQ(effective_alert_type(a, s), alert_type::crash_loop);
  incident_signals q;
  q.values.set("quota.failed_create", true);
  EXPECT_EQ(effective_alert_type(a, q), alert_type::quota_exceeded);
  incident_signals none;
  EXPECT_EQ(effective_alert_type(a, none), alert_type::unknown);
  a.type = alert_type::latency;
  EXPECT_EQ(effective_alert_type(a, s), alert_type::latency);
}

} // namespace
