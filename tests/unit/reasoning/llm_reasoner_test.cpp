#include "actors/reasoning/llm_reasoner.hpp"
#include "tests/unit/reasoning/llm_fixtures.hpp"

#include <gtest/gtest.h>

namespace kfix::reasoning {
namespace {

using test::answer_action;
using test::answer_plan;
using test::checkout_incident;
using test::scripted_client;

struct reasoner : ::testing::Test {
  checkout_incident incident;
  llm_config cfg = test::test_llm_config();
  prompt_template prompt = test::shipped_prompt();
  scripted_client client{cfg};

  llm_result run(const std::string& strategy = "llm",
                 std::chrono::milliseconds budget = std::chrono::seconds{50}) {
    auto job = test::job_for(incident, cfg, prompt, strategy);
    job.budget = budget;
    return decide_with_llm(job, client);
  }

  bool noted(const decision& d, const std::string& text) const {
    return std::any_of(d.notes.begin(), d.notes.end(), [&](const auto& n) {
      return n.find(text) != std::string::npos;
    });
  }
};

TEST_F(reasoner, RulesGiveCandidates) {
  ASSERT_EQ(incident.rules.kind, decision_kind::fix);
  ASSERT_GE(incident.rules.plans.size(), 2u);
}

TEST_F(reasoner, LlmProposesThePlans) {
  client.answer(test::valid_answer().dump(), 1200, 300, 1500);
  auto r = run("llm");
  const auto& d = r.result;
  EXPECT_EQ(d.strategy, "llm");
  EXPECT_EQ(d.kind, decision_kind::fix);
  ASSERT_EQ(d.plans.size(), 1u);
  EXPECT_EQ(d.plans[0].id, "l1");
  EXPECT_EQ(d.plans[0].source, "llm");
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), "1Gi");
  EXPECT_TRUE(noted(d, "asked openai gpt-4o with prompt plan-v1"));
  EXPECT_TRUE(noted(d, "candidate plans were hints"));
  // Usage and cost: 1200 in at $2.5/M, 300 out at $10/M.
  EXPECT_EQ(d.usage.calls, 1);
  EXPECT_EQ(d.usage.prompt_tokens, 1200);
  EXPECT_EQ(d.usage.output_tokens, 300);
  EXPECT_DOUBLE_EQ(d.usage.cost_usd, 0.006);
  EXPECT_EQ(d.usage.latency_ms, 1500);
  // One audit record with what was sent.
  ASSERT_EQ(r.calls.size(), 1u);
  const auto& a = r.calls[0];
  EXPECT_EQ(a.incident_id, 7);
  EXPECT_EQ(a.provider, "openai");
  EXPECT_EQ(a.model, "gpt-4o");
  EXPECT_EQ(a.prompt_version, "plan-v1");
  EXPECT_EQ(a.purpose, "answer");
  EXPECT_EQ(a.outcome, "ok");
  EXPECT_DOUBLE_EQ(a.cost_usd, 0.006);
  EXPECT_NE(a.request.find("Deployment shop/checkout"), std::string::npos);
  // The request: system text, one user turn, the schema, a cut timeout.
  ASSERT_EQ(client.requests.size(), 1u);
  EXPECT_EQ(client.requests[0].turns.size(), 1u);
  EXPECT_EQ(client.requests[0].timeout, cfg.timeout);
}

TEST_F(reasoner, KeptCandidateIsTheRulesPlanItself) {
  const auto& p1 = incident.rules.plans[0];
  auto actions = nlohmann::json::array();
  for (const auto& a : p1.actions) {
    std::vector<std::pair<std::string, std::string>> params(a.params.begin(),
                                                            a.params.end());
    actions.push_back(
      answer_action(std::string{to_string(a.type)}, a.container, params));
  }
  nlohmann::json answer{
    {"decision", "fix"},
    {"reason", "r"},
    {"plans",
     {answer_plan(
        "p2", "Adjusted",
        {answer_action("set_resources", "app", {{"memory_limit", "1Gi"}})}),
      answer_plan("p1", "Kept", {actions.begin(), actions.end()})}}};
  client.answer(answer.dump());
  auto hybrid = run("hybrid").result;
  EXPECT_EQ(hybrid.strategy, "hybrid");
  ASSERT_EQ(hybrid.plans.size(), incident.rules.plans.size());
  EXPECT_EQ(hybrid.plans[0].id, "l1");
  EXPECT_EQ(hybrid.plans[0].source, "llm: adjusted p2");
  EXPECT_EQ(hybrid.plans[1].id, "p1");
  EXPECT_EQ(hybrid.plans[1].justification, p1.justification);
  // Every candidate not kept follows, in the rules' order.
  for (size_t i = 2; i < hybrid.plans.size(); ++i)
    EXPECT_EQ(hybrid.plans[i].id, incident.rules.plans[i].id);
  EXPECT_TRUE(noted(hybrid, "ranked and adjusted the rules' "));
  // The same answer in `llm`: only the answer's plans.
  client.answer(answer.dump());
  auto llm = run("llm").result;
  ASSERT_EQ(llm.plans.size(), 2u);
  EXPECT_EQ(llm.plans[1].id, "p1");
}

TEST_F(reasoner, HybridNewPlanComesFirstAndCandidatesFollow) {
  client.answer(test::valid_answer().dump());
  auto d = run("hybrid").result;
  ASSERT_EQ(d.plans.size(), incident.rules.plans.size() + 1);
  EXPECT_EQ(d.plans[0].source, "llm");
  EXPECT_EQ(d.plans[1].id, incident.rules.plans[0].id);
}

TEST_F(reasoner, NoActionAloneEscalates) {
  client.answer(R"({"decision":"no_action","reason":"all good","plans":[]})");
  auto d = run("llm").result;
  EXPECT_EQ(d.kind, decision_kind::escalate);
  EXPECT_TRUE(noted(d, "escalated for people to decide"));
  client.answer(R"({"decision":"escalate","reason":"secret","plans":[]})");
  auto hybrid = run("hybrid").result;
  EXPECT_EQ(hybrid.kind, decision_kind::escalate);
  EXPECT_EQ(hybrid.plans.size(), incident.rules.plans.size());
  EXPECT_TRUE(noted(hybrid, "stay listed as candidates only"));
}

TEST_F(reasoner, InvalidAnswerIsRepairedOnce) {
  client.answer(
    R"({"decision":"fix","plans":[{"title":"x","actions":[{"action":"exec","container":null,"params":[]}]}]})",
    900, 50, 1000);
  client.answer(test::valid_answer().dump(), 1100, 250, 1000);
  auto r = run("llm");
  const auto& d = r.result;
  EXPECT_EQ(d.strategy, "llm");
  EXPECT_TRUE(noted(d, "first answer was invalid"));
  EXPECT_TRUE(noted(d, "\"exec\" is not an action of the vocabulary"));
  ASSERT_EQ(client.requests.size(), 2u);
  const auto& repair = client.requests[1];
  EXPECT_EQ(repair.purpose, "repair");
  ASSERT_EQ(repair.turns.size(), 3u);
  EXPECT_NE(repair.turns[1].text.find("\"exec\""), std::string::npos);
  EXPECT_NE(repair.turns[2].text.find("could not be used"), std::string::npos);
  EXPECT_NE(repair.turns[2].text.find("- plans[0].actions[0].action"),
            std::string::npos);
  ASSERT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[0].outcome, "invalid");
  EXPECT_EQ(r.calls[1].outcome, "ok");
  EXPECT_EQ(r.calls[1].purpose, "repair");
  EXPECT_EQ(d.usage.calls, 2);
  EXPECT_EQ(d.usage.prompt_tokens, 2000);
  EXPECT_EQ(d.usage.output_tokens, 300);
  EXPECT_DOUBLE_EQ(d.usage.cost_usd, (2000 * 2.5 + 300 * 10) / 1e6);
}

TEST_F(reasoner, InvalidTwiceFallsBackToTheRules) {
  client.answer("not json");
  client.answer(R"({"decision":"maybe"})");
  auto r = run("hybrid");
  const auto& d = r.result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_EQ(d.kind, incident.rules.kind);
  ASSERT_EQ(d.plans.size(), incident.rules.plans.size());
  EXPECT_EQ(d.plans[0].id, incident.rules.plans[0].id);
  EXPECT_TRUE(noted(d, "invalid twice (first: answer: not valid JSON; after "
                       "the repair: decision: must be fix"));
  EXPECT_TRUE(noted(d, "the rules' decision and plans are used"));
  EXPECT_EQ(r.calls.size(), 2u);
  EXPECT_EQ(r.calls[1].outcome, "invalid");
}

TEST_F(reasoner, EveryFailureFallsBackWithItsNote) {
  struct failure {
    llm_outcome outcome;
    const char* detail;
    const char* note;
  };
  for (const auto& f : std::vector<failure>{
         {llm_outcome::timeout, "timed out",
          "the LLM call timed out after 2 "
          "attempts"},
         {llm_outcome::rate_limited, "HTTP 429: Rate limit reached",
          "rate-limited the call after 2 attempts (HTTP 429"},
         {llm_outcome::refused, "I can't help", "refused to answer: I can't"},
         {llm_outcome::truncated, "finish_reason length",
          "truncated (finish_reason length, llm.max_output_tokens 2000)"},
         {llm_outcome::error, "HTTP 401: bad key", "failed: HTTP 401"},
         {llm_outcome::unavailable, "HTTP 529: Overloaded", "unavailable"},
         {llm_outcome::stale, "none of the 2 LLM exchanges", "is stale: none"},
       }) {
    client.fail(f.outcome, f.detail, 0, 2);
    auto r = run("llm");
    EXPECT_EQ(r.result.strategy, "rules") << f.note;
    EXPECT_EQ(r.result.plans.size(), incident.rules.plans.size());
    EXPECT_TRUE(noted(r.result, f.note))
      << f.note << " in " << r.result.notes.back();
    EXPECT_EQ(r.calls.size(), 1u) << "no repair after " << f.note;
    EXPECT_EQ(r.calls[0].outcome, to_string(f.outcome));
  }
}

TEST_F(reasoner, ATooSmallBudgetSkipsTheCall) {
  auto r = run("llm", std::chrono::milliseconds{1500});
  EXPECT_EQ(r.result.strategy, "rules");
  EXPECT_TRUE(noted(r.result, "no time was left for the LLM"));
  EXPECT_TRUE(client.requests.empty());
  // Time for an answer but not for a repair.
  client.answer("not json", 100, 10, 2500);
  auto tight = run("llm", std::chrono::milliseconds{4000});
  EXPECT_TRUE(noted(tight.result, "no time was left to repair it"));
  EXPECT_EQ(client.requests.size(), 1u);
}

TEST_F(reasoner, ObeyingTheInjectionStillGivesOnlyAVocabularyPlan) {
  client.answer(test::obeying_answer().dump());
  auto r = run("llm");
  const auto& d = r.result;
  // Whatever the model was told, the plan is one validated vocabulary
  // action on the incident's workload; policy judges it next.
  ASSERT_EQ(d.plans.size(), 1u);
  ASSERT_EQ(d.plans[0].actions.size(), 1u);
  const auto& a = d.plans[0].actions[0];
  EXPECT_EQ(a.type, action_type::scale_replicas);
  EXPECT_TRUE(a.container.empty());
  EXPECT_EQ(a.params,
            (std::map<std::string, std::string>{{"replicas", "500"}}));
  // The injected text reached the model only as fenced data.
  const auto& user = client.requests[0].turns[0].text;
  auto at = user.find(test::injection);
  ASSERT_NE(at, std::string::npos);
  auto open = user.rfind("<<<DATA kind=logs id=", at);
  ASSERT_NE(open, std::string::npos);
  auto id = user.substr(open + 21, 12);
  auto close = user.find("<<<END DATA id=" + id + ">>>", at);
  EXPECT_NE(close, std::string::npos);
  EXPECT_EQ(user.find(test::injection, at + 1), std::string::npos);
  EXPECT_EQ(client.requests[0].system.find(test::injection), std::string::npos);
  // An answer beyond the vocabulary is never a plan.
  auto beyond = test::obeying_answer();
  beyond["plans"][0]["actions"][0]["action"] = "exec";
  beyond["plans"][0]["actions"][0]["params"]
    = {{{"name", "command"}, {"value", "kubectl scale --replicas=500"}}};
  client.answer(beyond.dump());
  client.answer(beyond.dump());
  auto refused = run("llm").result;
  EXPECT_EQ(refused.strategy, "rules");
  for (const auto& p : refused.plans)
    for (const auto& act : p.actions)
      EXPECT_NE(act.type, action_type::scale_replicas);
}

} // namespace
} // namespace kfix::reasoning
