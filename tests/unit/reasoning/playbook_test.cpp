// Playbooks as data: parsing with errors that name the file and field,
// conditions, templates, and the shipped playbooks.

#include "actors/reasoning/playbook.hpp"
#include "actors/reasoning/rules_engine.hpp"
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace {

using namespace kfix;
using namespace kfix::reasoning;

signal_map
signals_of(std::initializer_list<std::pair<const char*, double>> xs) {
  signal_map m;
  for (const auto& [k, v] : xs)
    m.set(k, v);
  return m;
}

TEST(Playbook, ParsesAFixPlaybook) {
  auto parsed = parse_playbooks(R"(
playbooks:
  - name: demo
    applies_to: [oom_killed]
    priority: 7
    when:
      all:
        - {signal: memory.oom_pods, gt: 0}
        - not: {signal: rollout.age_hours, lt: 1}
    decision: fix
    reason: "because {container}"
    plans:
      - id: raise
        title: Raise {container}
        actions:
          - action: set_resources
            memory_limit: {sizing: memory_oom_bump}
            memory_request: 1Gi
        confidence: 0.8
        justification: j
        expected_effect: e
        risk: r
        rollback: b
    alternatives: [scale out]
)",
                                "demo.yaml");
  ASSERT_TRUE(parsed) << render(parsed.error());
  ASSERT_EQ(parsed->size(), 1u);
  const auto& pb = parsed->front();
  EXPECT_EQ(pb.name, "demo");
  EXPECT_EQ(pb.priority, 7);
  ASSERT_EQ(pb.applies_to.size(), 1u);
  EXPECT_EQ(pb.applies_to[0], alert_type::oom_killed);
  ASSERT_EQ(pb.plans.size(), 1u);
  const auto& a = pb.plans[0].actions.at(0);
  EXPECT_EQ(a.type, action_type::set_resources);
  EXPECT_EQ(a.container, "target");
  EXPECT_EQ(a.params.at("memory_limit")["sizing"], "memory_oom_bump");
  EXPECT_EQ(a.params.at("memory_request"), "1Gi");
  EXPECT_TRUE(pb.when.holds(signals_of({{"memory.oom_pods", 2}})));
  EXPECT_FALSE(pb.when.holds(signals_of({{"memory.oom_pods", 0}})));
  EXPECT_FALSE(pb.when.holds(
    signals_of({{"memory.oom_pods", 2}, {"rollout.age_hours", 0.5}})));
  EXPECT_EQ(pb.alternatives, std::vector<std::string>{"scale out"});
}

struct bad_case {
  const char* text;
  const char* says;
};

TEST(Playbook, ErrorsNameTheFilePlaybookAndField) {
  const bad_case cases[] = {
    {"playbooks: 3", "expected `playbooks:`"},
    {"playbooks:\n  - {decision: fix, reason: r}", "name: missing"},
    {"playbooks:\n  - {name: x, decision: maybe, reason: r}",
     "playbook x: decision: must be fix"},
    {"playbooks:\n  - {name: x, decision: fix, reason: r}",
     "playbook x: decision fix needs plans"},
    {"playbooks:\n  - {name: x, decision: no_action, reason: r, applies_to: "
     "[oom]}",
     "applies_to: unknown alert type oom"},
    {"playbooks:\n  - {name: x, decision: no_action, reason: r, when: "
     "{signal: a, approx: 3}}",
     "unknown comparison approx"},
    {"playbooks:\n  - {name: x, decision: no_action, reason: r, when: "
     "{signal: a, lt: many}}",
     "lt needs a number"},
    {"playbooks:\n  - {name: x, decision: no_action, reason: r, colour: red}",
     "unknown key colour"},
    {"playbooks:\n  - name: x\n    decision: fix\n    reason: r\n    plans:\n"
     "      - {id: p, title: t, justification: j, expected_effect: e, risk: "
     "r, rollback: b, actions: [{action: teleport}]}",
     "plans[0].actions[0]: unknown action teleport"},
    {"playbooks:\n  - name: x\n    decision: fix\n    reason: r\n    plans:\n"
     "      - {id: p, title: t, justification: j, expected_effect: e, risk: "
     "r, rollback: b, actions: [{action: set_resources, memory_limit: "
     "{sizing: guess}}]}",
     "unknown sizing method guess"},
    {"playbooks:\n  - name: x\n    decision: fix\n    reason: r\n    plans:\n"
     "      - {id: p, title: t, actions: [{action: restart}]}",
     "justification: missing"},
  };
  for (const auto& c : cases) {
    auto parsed = parse_playbooks(c.text, "bad.yaml");
    ASSERT_FALSE(parsed) << c.text;
    auto text = render(parsed.error());
    EXPECT_NE(text.find("bad.yaml"), std::string::npos) << text;
    EXPECT_NE(text.find(c.says), std::string::npos) << text;
  }
}

TEST(Playbook, ConditionOperators) {
  signal_map s;
  s.set("n", 3.0);
  s.set("flag", true);
  s.set("name", std::string{"unauthorized"});
  auto holds = [&](const char* yaml) {
    auto parsed = parse_playbooks(
      std::string{"playbooks:\n  - {name: x, decision: no_action, reason: r, "
                  "when: "}
        + yaml + "}",
      "c.yaml");
    EXPECT_TRUE(parsed) << render(parsed.error());
    return parsed && parsed->front().when.holds(s);
  };
  EXPECT_TRUE(holds("{signal: n, ge: 3}"));
  EXPECT_FALSE(holds("{signal: n, gt: 3}"));
  EXPECT_TRUE(holds("{signal: n, eq: 3}"));
  EXPECT_TRUE(holds("{signal: flag, is: true}"));
  EXPECT_TRUE(holds("{signal: name, eq: unauthorized}"));
  EXPECT_TRUE(holds("{signal: name, ne: not_found}"));
  EXPECT_TRUE(holds("{signal: name, in: [a, unauthorized]}"));
  EXPECT_TRUE(holds("{signal: absent, exists: false}"));
  EXPECT_FALSE(holds("{signal: absent, lt: 100}"));
  EXPECT_TRUE(holds("{any: [{signal: absent, gt: 0}, {signal: n, lt: 4}]}"));
  EXPECT_FALSE(holds("{all: [{signal: absent, gt: 0}, {signal: n, lt: 4}]}"));
  EXPECT_TRUE(holds("{not: {signal: n, gt: 5}}"));
}

TEST(Playbook, TemplatesFillSignalsEvidenceAndValues) {
  incident_signals s;
  s.facts.container = "app";
  s.facts.workload = {"Deployment", "shop", "checkout"};
  s.facts.resources.memory_limit = 768LL << 20;
  s.values.set("memory.peak", 762.0 * (1 << 20));
  s.values.set("memory.peak_utilization", 0.993);
  s.values.set("rollout.age_hours", 0.62);
  s.evidence["memory"] = "working set near the limit";
  auto out = render_template(
    "{container} of {workload}: peak {memory.peak|mem} "
    "({memory.peak_utilization|pct}), {rollout.age_hours|h} ago, limit "
    "{old.memory_limit} -> {new.memory_limit}; {evidence.memory}; "
    "{no.such.signal}",
    s, {{"new.memory_limit", "1Gi"}});
  EXPECT_EQ(out, "app of Deployment shop/checkout: peak 762Mi (99%), 0.6 h "
                 "ago, limit 768Mi -> 1Gi; working set near the limit; n/a");
}

TEST(Playbook, ShippedPlaybooksLoadAndCoverEveryAlertType) {
  auto set
    = load_playbooks({std::string{KFIX_SOURCE_DIR} + "/config/playbooks"});
  ASSERT_TRUE(set) << render(set.error());
  EXPECT_GE(set->playbooks.size(), 30u);
  // Sorted by priority, highest first.
  for (size_t i = 1; i < set->playbooks.size(); ++i)
    EXPECT_GE(set->playbooks[i - 1].priority, set->playbooks[i].priority);
  for (auto type :
       {alert_type::oom_killed, alert_type::memory_pressure,
        alert_type::cpu_throttling, alert_type::cpu_saturation,
        alert_type::hpa_maxed, alert_type::crash_loop, alert_type::error_rate,
        alert_type::latency, alert_type::image_pull, alert_type::probe_failure,
        alert_type::pending_pods, alert_type::quota_exceeded,
        alert_type::ephemeral_storage, alert_type::unknown}) {
    bool covered = false;
    for (const auto& pb : set->playbooks)
      if (std::find(pb.applies_to.begin(), pb.applies_to.end(), type)
          != pb.applies_to.end())
        covered = true;
    EXPECT_TRUE(covered) << to_string(type);
  }
  // Every fix playbook offers two or more candidates.
  for (const auto& pb : set->playbooks) {
    if (pb.decision == decision_kind::fix) {
      EXPECT_GE(pb.plans.size(), 2u) << pb.name;
    }
  }
}

TEST(Playbook, DuplicateNamesAcrossFilesAreRefused) {
  auto dir = std::filesystem::temp_directory_path() / "kfix-playbook-dup";
  std::filesystem::create_directories(dir);
  for (const char* f : {"a.yaml", "b.yaml"}) {
    std::ofstream out{dir / f};
    out << "playbooks:\n  - {name: same, decision: no_action, reason: r}\n";
  }
  auto set = load_playbooks({dir.string()});
  ASSERT_FALSE(set);
  EXPECT_NE(render(set.error()).find("playbook same is defined twice"),
            std::string::npos);
  std::filesystem::remove_all(dir);
  auto missing = load_playbooks({"/nonexistent/playbooks"});
  ASSERT_FALSE(missing);
  EXPECT_NE(render(missing.error()).find("/nonexistent/playbooks"),
            std::string::npos);
}

} // namespace
