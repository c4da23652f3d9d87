#pragma once

#include "config/config.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

/// The provider-neutral side of an LLM call: the request the reasoner
/// builds, the reply it reads, and the abstract completion interface that
/// the HTTP client, the eval's cassettes and the tests implement. The
/// provider specifics are in openai_chat.* and anthropic_messages.*.
namespace kfix::reasoning {

/// The name of the answer schema (OpenAI `json_schema.name`, the Anthropic
/// tool).
inline constexpr const char* answer_schema_name = "kfix_plans";

/// One turn of the conversation after the system text.
struct llm_turn {
  std::string role; // user | assistant
  std::string text;
};

/// A request before it becomes a provider's body.
struct llm_request {
  std::string system;
  std::vector<llm_turn> turns;
  /// The JSON Schema of the answer, and its name (the OpenAI schema name,
  /// the Anthropic tool name).
  nlohmann::json schema;
  std::string schema_name = answer_schema_name;
  /// answer | repair (for the audit).
  std::string purpose = "answer";
  /// Per attempt, already cut to the time left for the incident.
  std::chrono::milliseconds timeout{20'000};
  /// When every attempt and every wait between them must be over (0: no
  /// bound).
  std::chrono::milliseconds time_left{0};
};

/// How a call ended, before the answer's content is validated.
enum class llm_outcome : uint8_t {
  /// An answer arrived; its text still has to pass validation.
  ok,
  /// A complete response without a usable answer (a tool call, no text).
  invalid,
  /// The model refused (OpenAI `refusal`, Anthropic `refusal`, a content
  /// filter).
  refused,
  /// The answer was cut (`length`, `max_tokens`): the JSON may be partial.
  truncated,
  /// HTTP 429 after the client's retries.
  rate_limited,
  timeout,
  /// Any other error answer (401, 400, ...).
  error,
  /// No answer: connection failure, 5xx or overloaded after retries.
  unavailable,
  /// Eval: no recorded exchange matches and no endpoint is configured.
  stale,
};

std::string_view to_string(llm_outcome outcome);

/// What a response said.
struct llm_reply {
  llm_outcome outcome = llm_outcome::error;
  /// The answer's JSON text when `ok`.
  std::string text;
  /// Why not `ok`: the refusal, the finish reason, the error message.
  std::string detail;
  std::string finish_reason;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
};

/// One call as it went over the wire, or would have.
struct llm_exchange {
  /// The body sent (built from a redacted prompt; never a credential).
  std::string request_body;
  /// 0 when no HTTP answer came.
  int http_status = 0;
  std::map<std::string, std::string> response_headers;
  std::string response_body;
  llm_reply reply;
  /// HTTP attempts the client made (retries included).
  int attempts = 1;
  int64_t latency_ms = 0;
  /// live | replay | stale
  std::string source = "live";
};

/// The abstract completion interface of the reasoner.
class completion_client {
public:
  virtual ~completion_client() = default;
  /// Performs one call; every failure is in `reply.outcome`, never thrown.
  virtual llm_exchange complete(const llm_request& req) = 0;
};

/// The request body of `req` for the configured provider, model, output
/// limit and temperature (deterministic: equal inputs, equal bytes).
std::string request_body(const llm_config& cfg, const llm_request& req);

/// The path of the call below `base_url` ("/chat/completions",
/// "/messages").
std::string endpoint_path(const llm_config& cfg);

/// The URL of the call: `base_url` (without a trailing slash) and the path.
std::string endpoint_url(const llm_config& cfg);

/// Parses an HTTP answer of the configured provider.
llm_reply parse_reply(const llm_config& cfg, int status,
                      const std::string& body);

/// The outcome of a non-2xx status: 429 rate_limited, 408/504 timeout, 5xx
/// and 529 unavailable, else error.
llm_outcome outcome_of_status(int status);

/// The message of an error body in any of the shapes the providers use
/// (OpenAI `{"error":{"message"}}`, vLLM's flat and nested forms, Mistral's
/// `message`/`detail`, Anthropic's `{"type":"error","error":{...}}`), else
/// the start of the body.
std::string error_message(int status, const std::string& body);

/// Reads a 2xx answer's body into `parsed`; otherwise (an error status, a
/// body that is no JSON object) fills `reply` and returns false.
bool read_answer(int status, const std::string& body, nlohmann::json& parsed,
                 llm_reply& reply);

/// A string member of a JSON object, or "".
std::string json_text(const nlohmann::json& j, const char* key);

/// An integer member of a JSON object, or 0.
int64_t json_count(const nlohmann::json& j, const char* key);

/// The cost of a call in USD from the configured prices per million tokens.
double cost_usd(const llm_config& cfg, int64_t prompt_tokens,
                int64_t output_tokens);

} // namespace kfix::reasoning
