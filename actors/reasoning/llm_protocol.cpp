#include "actors/reasoning/llm_protocol.hpp"

#include "actors/context/log_redaction.hpp"
#include "actors/reasoning/anthropic_messages.hpp"
#include "actors/reasoning/openai_chat.hpp"

namespace kfix::reasoning {

std::string_view to_string(llm_outcome outcome) {
  switch (outcome) {
    case llm_outcome::ok:
      return "ok";
    case llm_outcome::invalid:
      return "invalid";
    case llm_outcome::refused:
      return "refused";
    case llm_outcome::truncated:
      return "truncated";
    case llm_outcome::rate_limited:
      return "rate_limited";
    case llm_outcome::timeout:
      return "timeout";
    case llm_outcome::error:
      return "error";
    case llm_outcome::unavailable:
      return "unavailable";
    case llm_outcome::stale:
      return "stale";
  }
  return "unknown";
}

std::string request_body(const llm_config& cfg, const llm_request& req) {
  auto body = cfg.provider == "anthropic" ? anthropic_messages_body(cfg, req)
                                          : openai_chat_body(cfg, req);
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string endpoint_path(const llm_config& cfg) {
  return cfg.provider == "anthropic" ? "/messages" : "/chat/completions";
}

std::string endpoint_url(const llm_config& cfg) {
  auto base = cfg.base_url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base + endpoint_path(cfg);
}

llm_reply parse_reply(const llm_config& cfg, int status,
                      const std::string& body) {
  return cfg.provider == "anthropic"
           ? parse_anthropic_messages(status, body, answer_schema_name)
           : parse_openai_chat(status, body);
}

llm_outcome outcome_of_status(int status) {
  if (status == 429)
    return llm_outcome::rate_limited;
  if (status == 408 || status == 504)
    return llm_outcome::timeout;
  if (status >= 500)
    return llm_outcome::unavailable;
  return llm_outcome::error;
}

std::string error_message(int status, const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  auto text_of = [](const nlohmann::json& v) -> std::string {
    if (v.is_string())
      return v.get<std::string>();
    if (v.is_object() && v.contains("message") && v["message"].is_string())
      return v["message"].get<std::string>();
    if (v.is_array() && !v.empty() && v[0].is_object() && v[0].contains("msg")
        && v[0]["msg"].is_string())
      return v[0]["msg"].get<std::string>(); // Mistral 422 `detail`
    return {};
  };
  std::string message;
  if (j.is_object()) {
    for (const char* key : {"error", "message", "detail"})
      if (auto i = j.find(key); i != j.end() && message.empty())
        message = text_of(*i);
    // Anthropic and OpenAI name the kind of error too.
    if (auto e = j.find("error"); e != j.end() && e->is_object()) {
      auto type = e->value("type", nlohmann::json{});
      auto code = e->value("code", nlohmann::json{});
      if (code.is_string())
        message += " (" + code.get<std::string>() + ")";
      else if (type.is_string())
        message += " (" + type.get<std::string>() + ")";
    }
  }
  if (message.empty())
    message = std::string{context::truncate_utf8(body, 200)};
  return "HTTP " + std::to_string(status) + ": " + message;
}

bool read_answer(int status, const std::string& body, nlohmann::json& parsed,
                 llm_reply& reply) {
  if (status < 200 || status >= 300) {
    reply.outcome = outcome_of_status(status);
    reply.detail = error_message(status, body);
    return false;
  }
  parsed = nlohmann::json::parse(body, nullptr, false);
  if (!parsed.is_object()) {
    reply.outcome = llm_outcome::invalid;
    reply.detail = "the response is not a JSON object";
    return false;
  }
  return true;
}

std::string json_text(const nlohmann::json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_string() ? i->get<std::string>() : std::string{};
}

int64_t json_count(const nlohmann::json& j, const char* key) {
  auto i = j.find(key);
  return i != j.end() && i->is_number_integer() ? i->get<int64_t>() : 0;
}

double cost_usd(const llm_config& cfg, int64_t prompt_tokens,
                int64_t output_tokens) {
  return (static_cast<double>(prompt_tokens) * cfg.price_input_per_mtok
          + static_cast<double>(output_tokens) * cfg.price_output_per_mtok)
         / 1e6;
}

} // namespace kfix::reasoning
