#include "actors/reasoning/anthropic_messages.hpp"

namespace kfix::reasoning {

nlohmann::json anthropic_messages_body(const llm_config& cfg,
                                       const llm_request& req) {
  auto messages = nlohmann::json::array();
  for (const auto& t : req.turns)
    messages.push_back({{"role", t.role}, {"content", t.text}});
  return {
    {"model", cfg.model},
    {"max_tokens", cfg.max_output_tokens},
    {"system", req.system},
    {"temperature", cfg.temperature},
    {"messages", std::move(messages)},
    {"tools",
     {{{"name", req.schema_name},
       {"description", "Submit the decision and the ranked fix plans. This "
                       "is the answer form only; it performs nothing."},
       {"input_schema", req.schema}}}},
    {"tool_choice", {{"type", "tool"}, {"name", req.schema_name}}}};
}

llm_reply parse_anthropic_messages(int status, const std::string& body,
                                   const std::string& schema_name) {
  llm_reply r;
  nlohmann::json j;
  if (!read_answer(status, body, j, r))
    return r;
  if (auto u = j.find("usage"); u != j.end() && u->is_object()) {
    r.prompt_tokens = json_count(*u, "input_tokens")
                      + json_count(*u, "cache_creation_input_tokens")
                      + json_count(*u, "cache_read_input_tokens");
    r.output_tokens = json_count(*u, "output_tokens");
  }
  r.finish_reason = json_text(j, "stop_reason");
  const auto& f = r.finish_reason;
  std::string text;
  std::string tool_input;
  std::string other_tool;
  if (auto content = j.find("content");
      content != j.end() && content->is_array())
    for (const auto& block : *content) {
      if (!block.is_object())
        continue;
      auto type = json_text(block, "type");
      if (type == "text") {
        text += json_text(block, "text");
      } else if (type == "tool_use") {
        if (json_text(block, "name") == schema_name && block.contains("input"))
          tool_input = block["input"].dump();
        else
          other_tool = json_text(block, "name");
      }
    }
  if (f == "refusal") {
    r.outcome = llm_outcome::refused;
    r.detail = text.empty() ? "stop_reason refusal" : text;
  } else if (f == "max_tokens" || f == "model_context_window_exceeded") {
    r.outcome = llm_outcome::truncated;
    r.detail = "stop_reason " + f;
  } else if (!tool_input.empty()) {
    r.outcome = llm_outcome::ok;
    r.text = std::move(tool_input);
  } else if (!other_tool.empty()) {
    r.outcome = llm_outcome::invalid;
    r.detail = "the model called tool " + other_tool + "; K-Fix offers none";
  } else if (!text.empty() && (f == "end_turn" || f == "stop_sequence")) {
    r.outcome = llm_outcome::ok;
    r.text = std::move(text);
  } else {
    r.outcome = llm_outcome::invalid;
    r.detail = "no answer (stop_reason " + (f.empty() ? "missing" : f) + ")";
  }
  return r;
}

} // namespace kfix::reasoning
