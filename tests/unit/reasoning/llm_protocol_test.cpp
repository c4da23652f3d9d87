#include "actors/reasoning/anthropic_messages.hpp"
#include "actors/reasoning/llm_protocol.hpp"
#include "actors/reasoning/openai_chat.hpp"
#include "tests/unit/reasoning/llm_fixtures.hpp"

#include <gtest/gtest.h>

namespace kfix::reasoning {
namespace {

using test::test_llm_config;

llm_request sample_request() {
  llm_request req;
  req.system = "You are K-Fix.";
  req.turns = {{"user", "incident"}, {"assistant", "{bad"}, {"user", "again"}};
  req.schema = {{"type", "object"},
                {"properties", nlohmann::json::object()},
                {"required", nlohmann::json::array()},
                {"additionalProperties", false}};
  return req;
}

TEST(OpenAiChat, BodyHasSchemaAndNoTools) {
  auto cfg = test_llm_config();
  auto body = openai_chat_body(cfg, sample_request());
  EXPECT_EQ(body["model"], "gpt-4o");
  ASSERT_EQ(body["messages"].size(), 4u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][2]["role"], "assistant");
  EXPECT_EQ(body["max_tokens"], 2000);
  EXPECT_FALSE(body.contains("max_completion_tokens"));
  EXPECT_DOUBLE_EQ(body["temperature"].get<double>(), 0.1);
  const auto& rf = body["response_format"];
  EXPECT_EQ(rf["type"], "json_schema");
  EXPECT_EQ(rf["json_schema"]["name"], "kfix_plans");
  EXPECT_EQ(rf["json_schema"]["strict"], true);
  EXPECT_FALSE(body.contains("tools"));
  EXPECT_FALSE(body.contains("tool_choice"));
  cfg.base_url = "https://api.openai.com/v1";
  auto official = openai_chat_body(cfg, sample_request());
  EXPECT_EQ(official["max_completion_tokens"], 2000);
  EXPECT_FALSE(official.contains("max_tokens"));
  // Deterministic bytes: equal requests, equal bodies.
  EXPECT_EQ(request_body(cfg, sample_request()),
            request_body(cfg, sample_request()));
  EXPECT_EQ(endpoint_path(cfg), "/chat/completions");
}

std::string openai_response(nlohmann::json message, const std::string& finish) {
  return nlohmann::json{
    {"id", "chatcmpl-1"},
    {"object", "chat.completion"},
    {"created", 1741569952},
    {"model", "gpt-4o-2024-08-06"},
    {"choices",
     {{{"index", 0},
       {"message", std::move(message)},
       {"logprobs", nullptr},
       {"finish_reason", finish}}}},
    {"usage",
     {{"prompt_tokens", 19}, {"completion_tokens", 10}, {"total_tokens", 29}}}}
    .dump();
}

TEST(OpenAiChat, ParsesAnswersRefusalsAndTruncation) {
  auto ok = parse_openai_chat(
    200, openai_response({{"role", "assistant"},
                          {"content", "{\"decision\":\"fix\"}"},
                          {"refusal", nullptr}},
                         "stop"));
  EXPECT_EQ(ok.outcome, llm_outcome::ok);
  EXPECT_EQ(ok.text, "{\"decision\":\"fix\"}");
  EXPECT_EQ(ok.prompt_tokens, 19);
  EXPECT_EQ(ok.output_tokens, 10);
  auto parts = parse_openai_chat(
    200, openai_response({{"role", "assistant"},
                          {"content", {{{"type", "text"}, {"text", "{}"}}}}},
                         "stop"));
  EXPECT_EQ(parts.text, "{}");
  auto refused = parse_openai_chat(
    200, openai_response(
           {{"role", "assistant"}, {"content", nullptr}, {"refusal", "no"}},
           "stop"));
  EXPECT_EQ(refused.outcome, llm_outcome::refused);
  EXPECT_EQ(refused.detail, "no");
  auto filtered = parse_openai_chat(
    200, openai_response({{"role", "assistant"}, {"content", ""}},
                         "content_filter"));
  EXPECT_EQ(filtered.outcome, llm_outcome::refused);
  for (const char* f : {"length", "model_length"}) {
    auto cut = parse_openai_chat(
      200, openai_response({{"role", "assistant"}, {"content", "{\"dec"}}, f));
    EXPECT_EQ(cut.outcome, llm_outcome::truncated) << f;
  }
  auto tool = parse_openai_chat(
    200, openai_response(
           {{"role", "assistant"},
            {"content", nullptr},
            {"tool_calls",
             {{{"id", "call_abc123"},
               {"type", "function"},
               {"function", {{"name", "exec"}, {"arguments", "{}"}}}}}}},
           "tool_calls"));
  EXPECT_EQ(tool.outcome, llm_outcome::invalid);
  EXPECT_EQ(parse_openai_chat(200, "not json").outcome, llm_outcome::invalid);
  EXPECT_EQ(parse_openai_chat(200, "{\"choices\":[]}").outcome,
            llm_outcome::invalid);
}

TEST(OpenAiChat, ErrorBodiesOfEveryCompatibleServer) {
  struct sample {
    int status;
    const char* body;
    llm_outcome outcome;
    const char* message;
  };
  for (
    const auto& s : std::vector<sample>{
      {401,
       R"({"error":{"message":"Incorrect API key provided: sk-abc***xyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}})",
       llm_outcome::error, "Incorrect API key provided"},
      {429,
       R"({"error":{"message":"Rate limit reached for gpt-4","type":"tokens","param":null,"code":"rate_limit_exceeded"}})",
       llm_outcome::rate_limited, "(rate_limit_exceeded)"},
      {400,
       R"({"object":"error","message":"bad model","type":"BadRequestError","param":null,"code":400})",
       llm_outcome::error, "bad model"},
      {400,
       R"({"error":{"message":"nested","type":"BadRequestError","param":null,"code":400}})",
       llm_outcome::error, "nested (BadRequestError)"},
      {401, R"({"error":"Unauthorized"})", llm_outcome::error, "Unauthorized"},
      {401, R"({"detail":"Unauthorized"})", llm_outcome::error, "Unauthorized"},
      {422,
       R"({"detail":[{"loc":["body","model"],"msg":"field required","type":"missing"}]})",
       llm_outcome::error, "field required"},
      {503,
       R"({"error":{"message":"The engine is currently overloaded","type":"server_error","param":null,"code":"server_is_overloaded"}})",
       llm_outcome::unavailable, "overloaded"},
      {504, "<html>gateway</html>", llm_outcome::timeout, "<html>"},
    }) {
    auto r = parse_openai_chat(s.status, s.body);
    EXPECT_EQ(r.outcome, s.outcome) << s.body;
    EXPECT_NE(r.detail.find(s.message), std::string::npos) << r.detail;
    EXPECT_EQ(r.detail.rfind("HTTP " + std::to_string(s.status), 0), 0u);
  }
}

TEST(AnthropicMessages, BodyForcesTheAnswerTool) {
  auto cfg = test_llm_config("anthropic");
  cfg.model = "claude-sonnet-4-5";
  auto body = anthropic_messages_body(cfg, sample_request());
  EXPECT_EQ(body["model"], "claude-sonnet-4-5");
  EXPECT_EQ(body["system"], "You are K-Fix.");
  EXPECT_EQ(body["max_tokens"], 2000);
  ASSERT_EQ(body["messages"].size(), 3u);
  EXPECT_EQ(body["messages"][0]["role"], "user");
  ASSERT_EQ(body["tools"].size(), 1u);
  EXPECT_EQ(body["tools"][0]["name"], "kfix_plans");
  EXPECT_EQ(body["tools"][0]["input_schema"]["type"], "object");
  EXPECT_EQ(body["tool_choice"],
            (nlohmann::json{{"type", "tool"}, {"name", "kfix_plans"}}));
  EXPECT_EQ(endpoint_path(cfg), "/messages");
}

std::string anthropic_response(nlohmann::json content,
                               const std::string& stop) {
  return nlohmann::json{{"id", "msg_01"},
                        {"type", "message"},
                        {"role", "assistant"},
                        {"model", "claude-sonnet-4-5-20250929"},
                        {"content", std::move(content)},
                        {"stop_reason", stop},
                        {"stop_sequence", nullptr},
                        {"usage",
                         {{"input_tokens", 472},
                          {"output_tokens", 91},
                          {"cache_creation_input_tokens", 8},
                          {"cache_read_input_tokens", 20}}}}
    .dump();
}

TEST(AnthropicMessages, ParsesToolUseRefusalAndTruncation) {
  auto ok = parse_anthropic_messages(
    200,
    anthropic_response({{{"type", "text"}, {"text", "Here it is."}},
                        {{"type", "tool_use"},
                         {"id", "toolu_01"},
                         {"name", "kfix_plans"},
                         {"input", {{"decision", "escalate"}}}}},
                       "tool_use"),
    "kfix_plans");
  EXPECT_EQ(ok.outcome, llm_outcome::ok);
  EXPECT_EQ(nlohmann::json::parse(ok.text)["decision"], "escalate");
  EXPECT_EQ(ok.prompt_tokens, 500);
  EXPECT_EQ(ok.output_tokens, 91);
  auto text = parse_anthropic_messages(
    200, anthropic_response({{{"type", "text"}, {"text", "{}"}}}, "end_turn"),
    "kfix_plans");
  EXPECT_EQ(text.outcome, llm_outcome::ok);
  EXPECT_EQ(text.text, "{}");
  auto refused = parse_anthropic_messages(
    200, anthropic_response(nlohmann::json::array(), "refusal"), "kfix_plans");
  EXPECT_EQ(refused.outcome, llm_outcome::refused);
  for (const char* stop : {"max_tokens", "model_context_window_exceeded"}) {
    auto cut = parse_anthropic_messages(
      200, anthropic_response({{{"type", "text"}, {"text", "{"}}}, stop),
      "kfix_plans");
    EXPECT_EQ(cut.outcome, llm_outcome::truncated) << stop;
  }
  auto other = parse_anthropic_messages(
    200,
    anthropic_response({{{"type", "tool_use"},
                         {"id", "toolu_02"},
                         {"name", "bash"},
                         {"input", {{"command", "rm -rf /"}}}}},
                       "tool_use"),
    "kfix_plans");
  EXPECT_EQ(other.outcome, llm_outcome::invalid);
  auto paused = parse_anthropic_messages(
    200, anthropic_response(nlohmann::json::array(), "pause_turn"),
    "kfix_plans");
  EXPECT_EQ(paused.outcome, llm_outcome::invalid);
}

TEST(AnthropicMessages, ErrorBodies) {
  auto overloaded = parse_anthropic_messages(
    529,
    R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})",
    "kfix_plans");
  EXPECT_EQ(overloaded.outcome, llm_outcome::unavailable);
  EXPECT_EQ(overloaded.detail, "HTTP 529: Overloaded (overloaded_error)");
  auto limited = parse_anthropic_messages(
    429,
    R"({"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed the rate limit"},"request_id":"req_1"})",
    "kfix_plans");
  EXPECT_EQ(limited.outcome, llm_outcome::rate_limited);
  auto auth = parse_anthropic_messages(
    401,
    R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})",
    "kfix_plans");
  EXPECT_EQ(auth.outcome, llm_outcome::error);
  EXPECT_NE(auth.detail.find("invalid x-api-key"), std::string::npos);
}

TEST(LlmProtocol, CostFromPricesPerMillionTokens) {
  auto cfg = test_llm_config();
  EXPECT_DOUBLE_EQ(cost_usd(cfg, 1'000'000, 0), 2.5);
  EXPECT_DOUBLE_EQ(cost_usd(cfg, 1200, 300), (1200 * 2.5 + 300 * 10) / 1e6);
  EXPECT_EQ(to_string(llm_outcome::stale), "stale");
}

} // namespace
} // namespace kfix::reasoning
