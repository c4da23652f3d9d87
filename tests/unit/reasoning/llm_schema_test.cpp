#include "actors/reasoning/llm_schema.hpp"
#include "tests/unit/reasoning/llm_fixtures.hpp"

#include <gtest/gtest.h>

namespace kfix::reasoning {
namespace {

using test::answer_action;
using test::answer_plan;
using test::valid_answer;

answer_limits checkout_limits() {
  answer_limits l;
  l.workload = {"Deployment", "shop", "checkout"};
  l.containers = {"app", "sidecar"};
  l.candidate_ids = {"p1", "p2"};
  return l;
}

/// The problems of an answer (empty when valid).
std::vector<std::string> problems_of(const nlohmann::json& answer) {
  return check_answer(answer.dump(), checkout_limits()).problems;
}

bool mentions(const std::vector<std::string>& problems,
              const std::string& text) {
  return std::any_of(problems.begin(), problems.end(), [&](const auto& p) {
    return p.find(text) != std::string::npos;
  });
}

nlohmann::json with_action(nlohmann::json action) {
  auto a = valid_answer();
  a["plans"][0]["actions"] = {std::move(action)};
  return a;
}

TEST(AnswerCheck, ValidAnswerBecomesVocabularyPlans) {
  auto checked = check_answer(valid_answer("p1").dump(), checkout_limits());
  ASSERT_TRUE(checked.answer) << checked.problems.front();
  const auto& a = *checked.answer;
  EXPECT_EQ(a.kind, decision_kind::fix);
  ASSERT_EQ(a.plans.size(), 1u);
  EXPECT_EQ(a.plans[0].based_on, "p1");
  const auto& p = a.plans[0].value;
  EXPECT_EQ(p.title, "Raise app memory to 1Gi");
  ASSERT_EQ(p.actions.size(), 1u);
  EXPECT_EQ(p.actions[0].type, action_type::set_resources);
  EXPECT_EQ(p.actions[0].container, "app");
  EXPECT_EQ(p.actions[0].param("memory_limit"), "1Gi");
  EXPECT_DOUBLE_EQ(p.confidence, 0.8);
  EXPECT_EQ(p.alternatives.size(), 1u);
}

TEST(AnswerCheck, EveryActionOfTheVocabularyPasses) {
  for (const auto& action : std::vector<nlohmann::json>{
         answer_action("scale_replicas", nullptr, {{"replicas", "4"}}),
         answer_action("set_hpa", nullptr,
                       {{"min_replicas", "2"},
                        {"max_replicas", "10"},
                        {"target_cpu_utilization", "70"}}),
         answer_action("rollback", nullptr, {{"to_revision", "4"}}),
         answer_action("rollback", "app",
                       {{"image", "registry.example.com/shop/app:1.2.3"}}),
         answer_action("set_probe", "app",
                       {{"probe", "liveness"},
                        {"initial_delay_seconds", "30"},
                        {"failure_threshold", "5"}}),
         answer_action("set_probe", "app",
                       {{"probe", "startup"}, {"remove", "true"}}),
         answer_action(
           "set_image", "app",
           {{"image", "ghcr.io/acme/app@sha256:" + std::string(64, 'a')}}),
         answer_action("restart", nullptr, {}),
         answer_action("set_env", "app",
                       {{"name", "JAVA_OPTS"}, {"value", "-Xmx700m"}}),
         answer_action("set_resources", "sidecar",
                       {{"cpu_limit", "unset"}, {"cpu_request", "250m"}}),
       })
    EXPECT_TRUE(problems_of(with_action(action)).empty())
      << action.dump() << ": " << problems_of(with_action(action)).front();
  auto escalate = nlohmann::json{{"decision", "escalate"},
                                 {"reason", "bad secret"},
                                 {"plans", nlohmann::json::array()}};
  EXPECT_TRUE(problems_of(escalate).empty());
}

TEST(AnswerCheck, OutsideTheVocabularyIsRejected) {
  struct bad {
    nlohmann::json action;
    const char* problem;
  };
  for (const auto& c : std::vector<bad>{
         {answer_action("delete_namespace", nullptr, {}),
          "is not an action of the vocabulary"},
         {answer_action("set_resources", "istio-proxy",
                        {{"memory_limit", "1Gi"}}),
          "\"istio-proxy\" is not a container of Deployment shop/checkout"},
         {answer_action("set_resources", nullptr, {{"memory_limit", "1Gi"}}),
          "container: is required"},
         {answer_action("scale_replicas", "app", {{"replicas", "3"}}),
          "container: must be null"},
         {answer_action("set_resources", "app", {{"memory_limit", "400m"}}),
          "memory_limit"},
         {answer_action("set_resources", "app", {{"memory_limit", "5K"}}),
          "memory_limit"},
         {answer_action("set_resources", "app", {{"memory_limit", "-1Gi"}}),
          "memory_limit"},
         {answer_action("set_resources", "app", {{"command", "rm -rf /"}}),
          "\"command\" is not a parameter of set_resources"},
         {answer_action("set_resources", "app", {}), "at least 1"},
         {answer_action("scale_replicas", nullptr, {{"replicas", "-3"}}),
          "whole number"},
         {answer_action("scale_replicas", nullptr, {{"replicas", "3.5"}}),
          "whole number"},
         {answer_action("scale_replicas", nullptr, {{"replicas", "100000"}}),
          "within 0..10000"},
         {answer_action("set_hpa", nullptr,
                        {{"min_replicas", "9"}, {"max_replicas", "3"}}),
          "min_replicas above max_replicas"},
         {answer_action("set_probe", "app", {{"probe", "sideways"}}),
          "liveness, readiness or startup"},
         {answer_action("set_probe", "app",
                        {{"probe", "liveness"}, {"success_threshold", "3"}}),
          "must be 1 for a liveness probe"},
         {answer_action("set_image", "app", {{"image", "evil; curl x | sh"}}),
          "not an image reference"},
         {answer_action("rollback", nullptr,
                        {{"image", "registry.example.com/app:1"}}),
          "names its container"},
         {answer_action("set_env", "app", {{"name", "1 BAD"}, {"value", "x"}}),
          "not an environment variable name"},
       }) {
    auto problems = problems_of(with_action(c.action));
    EXPECT_TRUE(mentions(problems, c.problem))
      << c.action.dump() << " -> "
      << (problems.empty() ? "valid" : problems.front());
  }
}

TEST(AnswerCheck, StructureAndBounds) {
  auto extra = valid_answer();
  extra["plans"][0]["command"] = "kubectl delete ns shop";
  EXPECT_TRUE(mentions(problems_of(extra), "plans[0].command: unknown field"));
  auto root_extra = valid_answer();
  root_extra["tool"] = "shell";
  EXPECT_TRUE(mentions(problems_of(root_extra), "tool: unknown field"));
  auto too_many = valid_answer();
  for (int i = 0; i < 5; ++i)
    too_many["plans"].push_back(too_many["plans"][0]);
  EXPECT_TRUE(mentions(problems_of(too_many), "at most 5 plans"));
  auto long_title = valid_answer();
  long_title["plans"][0]["title"] = std::string(300, 'x');
  EXPECT_TRUE(mentions(problems_of(long_title), "longer than 200"));
  auto actions = valid_answer();
  for (int i = 0; i < 4; ++i)
    actions["plans"][0]["actions"].push_back(
      answer_action("restart", nullptr, {}));
  EXPECT_TRUE(mentions(problems_of(actions), "1..4 actions"));
  auto unknown_base = valid_answer("p9");
  EXPECT_TRUE(mentions(problems_of(unknown_base), "not a candidate plan id"));
  auto fix_without = valid_answer();
  fix_without["plans"] = nlohmann::json::array();
  EXPECT_TRUE(mentions(problems_of(fix_without), "at least one plan"));
  auto escalate_with = valid_answer();
  escalate_with["decision"] = "escalate";
  EXPECT_TRUE(mentions(problems_of(escalate_with), "must be empty"));
  auto confident = valid_answer();
  confident["plans"][0]["confidence"] = 7;
  EXPECT_TRUE(mentions(problems_of(confident), "within [0, 1]"));
  auto twice = valid_answer();
  twice["plans"][0]["actions"].push_back(twice["plans"][0]["actions"][0]);
  EXPECT_TRUE(mentions(problems_of(twice), "twice"));
  EXPECT_TRUE(mentions(
    check_answer("{\"decision\": \"fix\", ", checkout_limits()).problems,
    "not valid JSON"));
  EXPECT_TRUE(
    mentions(check_answer(std::string(70'000, ' '), checkout_limits()).problems,
             "longer than"));
}

TEST(AnswerCheck, TolerantOfHarmlessForms) {
  // Parameters as an object, integers as numbers, a ```json fence.
  auto a = valid_answer();
  a["plans"][0]["actions"]
    = {{{"action", "scale_replicas"}, {"params", {{"replicas", 4}}}}};
  auto text = "```json\n" + a.dump() + "\n```";
  auto checked = check_answer(text, checkout_limits());
  ASSERT_TRUE(checked.answer) << checked.problems.front();
  EXPECT_EQ(checked.answer->plans[0].value.actions[0].param("replicas"), "4");
}

/// Checks OpenAI's strict-mode rules on every object of a schema.
void expect_strict(const nlohmann::json& s, const std::string& path) {
  if (s.is_object()) {
    if (s.value("type", nlohmann::json{}) == "object") {
      EXPECT_EQ(s.value("additionalProperties", nlohmann::json{true}), false)
        << path;
      auto required = s["required"];
      for (const auto& [key, value] : s["properties"].items())
        EXPECT_NE(std::find(required.begin(), required.end(), key),
                  required.end())
          << path << "." << key;
    }
    for (const auto& [key, value] : s.items())
      expect_strict(value, path + "." + key);
  } else if (s.is_array()) {
    for (const auto& v : s)
      expect_strict(v, path + "[]");
  }
}

TEST(AnswerSchema, StrictModeCompatibleAndEnumerated) {
  auto s = answer_schema(checkout_limits());
  expect_strict(s, "$");
  auto action
    = s["properties"]["plans"]["items"]["properties"]["actions"]["items"];
  EXPECT_EQ(action["properties"]["action"]["enum"].size(), 9u);
  EXPECT_EQ(action["properties"]["container"]["anyOf"][0]["enum"],
            (nlohmann::json{"app", "sidecar"}));
  answer_limits none;
  auto bare = answer_schema(none);
  EXPECT_EQ(bare["properties"]["plans"]["items"]["properties"]["based_on"],
            (nlohmann::json{{"type", "null"}}));
}

TEST(Repair, RequestCarriesThePreviousAnswerAndProblems) {
  llm_request first;
  first.system = "sys";
  first.turns.push_back({"user", "incident"});
  auto repair = repair_request(first, "{bad", "fix these:\n- a\n");
  EXPECT_EQ(repair.purpose, "repair");
  ASSERT_EQ(repair.turns.size(), 3u);
  EXPECT_EQ(repair.turns[1].role, "assistant");
  EXPECT_EQ(repair.turns[1].text, "{bad");
  EXPECT_EQ(repair.turns[2].role, "user");
  EXPECT_EQ(repair_request(first, "", "x").turns[1].text, "(no answer)");
  std::vector<std::string> many(25, "p");
  auto list = problem_list(many);
  EXPECT_NE(list.find("- and 5 more"), std::string::npos);
}

} // namespace
} // namespace kfix::reasoning
