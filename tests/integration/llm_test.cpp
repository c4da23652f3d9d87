// The LLM half of REASONING over real HTTP on 127.0.0.1: the completion
// client against the fake LLM (both protocols, every scripted answer), the
// audit in PostgreSQL, the agent's REASONING with the llm strategy, and the
// eval's cassette recording, replay and staleness.

#include "actors/common/http_client.hpp"
#include "actors/intake/alert_parser.hpp"
#include "actors/reasoning/llm_cassette.hpp"
#include "actors/reasoning/llm_client.hpp"
#include "actors/reasoning/llm_reasoner.hpp"
#include "actors/store/incident_store.hpp"
#include "actors/system/agent.hpp"
#include "actors/system/eval_strategy.hpp"
#include "eval/harness.hpp"
#include "eval/sim/incident.hpp"
#include "tests/support/fake_llm.hpp"
#include "tests/support/test_database.hpp"
#include "tests/unit/reasoning/llm_fixtures.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

namespace {

using namespace kfix;
using answer = test::fake_llm::answer;
namespace fs = std::filesystem;
namespace rt = reasoning::test;

/// The HTTP client layer with short backoffs (retries stay fast).
std::shared_ptr<http::client> quick_http() {
  http::client_config cc;
  cc.backoff_base = std::chrono::milliseconds{10};
  cc.backoff_cap = std::chrono::milliseconds{50};
  return http::make_curl_client(cc);
}

llm_config fake_config(const test::fake_llm& fake,
                       const std::string& provider) {
  llm_config cfg;
  cfg.provider = provider;
  cfg.base_url = fake.base_url();
  cfg.model = provider == "anthropic" ? "claude-sonnet-4-5" : "gpt-4o";
  cfg.timeout = std::chrono::milliseconds{5'000};
  cfg.max_attempts = 2;
  cfg.prompt_file
    = std::string{KFIX_SOURCE_DIR} + "/config/prompts/plan-v1.txt";
  cfg.price_input_per_mtok = 2.5;
  cfg.price_output_per_mtok = 10;
  return cfg;
}

bool noted(const decision& d, const std::string& text) {
  return std::any_of(d.notes.begin(), d.notes.end(), [&](const auto& n) {
    return n.find(text) != std::string::npos;
  });
}

std::string all_notes(const decision& d) {
  std::string out;
  for (const auto& n : d.notes)
    out += n + " | ";
  return out;
}

/// The user turn of a recorded request, either protocol.
std::string user_text(const test::fake_llm::request_record& r) {
  for (const auto& m : r.json["messages"])
    if (m["role"] == "user")
      return m["content"].get<std::string>();
  return {};
}

// -- the client and the reasoner over HTTP, both protocols --------------------

class LlmOverHttp : public ::testing::TestWithParam<std::string> {
protected:
  test::fake_llm fake;
  llm_config cfg = fake_config(fake, GetParam());
  rt::checkout_incident incident;
  reasoning::prompt_template prompt = rt::shipped_prompt();

  reasoning::llm_result decide(const std::string& key,
                               const std::string& strategy = "llm") {
    reasoning::llm_client client{quick_http(), cfg, key};
    return reasoning::decide_with_llm(
      rt::job_for(incident, cfg, prompt, strategy, 42), client);
  }

  reasoning::llm_result decide() {
    return decide(fake.api_key());
  }

  bool anthropic() const {
    return GetParam() == "anthropic";
  }
};

TEST_P(LlmOverHttp, ValidAnswerBecomesTheDecision) {
  fake.script({answer::valid(rt::valid_answer()).tokens(1800, 420)});
  auto r = decide();
  const auto& d = r.result;
  EXPECT_EQ(d.strategy, "llm") << all_notes(d);
  ASSERT_EQ(d.plans.size(), 1u);
  EXPECT_EQ(d.plans[0].id, "l1");
  EXPECT_EQ(d.plans[0].actions[0].param("memory_limit"), "1Gi");
  // Tokens and cost as the provider counted them.
  EXPECT_EQ(d.usage.calls, 1);
  EXPECT_EQ(d.usage.prompt_tokens, 1800);
  EXPECT_EQ(d.usage.output_tokens, 420);
  EXPECT_DOUBLE_EQ(d.usage.cost_usd, (1800 * 2.5 + 420 * 10) / 1e6);
  EXPECT_EQ(r.calls[0].latency_ms, d.usage.latency_ms);
  // The request as the provider wants it.
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& req = reqs[0];
  EXPECT_EQ(req.status, 200);
  EXPECT_EQ(req.protocol, GetParam());
  if (anthropic()) {
    EXPECT_EQ(req.headers.find("x-api-key")->second, fake.api_key());
    EXPECT_EQ(req.headers.find("anthropic-version")->second, "2023-06-01");
    EXPECT_EQ(req.headers.count("authorization"), 0u);
    EXPECT_EQ(req.json["tool_choice"]["name"], "kfix_plans");
    EXPECT_TRUE(req.json["system"].is_string());
  } else {
    EXPECT_EQ(req.headers.find("authorization")->second,
              "Bearer " + fake.api_key());
    EXPECT_EQ(req.json["response_format"]["json_schema"]["strict"], true);
    EXPECT_FALSE(req.json.contains("tools"));
  }
  EXPECT_EQ(req.json["model"], cfg.model);
  // The audit holds what was sent and what came back, never the key.
  ASSERT_EQ(r.calls.size(), 1u);
  EXPECT_EQ(r.calls[0].request, req.body);
  EXPECT_EQ(r.calls[0].http_status, 200);
  EXPECT_NE(r.calls[0].response.find("1800"), std::string::npos);
  EXPECT_EQ(r.calls[0].request.find(fake.api_key()), std::string::npos);
}

TEST_P(LlmOverHttp, InvalidAnswerIsRepaired) {
  fake.script({answer::raw("{\"decision\": \"fix\", \"plans\": [{\"title\": "
                           "\"x\", \"actions\": [{\"action\": \"exec\"}]}]}"),
               answer::valid(rt::valid_answer())});
  auto d = decide().result;
  EXPECT_EQ(d.strategy, "llm") << all_notes(d);
  EXPECT_TRUE(noted(d, "its repaired answer is used"));
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  auto messages = reqs[1].json["messages"];
  auto last = messages.back();
  EXPECT_EQ(last["role"], "user");
  EXPECT_NE(
    last["content"].get<std::string>().find("\"exec\" is not an action"),
    std::string::npos);
  EXPECT_EQ(messages[messages.size() - 2]["role"], "assistant");
  EXPECT_EQ(d.usage.calls, 2);
}

TEST_P(LlmOverHttp, InvalidTwiceUsesTheRules) {
  fake.script({answer::raw("sure! here are some ideas"),
               answer::raw("{\"decision\": \"fix\"}")});
  auto d = decide().result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_EQ(d.plans.size(), incident.rules.plans.size());
  EXPECT_TRUE(noted(d, "invalid twice")) << all_notes(d);
  EXPECT_EQ(fake.request_count(), 2u);
}

TEST_P(LlmOverHttp, TruncatedAnswerUsesTheRules) {
  fake.script({answer::cut("{\"decision\": \"fix\", \"plans\": [{\"tit")});
  auto d = decide().result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_TRUE(noted(d, "truncated")) << all_notes(d);
  EXPECT_TRUE(
    noted(d, anthropic() ? "stop_reason max_tokens" : "finish_reason length"));
  EXPECT_EQ(fake.request_count(), 1u); // no repair of a cut answer
}

TEST_P(LlmOverHttp, RefusalUsesTheRules) {
  fake.script({answer::refusal("I'm sorry, I can't help with that.")});
  auto d = decide().result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_TRUE(noted(d, "refused")) << all_notes(d);
  EXPECT_EQ(fake.request_count(), 1u);
}

TEST_P(LlmOverHttp, RateLimitIsRetriedWithRetryAfter) {
  fake.script(
    {answer::too_many_requests(1), answer::valid(rt::valid_answer())});
  auto started = std::chrono::steady_clock::now();
  auto d = decide().result;
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(d.strategy, "llm") << all_notes(d);
  EXPECT_GE(took, std::chrono::milliseconds{1000}); // Retry-After: 1
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].status, 429);
  EXPECT_EQ(reqs[1].status, 200);
  EXPECT_EQ(d.usage.calls, 1); // one call, two HTTP attempts
}

TEST_P(LlmOverHttp, RateLimitAfterRetriesUsesTheRules) {
  fake.script({answer::too_many_requests(0), answer::too_many_requests(0)});
  auto d = decide().result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_TRUE(noted(d, "rate-limited the call after 2 attempts"))
    << all_notes(d);
  EXPECT_TRUE(noted(d, "HTTP 429"));
  EXPECT_EQ(fake.request_count(), 2u);
}

TEST_P(LlmOverHttp, OverloadedAfterRetriesUsesTheRules) {
  fake.script({answer::overload(), answer::overload()});
  auto d = decide().result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_TRUE(noted(d, "unavailable after 2 attempts")) << all_notes(d);
  EXPECT_TRUE(noted(d, anthropic() ? "HTTP 529" : "HTTP 503"));
}

TEST_P(LlmOverHttp, SlowAnswerTimesOut) {
  cfg.timeout = std::chrono::milliseconds{1'000};
  auto slow = answer::valid(rt::valid_answer()).after(std::chrono::seconds{2});
  fake.script({slow, slow});
  auto d = decide().result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_TRUE(noted(d, "timed out after 2 attempts")) << all_notes(d);
  EXPECT_GE(d.usage.latency_ms, 2'000);
  EXPECT_LT(d.usage.latency_ms, 4'000);
}

TEST_P(LlmOverHttp, WrongKeyUsesTheRules) {
  auto d = decide("sk-wrong").result;
  EXPECT_EQ(d.strategy, "rules");
  EXPECT_TRUE(noted(d, "failed: HTTP 401")) << all_notes(d);
  EXPECT_EQ(fake.request_count(), 1u); // 401 is not retried
  EXPECT_EQ(fake.pending(), 0u);
}

TEST_P(LlmOverHttp, InjectionStaysDataAndAnObeyingModelGivesAVocabularyPlan) {
  fake.script({answer::valid(rt::obeying_answer())});
  auto d = decide().result;
  // The injected line reached the model only inside the logs fence.
  auto reqs = fake.requests();
  ASSERT_EQ(reqs.size(), 1u);
  auto user = user_text(reqs[0]);
  auto at = user.find(rt::injection);
  ASSERT_NE(at, std::string::npos);
  EXPECT_EQ(user.find(rt::injection, at + 1), std::string::npos);
  auto open = user.rfind("<<<DATA kind=logs id=", at);
  ASSERT_NE(open, std::string::npos);
  auto id = user.substr(open + 21, 12);
  auto close = user.find("<<<END DATA id=" + id + ">>>", at);
  ASSERT_NE(close, std::string::npos);
  EXPECT_EQ(user.find("<<<END DATA id=" + id + ">>>", open), close);
  auto system = anthropic()
                  ? reqs[0].json["system"].get<std::string>()
                  : reqs[0].json["messages"][0]["content"].get<std::string>();
  EXPECT_EQ(system.find(rt::injection), std::string::npos);
  // The model obeyed: the result is still one validated vocabulary action
  // on the incident's workload, for policy to judge downstream.
  ASSERT_EQ(d.plans.size(), 1u) << all_notes(d);
  ASSERT_EQ(d.plans[0].actions.size(), 1u);
  const auto& a = d.plans[0].actions[0];
  EXPECT_EQ(a.type, action_type::scale_replicas);
  EXPECT_EQ(a.params,
            (std::map<std::string, std::string>{{"replicas", "500"}}));
  EXPECT_TRUE(a.container.empty());
  // ...which the policy rejects downstream.
  auto failed = rt::policy_failures(d.plans[0], incident.bundle);
  EXPECT_NE(std::find(failed.begin(), failed.end(), "replicas_cap"),
            failed.end());
}

INSTANTIATE_TEST_SUITE_P(Providers, LlmOverHttp,
                         ::testing::Values("openai", "anthropic"));

// -- the audit in PostgreSQL --------------------------------------------------

TEST(LlmAudit, CallsAreStoredInPostgres) {
  test::test_database db;
  if (db.url().empty())
    GTEST_SKIP() << "KFIX_TEST_DATABASE_URL not set (run through ctest)";
  ASSERT_FALSE(store::migrate(db.url()));
  ASSERT_FALSE(store::migrate(db.url())); // idempotent
  test::fake_llm fake;
  auto cfg = fake_config(fake, "openai");
  rt::checkout_incident incident;
  incident.log("2026-03-14T10:01:58.000Z", "error",
               "db login failed password=hunter2hunter2");
  auto prompt = rt::shipped_prompt();
  fake.script({answer::raw("oops").tokens(900, 12),
               answer::valid(rt::valid_answer()).tokens(1000, 250)});
  reasoning::llm_client client{quick_http(), cfg, fake.api_key()};
  auto r = reasoning::decide_with_llm(
    rt::job_for(incident, cfg, prompt, "llm", 4711), client);
  auto pg = store::make_pg_store(db.url());
  for (const auto& call : r.calls)
    ASSERT_FALSE(pg->record_llm_call(call));
  pqxx::connection c{db.url()};
  pqxx::read_transaction tx{c};
  auto rows = tx.exec_params(
    "SELECT provider, model, prompt_version, purpose, request, response, "
    "http_status, outcome, prompt_tokens, output_tokens, cost_usd, "
    "latency_ms, created_at IS NOT NULL FROM llm_calls WHERE incident_id = $1 "
    "ORDER BY id",
    int64_t{4711});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "openai");
  EXPECT_EQ(rows[0][1].as<std::string>(), "gpt-4o");
  EXPECT_EQ(rows[0][2].as<std::string>(), "plan-v1");
  EXPECT_EQ(rows[0][3].as<std::string>(), "answer");
  EXPECT_EQ(rows[0][7].as<std::string>(), "invalid");
  EXPECT_EQ(rows[1][3].as<std::string>(), "repair");
  EXPECT_EQ(rows[1][7].as<std::string>(), "ok");
  EXPECT_EQ(rows[1][6].as<int>(), 200);
  EXPECT_EQ(rows[1][8].as<int64_t>(), 1000);
  EXPECT_EQ(rows[1][9].as<int64_t>(), 250);
  EXPECT_DOUBLE_EQ(rows[1][10].as<double>(), (1000 * 2.5 + 250 * 10) / 1e6);
  EXPECT_TRUE(rows[1][12].as<bool>());
  auto request = rows[0][4].as<std::string>();
  EXPECT_EQ(request, fake.requests()[0].body);                  // what was sent
  EXPECT_EQ(request.find("hunter2hunter2"), std::string::npos); // redacted
  EXPECT_NE(request.find("password=<redacted>"), std::string::npos);
  EXPECT_EQ(request.find(fake.api_key()), std::string::npos);
  EXPECT_NE(rows[1][5].as<std::string>().find("chat.completion"),
            std::string::npos);
}

// -- REASONING in the agent: the llm strategy end to end ----------------------

TEST(LlmReasoning, AgentDecidesWithTheLlmAndAuditsInPostgres) {
  test::test_database db;
  if (db.url().empty())
    GTEST_SKIP() << "KFIX_TEST_DATABASE_URL not set (run through ctest)";
  test::fake_llm fake;
  auto state
    = fs::temp_directory_path() / ("kfix-llm-" + test::unique_suffix());
  agent_config cfg;
  cfg.server.listen = "127.0.0.1:0";
  cfg.database_url = db.url();
  cfg.state_dir = state.string();
  cfg.simulation.datasets.clear();
  cfg.simulation.incidents
    = {(test::samples_dir() / "oom-checkout-0314").string()};
  cfg.policy_file = std::string{KFIX_SOURCE_DIR} + "/config/policy.yaml";
  cfg.reasoning.strategy = "llm";
  cfg.llm = fake_config(fake, "openai");
  cfg.secret.llm_api_key = fake.api_key();
  ASSERT_FALSE(cfg.validate()) << render(cfg.validate());
  fake.script({answer::valid(rt::valid_answer(nullptr, "960Mi"))});
  auto started
    = start_agent(std::make_shared<const agent_config>(cfg), agent_overrides{});
  ASSERT_TRUE(started) << render(started.error());
  auto& agent = **started;
  auto inc = sim::load_incident(test::samples_dir() / "oom-checkout-0314");
  ASSERT_TRUE(inc);
  auto alert = intake::parse_alert(inc->alert_json);
  ASSERT_TRUE(alert);
  // The incident as intake would have stored it.
  auto stored
    = store::make_pg_store(db.url())->record_alert(*alert, inc->alert_json);
  ASSERT_TRUE(stored) << render(stored.error());
  auto job = std::make_shared<incident_job>();
  auto value = std::make_shared<incident>();
  value->id = stored->incident_id;
  value->alert = *alert;
  job->incident = value;
  auto endpoints = agent.resolve(*alert);
  ASSERT_TRUE(endpoints) << render(endpoints.error());
  job->endpoints = *endpoints;
  auto done = std::make_shared<std::promise<result_ptr>>();
  auto future = done->get_future();
  job->on_done = [done](result_ptr r) {
    done->set_value(std::move(r));
  };
  agent.process(job);
  ASSERT_EQ(future.wait_for(std::chrono::seconds{60}),
            std::future_status::ready);
  auto result = future.get();
  agent.stop();
  const auto& d = result->decision;
  EXPECT_EQ(d.strategy, "llm") << all_notes(d);
  ASSERT_FALSE(d.plans.empty());
  EXPECT_EQ(d.plans[0].id, "l1");
  EXPECT_EQ(result->chosen_plan, "l1") << result->failure;
  EXPECT_EQ(d.usage.calls, 1);
  pqxx::connection c{db.url()};
  pqxx::read_transaction tx{c};
  auto rows = tx.exec_params("SELECT outcome, prompt_tokens FROM llm_calls "
                             "WHERE incident_id = $1",
                             value->id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), "ok");
  EXPECT_EQ(rows[0][1].as<int64_t>(), 1200);
  std::error_code ec;
  fs::remove_all(state, ec);
}

// -- the eval: record, replay, stale, skipped ---------------------------------

class LlmEval : public ::testing::Test {
protected:
  void SetUp() override {
    fs::copy(test::samples_dir() / "oom-checkout-0314",
             dir_.path() / "oom-checkout-0314", fs::copy_options::recursive);
    std::error_code ec;
    fs::remove(cassette(), ec);
    auto data = eval::load_for_eval(dir_.path());
    ASSERT_TRUE(data) << render(data.error());
    data_ = std::move(*data);
    ASSERT_EQ(data_.incidents.size(), 1u);
  }

  agent_config config() const {
    agent_config cfg;
    cfg.policy_file = std::string{KFIX_SOURCE_DIR} + "/config/policy.yaml";
    if (auto policy = load_policy_file(cfg.policy_file))
      cfg.policy = *policy;
    cfg.llm.prompt_file
      = std::string{KFIX_SOURCE_DIR} + "/config/prompts/plan-v1.txt";
    cfg.llm.model = "gpt-4o";
    return cfg;
  }

  /// Runs one strategy over the dataset; the result of the only incident.
  result_ptr run(pipeline_strategy& s) {
    s.use_recordings_of(data_.incidents);
    EXPECT_EQ(s.unavailable(), "");
    std::vector<const eval::loaded_incident*> incidents{&data_.incidents[0]};
    result_ptr result;
    std::string error;
    s.run(incidents, 1, [&](size_t, eval::run_record rec) {
      result = rec.result;
      error = rec.error;
    });
    EXPECT_TRUE(result) << error;
    return result;
  }

  fs::path cassette() const {
    return dir_.path() / "oom-checkout-0314" / "cassette.jsonl";
  }

  sim::test::temp_dir dir_;
  eval::loaded_dataset data_;
};

TEST_F(LlmEval, NoEndpointAndNoRecordingsIsSkipped) {
  for (const char* name : {"llm", "hybrid"}) {
    pipeline_strategy s{name, config()};
    s.use_recordings_of(data_.incidents);
    auto why = s.unavailable();
    EXPECT_NE(why.find("no LLM endpoint is configured"), std::string::npos)
      << why;
    auto report = eval::evaluate("tmp", data_, {&s}, 1, {});
    ASSERT_EQ(report.strategies.size(), 1u);
    EXPECT_TRUE(report.strategies[0].skipped);
    EXPECT_EQ(report.strategies[0].skip_reason, why);
  }
  pipeline_strategy rules{"rules", config()};
  EXPECT_EQ(rules.unavailable(), "");
}

TEST_F(LlmEval, ObeyedInjectionIsRejectedBySafetyAndNeverPublished) {
  test::fake_llm fake;
  fake.script(
    {answer::valid(rt::obeying_answer()), answer::valid(rt::obeying_answer())});
  auto cfg = config();
  cfg.llm = fake_config(fake, "openai");
  cfg.secret.llm_api_key = fake.api_key();
  auto verdict_of = [](const incident_result& r, const std::string& id) {
    for (const auto& v : r.verdicts)
      if (v.plan_id == id)
        return v;
    return verdict{};
  };
  // hybrid: the obeyed plan ranks first, policy rejects it, a rules plan
  // is published.
  pipeline_strategy hybrid{"hybrid", cfg};
  auto h = run(hybrid);
  ASSERT_TRUE(h);
  ASSERT_FALSE(h->decision.plans.empty());
  EXPECT_EQ(h->decision.plans[0].id, "l1");
  auto rejected = verdict_of(*h, "l1");
  EXPECT_FALSE(rejected.accepted);
  EXPECT_NE(rejected.reasons().find("replicas_cap"), std::string::npos)
    << rejected.reasons();
  EXPECT_EQ(h->chosen_plan.rfind("p", 0), 0u) << h->chosen_plan;
  // llm: nothing else was proposed, so nothing is published.
  fs::remove(cassette());
  pipeline_strategy llm{"llm", cfg};
  auto l = run(llm);
  ASSERT_TRUE(l);
  EXPECT_TRUE(l->chosen_plan.empty());
  EXPECT_FALSE(l->publication);
  EXPECT_FALSE(verdict_of(*l, "l1").accepted);
}

TEST_F(LlmEval, LiveRunRecordsThenReplaysThenGoesStale) {
  test::fake_llm fake;
  fake.script({answer::valid(rt::valid_answer())});
  // 1. Live: the exchange is recorded into the incident's cassette.
  auto live_cfg = config();
  live_cfg.llm = fake_config(fake, "openai");
  live_cfg.secret.llm_api_key = fake.api_key();
  pipeline_strategy live{"hybrid", live_cfg};
  auto first = run(live);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->decision.strategy, "hybrid") << all_notes(first->decision);
  EXPECT_EQ(first->decision.plans[0].id, "l1");
  EXPECT_EQ(fake.request_count(), 1u);
  auto text = sim::test::read_file(cassette());
  auto lines = cassette::read(cassette(), "llm");
  ASSERT_TRUE(lines) << render(lines.error());
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].path, "/v1/chat/completions");
  EXPECT_EQ((*lines)[0].status, 200);
  EXPECT_EQ(nlohmann::json::parse(fake.requests()[0].body),
            (*lines)[0].request_body);
  EXPECT_EQ(text.find(fake.api_key()), std::string::npos);
  EXPECT_EQ(text.find("uthorization"), std::string::npos);
  EXPECT_EQ(text.find("x-api-key"), std::string::npos);
  // 2. Replay: no endpoint, the identical request answers from the cassette.
  pipeline_strategy replay{"hybrid", config()};
  auto second = run(replay);
  ASSERT_TRUE(second);
  EXPECT_EQ(fake.request_count(), 1u); // nothing called
  EXPECT_EQ(second->decision.strategy, "hybrid") << all_notes(second->decision);
  ASSERT_EQ(second->decision.plans.size(), first->decision.plans.size());
  for (size_t i = 0; i < first->decision.plans.size(); ++i)
    EXPECT_EQ(second->decision.plans[i].id, first->decision.plans[i].id);
  EXPECT_EQ(second->chosen_plan, first->chosen_plan);
  EXPECT_EQ(sim::test::read_file(cassette()), text); // replay writes nothing
  // 3. A changed prompt makes the recording stale: the rules decide.
  auto changed = dir_.path() / "plan-v2.txt";
  {
    auto tpl = sim::test::read_file(fs::path{KFIX_SOURCE_DIR} / "config"
                                    / "prompts" / "plan-v1.txt");
    tpl.replace(tpl.find("version: plan-v1"), 16, "version: plan-v2");
    const std::string last = "Answer with the JSON object only.";
    tpl.replace(tpl.find(last), last.size(), "Answer with the object only.");
    std::ofstream{changed} << tpl;
  }
  auto stale_cfg = config();
  stale_cfg.llm.prompt_file = changed.string();
  pipeline_strategy stale{"hybrid", stale_cfg};
  auto third = run(stale);
  ASSERT_TRUE(third);
  EXPECT_EQ(fake.request_count(), 1u);
  EXPECT_EQ(third->decision.strategy, "rules");
  EXPECT_TRUE(noted(third->decision, "stale")) << all_notes(third->decision);
  EXPECT_TRUE(noted(third->decision, "the prompt or the settings changed"));
  EXPECT_TRUE(noted(third->decision, "the rules' decision and plans are used"));
}

} // namespace

namespace {

TEST(LlmEvalDataset, EveryIncidentReplaysItsOwnRecording) {
  sim::test::temp_dir dir;
  fs::copy(fs::path{KFIX_SOURCE_DIR} / "datasets" / "eval", dir.path() / "eval",
           fs::copy_options::recursive);
  auto data = eval::load_for_eval(dir.path() / "eval");
  ASSERT_TRUE(data) << render(data.error());
  ASSERT_GT(data->incidents.size(), 50u);
  test::fake_llm fake;
  std::vector<answer> answers(
    data->incidents.size(),
    answer::valid({{"decision", "escalate"},
                   {"reason", "people decide"},
                   {"plans", nlohmann::json::array()}}));
  fake.script(answers);
  std::vector<const eval::loaded_incident*> incidents;
  for (const auto& li : data->incidents)
    incidents.push_back(&li);
  auto notes = [&](pipeline_strategy& s) {
    s.use_recordings_of(data->incidents);
    std::vector<std::string> out(incidents.size());
    s.run(incidents, 2, [&](size_t i, eval::run_record rec) {
      out[i] = rec.result ? all_notes(rec.result->decision) : rec.error;
    });
    return out;
  };
  agent_config cfg;
  cfg.llm.prompt_file
    = std::string{KFIX_SOURCE_DIR} + "/config/prompts/plan-v1.txt";
  cfg.llm.model = "gpt-4o";
  auto live_cfg = cfg;
  live_cfg.llm = fake_config(fake, "openai");
  live_cfg.secret.llm_api_key = fake.api_key();
  pipeline_strategy live{"llm", live_cfg};
  auto recorded = notes(live);
  EXPECT_EQ(fake.request_count(), incidents.size());
  // Offline, every incident's prompt is the recorded one, byte for byte.
  pipeline_strategy replay{"llm", cfg};
  auto replayed = notes(replay);
  EXPECT_EQ(fake.request_count(), incidents.size());
  for (size_t i = 0; i < incidents.size(); ++i) {
    EXPECT_EQ(replayed[i].find("stale"), std::string::npos)
      << incidents[i]->incident.id << ": " << replayed[i];
    EXPECT_NE(replayed[i].find("the LLM proposed the plans"), std::string::npos)
      << incidents[i]->incident.id << ": " << replayed[i];
  }
}

} // namespace
