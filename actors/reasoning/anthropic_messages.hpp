#pragma once

#include "actors/reasoning/llm_protocol.hpp"
#include "config/config.hpp"

#include <nlohmann/json.hpp>

#include <string>

/// The Anthropic Messages API, as ../shared/reference/api-reference.md §9
/// describes.
namespace kfix::reasoning {

/// The body: top-level `system`, the turns as `messages`, `max_tokens`,
/// `temperature`, and the answer schema as the one tool the model must
/// call (`tool_choice` `{"type":"tool"}`): the portable way to get
/// schema-shaped JSON. The tool is only the answer's form; nothing runs.
nlohmann::json anthropic_messages_body(const llm_config& cfg,
                                       const llm_request& req);

/// Reads a response: the `input` of the `tool_use` block named
/// `schema_name` (or, without one, the text blocks) when `stop_reason` is
/// `tool_use`/`end_turn`; `refusal` is a refusal, `max_tokens` and
/// `model_context_window_exceeded` truncation; usage counts cache reads and
/// writes as input.
llm_reply parse_anthropic_messages(int status, const std::string& body,
                                   const std::string& schema_name);

} // namespace kfix::reasoning
