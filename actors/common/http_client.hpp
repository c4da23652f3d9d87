#pragma once

#include "actors/common/http.hpp"
#include "messages/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kfix::http {

/// An outgoing call to an external API.
struct outgoing {
  /// The service called, for logs, metrics and cassettes: kubernetes,
  /// datadog, gitlab, slack, llm.
  std::string service;
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// Per attempt.
  std::chrono::milliseconds timeout{10'000};
  /// Total attempts for retryable failures (network, 408, 429, 5xx).
  int max_attempts = 3;
  /// No retry, and no wait for one, that would end after this time.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  /// A larger response body fails the call (0: no limit).
  size_t max_response_bytes = 0;
};

/// An answer from the service. Non-2xx statuses are answers, not errors.
struct incoming {
  int status = 0;
  header_map headers; // lower-case names
  std::string body;
  int attempts = 1;
  std::chrono::milliseconds elapsed{0};

  bool ok() const {
    return status >= 200 && status < 300;
  }
  std::string header(const std::string& lower_name) const;
};

/// Called after each completed exchange (recording into cassettes).
using exchange_observer = std::function<void(const outgoing&, const incoming&)>;

struct client_config {
  /// CA bundle to verify servers with; empty for the system store.
  std::string ca_file;
  /// PEM contents instead of a file (kubeconfig `*-data` fields).
  std::string ca_pem;
  std::string client_cert_file;
  std::string client_key_file;
  /// PEM contents instead of files (kubeconfig `client-*-data`).
  std::string client_cert_pem;
  std::string client_key_pem;
  bool insecure_skip_verify = false;
  /// HTTP(S) proxy for every call (kubeconfig `proxy-url`); empty: none.
  std::string proxy_url;
  /// Backoff between retries: base * 2^attempt, capped, with full jitter.
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_cap{8'000};
  /// Longest wait honoured from Retry-After / rate-limit headers.
  std::chrono::milliseconds max_retry_after{30'000};
  exchange_observer observer;
};

/// The one client layer for every outgoing call (libcurl multi): timeouts,
/// retries with backoff and jitter, Retry-After and rate-limit headers, TLS,
/// and credentials redacted from logs.
class client {
public:
  virtual ~client() = default;
  /// Performs the call with retries; an error only when no HTTP answer came.
  [[nodiscard]] virtual caf::expected<incoming> send(const outgoing& req) = 0;
  /// Performs several calls concurrently; results in request order.
  virtual std::vector<caf::expected<incoming>>
  send_all(const std::vector<outgoing>& reqs) = 0;
};

std::shared_ptr<client> make_curl_client(client_config cfg = {});

/// Whether a header carries a credential that must never be logged or
/// recorded.
bool is_secret_header(std::string_view name);

} // namespace kfix::http
