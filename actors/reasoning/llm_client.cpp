#include "actors/reasoning/llm_client.hpp"

#include <chrono>

namespace kfix::reasoning {

namespace {

/// Larger answers are no plan (the validator takes 64 KiB of answer).
constexpr size_t max_response_bytes = 4 << 20;

} // namespace

llm_client::llm_client(std::shared_ptr<http::client> http, llm_config cfg,
                       std::string api_key)
  : http_(std::move(http)), cfg_(std::move(cfg)), api_key_(std::move(api_key)) {
}

llm_exchange llm_client::complete(const llm_request& req) {
  llm_exchange ex;
  ex.request_body = request_body(cfg_, req);
  http::outgoing out;
  out.service = "llm";
  out.method = "POST";
  out.url = endpoint_url(cfg_);
  out.body = ex.request_body;
  out.timeout = req.timeout;
  out.max_attempts = cfg_.max_attempts;
  out.max_response_bytes = max_response_bytes;
  auto started = std::chrono::steady_clock::now();
  // A retry starts only when it can end within the time left.
  if (req.time_left > req.timeout)
    out.deadline = started + req.time_left - req.timeout;
  else if (req.time_left.count() > 0)
    out.deadline = started;
  out.headers.emplace_back("Content-Type", "application/json");
  if (cfg_.provider == "anthropic") {
    out.headers.emplace_back("anthropic-version", "2023-06-01");
    if (!api_key_.empty())
      out.headers.emplace_back("x-api-key", api_key_);
  } else if (!api_key_.empty()) {
    out.headers.emplace_back("Authorization", "Bearer " + api_key_);
  }
  auto answer = http_->send(out);
  ex.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - started)
                    .count();
  if (!answer) {
    ex.attempts = cfg_.max_attempts;
    ex.reply.outcome = code_of(answer.error()) == ec::timeout
                         ? llm_outcome::timeout
                         : llm_outcome::unavailable;
    ex.reply.detail = render(answer.error());
    return ex;
  }
  ex.attempts = answer->attempts;
  ex.http_status = answer->status;
  ex.response_body = answer->body;
  for (const auto& [name, value] : answer->headers)
    ex.response_headers.emplace(name, value);
  ex.reply = parse_reply(cfg_, answer->status, answer->body);
  return ex;
}

} // namespace kfix::reasoning
