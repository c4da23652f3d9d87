#pragma once

#include "actors/common/http.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kfix::test {

/// An LLM API on 127.0.0.1 (port 0) speaking both protocols of
/// ../shared/reference/api-reference.md: OpenAI chat completions (§6) at
/// `/v1/chat/completions` and the Anthropic Messages API (§9) at
/// `/v1/messages`. Strict about requests (auth headers, required fields,
/// roles, strict-mode schemas, the forced tool), answering the providers'
/// error bodies when they are wrong; answers come from a script, one per
/// request, in order.
class fake_llm {
public:
  /// One scripted answer.
  struct answer {
    enum kind_t {
      /// A structured answer (`json`) or, when `text` is set, that raw text.
      content,
      /// Cut by the output limit: `text` is the partial answer.
      truncated,
      /// OpenAI `refusal`; Anthropic `stop_reason: refusal`.
      refused,
      /// 429 with the rate-limit headers and Retry-After.
      rate_limited,
      /// OpenAI 503 `server_is_overloaded`; Anthropic 529.
      overloaded,
      /// Any status with `body`.
      status,
    };
    kind_t kind = content;
    nlohmann::json json;
    std::string text;
    int http_status = 200;
    int retry_after_s = 0;
    /// Waits before answering (slow answers).
    std::chrono::milliseconds delay{0};
    int64_t prompt_tokens = 1200;
    int64_t output_tokens = 300;

    /// A structured answer: the object the schema describes.
    static answer valid(nlohmann::json plans_answer);
    /// A complete answer whose content is `text` (invalid JSON, wrong
    /// fields...).
    static answer raw(std::string text);
    static answer cut(std::string partial);
    static answer refusal(std::string why);
    static answer too_many_requests(int retry_after_s = 0);
    static answer overload();
    static answer error(int status, std::string body);

    /// The same answer after `d`.
    answer after(std::chrono::milliseconds d) const;
    /// The same answer with these usage counts.
    answer tokens(int64_t prompt, int64_t output) const;
  };

  /// A request that reached the server.
  struct request_record {
    /// openai | anthropic | unknown
    std::string protocol;
    std::string path;
    http::header_map headers;
    std::string body;
    /// The body parsed (null when it is not JSON).
    nlohmann::json json;
    /// The status the fake answered.
    int status = 0;
  };

  /// Starts serving; throws std::runtime_error when no port can be bound.
  explicit fake_llm(std::string api_key = "sk-kfix-test-0123456789");
  ~fake_llm();

  fake_llm(const fake_llm&) = delete;
  fake_llm& operator=(const fake_llm&) = delete;

  /// http://127.0.0.1:PORT/v1, the base URL of both protocols.
  std::string base_url() const;
  const std::string& api_key() const;

  /// Appends answers for the next valid requests, in order.
  void script(std::vector<answer> answers);
  /// Answers scripted but not yet given.
  size_t pending() const;

  std::vector<request_record> requests() const;
  size_t request_count() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace kfix::test
