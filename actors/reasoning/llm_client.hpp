#pragma once

#include "actors/common/http_client.hpp"
#include "actors/reasoning/llm_protocol.hpp"
#include "config/config.hpp"

#include <memory>
#include <string>

namespace kfix::reasoning {

/// The completion client over the one HTTP client layer (service `llm`):
/// builds the configured provider's body, authenticates (OpenAI-compatible:
/// `Authorization: Bearer`, only with a key; Anthropic: `x-api-key` and
/// `anthropic-version: 2023-06-01`), sends with `llm.max_attempts` and the
/// request's timeout (retries, backoff and Retry-After are the HTTP
/// client's), and parses the answer.
class llm_client : public completion_client {
public:
  llm_client(std::shared_ptr<http::client> http, llm_config cfg,
             std::string api_key);

  llm_exchange complete(const llm_request& req) override;

private:
  std::shared_ptr<http::client> http_;
  llm_config cfg_;
  std::string api_key_;
};

} // namespace kfix::reasoning
