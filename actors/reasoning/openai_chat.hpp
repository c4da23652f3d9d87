#pragma once

#include "actors/reasoning/llm_protocol.hpp"
#include "config/config.hpp"

#include <nlohmann/json.hpp>

#include <string>

/// OpenAI chat completions and the compatible servers (Mistral, Ollama,
/// vLLM, llama.cpp server), as ../shared/reference/api-reference.md §6 and
/// §8 describe.
namespace kfix::reasoning {

/// The body: system and conversation turns as `messages`, `temperature`,
/// the output limit (`max_completion_tokens` on api.openai.com, which
/// reasoning models require, else `max_tokens`, the name Mistral, Ollama and
/// llama.cpp read), and `response_format` `json_schema` with `strict` (no
/// tools: the model can only answer).
nlohmann::json openai_chat_body(const llm_config& cfg, const llm_request& req);

/// Reads a response: `choices[0].message.content` (a string, or text parts)
/// when `finish_reason` is `stop`; `refusal` and `content_filter` are
/// refusals, `length`/`model_length` truncation, tool calls and `error`
/// are not answers; `usage.prompt_tokens`/`completion_tokens`.
llm_reply parse_openai_chat(int status, const std::string& body);

} // namespace kfix::reasoning
