#include "actors/reasoning/openai_chat.hpp"

namespace kfix::reasoning {

namespace {

/// Message content as text: a string, or the text of its parts.
std::string content_text(const nlohmann::json& content) {
  if (content.is_string())
    return content.get<std::string>();
  std::string text;
  if (content.is_array())
    for (const auto& part : content)
      if (part.is_object() && json_text(part, "type") == "text")
        text += json_text(part, "text");
  return text;
}

} // namespace

nlohmann::json openai_chat_body(const llm_config& cfg, const llm_request& req) {
  auto messages = nlohmann::json::array();
  messages.push_back({{"role", "system"}, {"content", req.system}});
  for (const auto& t : req.turns)
    messages.push_back({{"role", t.role}, {"content", t.text}});
  bool openai = cfg.base_url.find("://api.openai.com") != std::string::npos;
  nlohmann::json body{
    {"model", cfg.model},
    {"messages", std::move(messages)},
    {"temperature", cfg.temperature},
    {openai ? "max_completion_tokens" : "max_tokens", cfg.max_output_tokens},
    {"stream", false},
    {"response_format",
     {{"type", "json_schema"},
      {"json_schema",
       {{"name", req.schema_name},
        {"description", "The decision and the ranked fix plans"},
        {"strict", true},
        {"schema", req.schema}}}}}};
  return body;
}

llm_reply parse_openai_chat(int status, const std::string& body) {
  llm_reply r;
  nlohmann::json j;
  if (!read_answer(status, body, j, r))
    return r;
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    r.prompt_tokens = json_count(*u, "prompt_tokens");
    r.output_tokens = json_count(*u, "completion_tokens");
  }
  auto choices = j.find("choices");
  if (choices == j.end() || !choices->is_array() || choices->empty()
      || !(*choices)[0].is_object()) {
    r.outcome = llm_outcome::invalid;
    r.detail = "the response has no choices";
    return r;
  }
  const auto& choice = (*choices)[0];
  r.finish_reason = json_text(choice, "finish_reason");
  auto message = choice.value("message", nlohmann::json::object());
  if (!message.is_object())
    message = nlohmann::json::object();
  auto refusal = json_text(message, "refusal");
  const auto& f = r.finish_reason;
  if (!refusal.empty()) {
    r.outcome = llm_outcome::refused;
    r.detail = refusal;
  } else if (f == "content_filter") {
    r.outcome = llm_outcome::refused;
    r.detail = "the provider's content filter stopped the answer";
  } else if (f == "length" || f == "model_length") {
    r.outcome = llm_outcome::truncated;
    r.detail = "finish_reason " + f;
  } else if (f == "tool_calls" || f == "function_call"
             || message.contains("tool_calls")) {
    r.outcome = llm_outcome::invalid;
    r.detail = "the model called a tool; K-Fix offers none";
  } else if (f == "error") {
    r.outcome = llm_outcome::error;
    r.detail = "finish_reason error";
  } else {
    r.text = content_text(message.value("content", nlohmann::json{}));
    r.outcome = r.text.empty() ? llm_outcome::invalid : llm_outcome::ok;
    if (r.text.empty())
      r.detail = "the answer is empty";
  }
  return r;
}

} // namespace kfix::reasoning
