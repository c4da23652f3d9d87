#include "tests/support/fake_llm.hpp"

#include "actors/common/http_server.hpp"
#include "actors/common/time_text.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <regex>
#include <stdexcept>
#include <thread>

namespace kfix::test {

using answer = fake_llm::answer;

// -- scripted answers ---------------------------------------------------------

answer answer::valid(nlohmann::json plans_answer) {
  answer a;
  a.json = std::move(plans_answer);
  return a;
}

answer answer::raw(std::string text) {
  answer a;
  a.text = std::move(text);
  return a;
}

answer answer::cut(std::string partial) {
  answer a;
  a.kind = truncated;
  a.text = std::move(partial);
  return a;
}

answer answer::refusal(std::string why) {
  answer a;
  a.kind = refused;
  a.text = std::move(why);
  return a;
}

answer answer::too_many_requests(int retry_after_s) {
  answer a;
  a.kind = rate_limited;
  a.retry_after_s = retry_after_s;
  return a;
}

answer answer::overload() {
  answer a;
  a.kind = overloaded;
  return a;
}

answer answer::error(int status, std::string body) {
  answer a;
  a.kind = answer::status;
  a.http_status = status;
  a.text = std::move(body);
  return a;
}

answer answer::after(std::chrono::milliseconds d) const {
  auto a = *this;
  a.delay = d;
  return a;
}

answer answer::tokens(int64_t prompt, int64_t output) const {
  auto a = *this;
  a.prompt_tokens = prompt;
  a.output_tokens = output;
  return a;
}

namespace {

http::response json_answer(int status, const nlohmann::json& body) {
  return http::json_response(status, body);
}

// -- request checks (the fake is strict, the client tolerant) -----------------

/// Whether every object of a strict-mode schema lists all its properties
/// as required and forbids others (OpenAI Structured Outputs).
bool strict_schema(const nlohmann::json& s, std::string& why) {
  if (s.is_object()) {
    if (s.value("type", nlohmann::json{}) == "object") {
      if (s.value("additionalProperties", nlohmann::json{true}) != false) {
        why = "additionalProperties must be false";
        return false;
      }
      auto props = s.value("properties", nlohmann::json::object());
      auto required = s.value("required", nlohmann::json::array());
      for (const auto& [key, value] : props.items())
        if (std::find(required.begin(), required.end(), key)
            == required.end()) {
          why = "'" + key + "' must be in required";
          return false;
        }
    }
    for (const auto& [key, value] : s.items())
      if (!strict_schema(value, why))
        return false;
  } else if (s.is_array()) {
    for (const auto& v : s)
      if (!strict_schema(v, why))
        return false;
  }
  return true;
}

http::response openai_error(int status, const std::string& message,
                            const std::string& type, nlohmann::json param,
                            nlohmann::json code) {
  return json_answer(status, {{"error",
                               {{"message", message},
                                {"type", type},
                                {"param", std::move(param)},
                                {"code", std::move(code)}}}});
}

/// Why an OpenAI request is wrong, as the API would answer; nullopt if it
/// is fine.
std::optional<http::response> check_openai(const http::request& req,
                                           const nlohmann::json& j,
                                           const std::string& key) {
  if (req.header("authorization") != "Bearer " + key)
    return openai_error(401,
                        "Incorrect API key provided: sk-abc***xyz. You can "
                        "find your API key at "
                        "https://platform.openai.com/account/api-keys.",
                        "invalid_request_error", nullptr, "invalid_api_key");
  auto bad = [](const std::string& param, const std::string& message) {
    return openai_error(400, message, "invalid_request_error", param, nullptr);
  };
  if (!j.is_object())
    return bad("", "We could not parse the JSON body of your request.");
  if (!j.contains("model") || !j["model"].is_string()
      || j["model"].get<std::string>().empty())
    return bad("model", "you must provide a model parameter");
  auto messages = j.value("messages", nlohmann::json{});
  if (!messages.is_array() || messages.empty())
    return bad("messages", "[] is too short - 'messages'");
  static const std::vector<std::string> roles{"system", "developer", "user",
                                              "assistant", "tool"};
  for (const auto& m : messages)
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string()
        || std::find(roles.begin(), roles.end(), m["role"]) == roles.end()
        || !m.contains("content") || !m["content"].is_string())
      return bad("messages", "Invalid message: each needs a role and string "
                             "content");
  if (auto t = j.find("temperature");
      t != j.end() && (!t->is_number() || *t < 0 || *t > 2))
    return bad("temperature", "temperature must be within [0, 2]");
  for (const char* limit : {"max_tokens", "max_completion_tokens"})
    if (auto m = j.find(limit);
        m != j.end() && (!m->is_number_integer() || *m < 1))
      return bad(limit, std::string{limit} + " must be a positive integer");
  if (auto rf = j.find("response_format"); rf != j.end()) {
    auto type = rf->value("type", "");
    if (type != "text" && type != "json_object" && type != "json_schema")
      return bad("response_format.type", "Invalid value: '" + type + "'");
    if (type == "json_schema") {
      auto js = rf->value("json_schema", nlohmann::json{});
      static const std::regex name_re{"[a-zA-Z0-9_-]{1,64}"};
      if (!js.is_object() || !js.contains("name") || !js["name"].is_string()
          || !std::regex_match(js["name"].get<std::string>(), name_re))
        return bad("response_format.json_schema.name",
                   "Invalid 'response_format.json_schema.name'");
      if (!js.contains("schema") || !js["schema"].is_object()
          || js["schema"].value("type", "") != "object")
        return bad("response_format.json_schema.schema",
                   "Invalid schema: the root must be an object");
      std::string why;
      if (js.value("strict", false) && !strict_schema(js["schema"], why))
        return bad("response_format", "Invalid schema for response_format '"
                                        + js["name"].get<std::string>()
                                        + "': " + why);
    }
  }
  if (j.contains("tools"))
    return bad("tools", "this fake offers no tools to K-Fix");
  return std::nullopt;
}

http::response anthropic_error(int status, const std::string& type,
                               const std::string& message) {
  auto r
    = json_answer(status, {{"type", "error"},
                           {"error", {{"type", type}, {"message", message}}},
                           {"request_id", "req_018EeWyXxfu5pfWkrYcMdjWG"}});
  r.header("request-id", "req_018EeWyXxfu5pfWkrYcMdjWG");
  return r;
}

std::optional<http::response> check_anthropic(const http::request& req,
                                              const nlohmann::json& j,
                                              const std::string& key) {
  if (req.header("x-api-key") != key)
    return anthropic_error(401, "authentication_error", "invalid x-api-key");
  auto bad = [](const std::string& message) {
    return anthropic_error(400, "invalid_request_error", message);
  };
  if (req.header("anthropic-version").empty())
    return bad("anthropic-version: header is required");
  if (!j.is_object())
    return bad("the request body is not valid JSON");
  if (!j.contains("model") || !j["model"].is_string())
    return bad("model: Field required");
  if (!j.contains("max_tokens") || !j["max_tokens"].is_number_integer()
      || j["max_tokens"] < 1)
    return bad("max_tokens: Field required");
  if (j.contains("system") && !j["system"].is_string())
    return bad("system: Input should be a valid string");
  auto messages = j.value("messages", nlohmann::json{});
  if (!messages.is_array() || messages.empty())
    return bad("messages: at least one message is required");
  std::string expected = "user";
  for (const auto& m : messages) {
    if (!m.is_object() || m.value("role", "") != expected)
      return bad("messages: roles must alternate between \"user\" and "
                 "\"assistant\", starting with \"user\"");
    auto c = m.value("content", nlohmann::json{});
    if (!(c.is_string() && !c.get<std::string>().empty()) && !c.is_array())
      return bad("messages: content must be a non-empty string or blocks");
    expected = expected == "user" ? "assistant" : "user";
  }
  if (messages.back().value("role", "") != "user")
    return bad("messages: the last message must be from the user");
  std::vector<std::string> tools;
  for (const auto& t : j.value("tools", nlohmann::json::array())) {
    if (!t.is_object() || !t.contains("name") || !t.contains("input_schema")
        || t["input_schema"].value("type", "") != "object")
      return bad("tools: each tool needs a name and an object input_schema");
    tools.push_back(t["name"].get<std::string>());
  }
  if (auto tc = j.find("tool_choice"); tc != j.end()) {
    auto type = tc->value("type", "");
    if (type == "tool"
        && std::find(tools.begin(), tools.end(), tc->value("name", ""))
             == tools.end())
      return bad("tool_choice: the named tool is not in tools");
    if (type != "tool" && type != "auto" && type != "any" && type != "none")
      return bad("tool_choice.type: invalid");
  }
  return std::nullopt;
}

// -- answers ------------------------------------------------------------------

/// A scripted status and body, as given.
http::response as_scripted(const answer& a) {
  http::response r;
  r.status = a.http_status;
  r.header("Content-Type", "application/json");
  r.body = a.text;
  return r;
}

std::string reset_at(int seconds) {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
  return format_rfc3339_s(now + seconds);
}

http::response openai_answer(const answer& a, const nlohmann::json& req,
                             int id) {
  switch (a.kind) {
    case answer::rate_limited: {
      auto r = openai_error(
        429,
        "Rate limit reached for gpt-4o in organization org-kfix on tokens per "
        "min (TPM): Limit 10000, Used 9348, Requested 5086. Please try again "
        "in "
          + std::to_string(a.retry_after_s) + "s.",
        "tokens", nullptr, "rate_limit_exceeded");
      r.header("retry-after", std::to_string(a.retry_after_s));
      r.header("x-ratelimit-limit-requests", "500");
      r.header("x-ratelimit-remaining-requests", "0");
      r.header("x-ratelimit-reset-requests",
               std::to_string(a.retry_after_s) + "s");
      r.header("x-ratelimit-limit-tokens", "10000");
      r.header("x-ratelimit-remaining-tokens", "652");
      r.header("x-ratelimit-reset-tokens",
               std::to_string(a.retry_after_s) + "s");
      r.header("x-request-id", "req_" + std::to_string(id));
      return r;
    }
    case answer::overloaded:
      return openai_error(503,
                          "The engine is currently overloaded, please try "
                          "again later",
                          "server_error", nullptr, "server_is_overloaded");
    case answer::status:
      return as_scripted(a);
    default:
      break;
  }
  nlohmann::json message{{"role", "assistant"},
                         {"content", nullptr},
                         {"refusal", nullptr},
                         {"annotations", nlohmann::json::array()}};
  std::string finish = "stop";
  if (a.kind == answer::refused)
    message["refusal"] = a.text;
  else if (a.kind == answer::truncated) {
    message["content"] = a.text;
    finish = "length";
  } else
    message["content"] = a.text.empty() ? a.json.dump() : a.text;
  auto r = json_answer(
    200,
    {{"id", "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJK" + std::to_string(id)},
     {"object", "chat.completion"},
     {"created", 1741569952},
     {"model", req.value("model", "gpt-4o") + "-2024-08-06"},
     {"choices",
      {{{"index", 0},
        {"message", message},
        {"logprobs", nullptr},
        {"finish_reason", finish}}}},
     {"usage",
      {{"prompt_tokens", a.prompt_tokens},
       {"completion_tokens", a.output_tokens},
       {"total_tokens", a.prompt_tokens + a.output_tokens},
       {"prompt_tokens_details", {{"cached_tokens", 0}, {"audio_tokens", 0}}},
       {"completion_tokens_details",
        {{"reasoning_tokens", 0},
         {"audio_tokens", 0},
         {"accepted_prediction_tokens", 0},
         {"rejected_prediction_tokens", 0}}}}},
     {"service_tier", "default"},
     {"system_fingerprint", "fp_44709d6fcb"}});
  r.header("x-request-id", "req_" + std::to_string(id));
  r.header("openai-processing-ms", "412");
  r.header("x-ratelimit-remaining-requests", "499");
  return r;
}

http::response anthropic_answer(const answer& a, const nlohmann::json& req,
                                int id) {
  switch (a.kind) {
    case answer::rate_limited: {
      auto r = anthropic_error(
        429, "rate_limit_error",
        "This request would exceed the rate limit for your organization of "
        "20,000 input tokens per minute.");
      r.header("retry-after", std::to_string(a.retry_after_s));
      for (const char* kind :
           {"requests", "tokens", "input-tokens", "output-tokens"}) {
        auto prefix = std::string{"anthropic-ratelimit-"} + kind;
        r.header(prefix + "-limit", "20000");
        r.header(prefix + "-remaining", "0");
        r.header(prefix + "-reset", reset_at(a.retry_after_s));
      }
      return r;
    }
    case answer::overloaded:
      return anthropic_error(529, "overloaded_error", "Overloaded");
    case answer::status:
      return as_scripted(a);
    default:
      break;
  }
  auto content = nlohmann::json::array();
  std::string stop = "tool_use";
  if (a.kind == answer::refused) {
    stop = "refusal";
    content.push_back({{"type", "text"}, {"text", a.text}});
  } else if (a.kind == answer::truncated) {
    stop = "max_tokens";
    content.push_back({{"type", "text"}, {"text", a.text}});
  } else if (!a.text.empty()) {
    stop = "end_turn";
    content.push_back({{"type", "text"}, {"text", a.text}});
  } else {
    auto tool = req.value("tool_choice", nlohmann::json::object())
                  .value("name", "kfix_plans");
    content.push_back({{"type", "tool_use"},
                       {"id", "toolu_01A09q90qw90lq91783" + std::to_string(id)},
                       {"name", tool},
                       {"input", a.json}});
  }
  auto r = json_answer(
    200, {{"id", "msg_01Aq9w938a90dw8q" + std::to_string(id)},
          {"type", "message"},
          {"role", "assistant"},
          {"model", req.value("model", "claude-sonnet-4-5") + "-20250929"},
          {"content", content},
          {"stop_reason", stop},
          {"stop_sequence", nullptr},
          {"usage",
           {{"input_tokens", a.prompt_tokens},
            {"output_tokens", a.output_tokens},
            {"cache_creation_input_tokens", 0},
            {"cache_read_input_tokens", 0},
            {"service_tier", "standard"}}}});
  r.header("request-id", "req_01" + std::to_string(id));
  return r;
}

} // namespace

struct fake_llm::impl {
  std::string key;
  mutable std::mutex mtx;
  std::deque<answer> script;
  std::vector<request_record> requests;
  int next_id = 1;
  std::unique_ptr<http::server> server;

  http::response handle(const http::request& req) {
    request_record rec;
    rec.path = req.path;
    rec.headers = req.headers;
    rec.body = req.body;
    rec.json = nlohmann::json::parse(req.body, nullptr, false);
    if (rec.json.is_discarded())
      rec.json = nullptr;
    rec.protocol = req.path == "/v1/chat/completions" ? "openai"
                   : req.path == "/v1/messages"       ? "anthropic"
                                                      : "unknown";
    auto reply = answer_for(req, rec);
    std::lock_guard<std::mutex> guard{mtx};
    rec.status = reply.status;
    requests.push_back(std::move(rec));
    return reply;
  }

  http::response answer_for(const http::request& req,
                            const request_record& rec) {
    if (rec.protocol == "unknown")
      return openai_error(404, "Invalid URL (POST " + req.path + ")",
                          "invalid_request_error", nullptr, nullptr);
    if (req.method != "POST")
      return openai_error(405, "Method not allowed", "invalid_request_error",
                          nullptr, nullptr);
    bool openai = rec.protocol == "openai";
    if (req.header("content-type").find("application/json")
        == std::string::npos)
      return openai ? openai_error(400, "Content-Type must be JSON",
                                   "invalid_request_error", nullptr, nullptr)
                    : anthropic_error(400, "invalid_request_error",
                                      "content-type must be application/json");
    auto problem = openai ? check_openai(req, rec.json, key)
                          : check_anthropic(req, rec.json, key);
    if (problem)
      return *problem;
    answer a;
    int id = 0;
    {
      std::lock_guard<std::mutex> guard{mtx};
      id = next_id++;
      if (script.empty())
        return openai_error(500, "fake_llm: no scripted answer left",
                            "server_error", nullptr, nullptr);
      a = script.front();
      script.pop_front();
    }
    if (a.delay.count() > 0)
      std::this_thread::sleep_for(a.delay);
    return openai ? openai_answer(a, rec.json, id)
                  : anthropic_answer(a, rec.json, id);
  }
};

fake_llm::fake_llm(std::string api_key) : impl_(std::make_unique<impl>()) {
  impl_->key = std::move(api_key);
  http::server_config cfg;
  cfg.address = "127.0.0.1";
  cfg.port = 0;
  cfg.threads = 4;
  cfg.body_limit = 8 << 20;
  auto* self = impl_.get();
  auto server = http::start_server(
    cfg, http::sync_handler([self](const http::request& req) {
      return self->handle(req);
    }));
  if (!server)
    throw std::runtime_error("fake_llm: " + render(server.error()));
  impl_->server = std::move(*server);
}

fake_llm::~fake_llm() {
  if (impl_->server)
    impl_->server->stop();
}

std::string fake_llm::base_url() const {
  return impl_->server->base_url() + "/v1";
}

const std::string& fake_llm::api_key() const {
  return impl_->key;
}

void fake_llm::script(std::vector<answer> answers) {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  for (auto& a : answers)
    impl_->script.push_back(std::move(a));
}

size_t fake_llm::pending() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->script.size();
}

std::vector<fake_llm::request_record> fake_llm::requests() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->requests;
}

size_t fake_llm::request_count() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->requests.size();
}

} // namespace kfix::test
