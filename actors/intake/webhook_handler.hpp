#pragma once

#include "actors/common/http_server.hpp"
#include "messages/pipeline.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <string>

namespace kfix::intake {

/// How the webhook authenticates Datadog (which signs nothing): a shared
/// secret in a custom header, a bearer token, and/or HTTP basic auth; any
/// configured one suffices. All compared in constant time. None configured:
/// no authentication (the agent then listens on loopback only).
struct webhook_auth {
  /// Lower-case name of the custom header.
  std::string header = "x-kfix-token";
  std::string token;
  std::string bearer;
  /// "user:password".
  std::string basic;

  bool enabled() const {
    return !token.empty() || !bearer.empty() || !basic.empty();
  }
  /// Whether the request carries a configured credential.
  bool admits(const http::request& req) const;
};

/// Bounds the alerts accepted but not yet answered (stored): beyond
/// `capacity` the webhook answers 503 with Retry-After, which Datadog
/// retries.
struct admission_control {
  int64_t capacity = 20'000;
  std::shared_ptr<std::atomic<int64_t>> in_flight
    = std::make_shared<std::atomic<int64_t>>(0);
};

/// Hands a parsed alert to INTAKE; the responder answers the request.
using submit_fn = std::function<void(submission_ptr)>;

/// Serves an incident's stored progress and result as JSON, or an error.
using incident_lookup_fn
  = std::function<caf::expected<std::string>(int64_t incident_id)>;

/// Checks the store for /readyz.
using readiness_fn = std::function<caf::error()>;

/// The agent's HTTP routes: POST /datadog-webhook, GET /healthz, GET
/// /readyz, GET /incidents/{id}. Unauthenticated requests never reach the
/// parser; bad input gets a 400 JSON body naming the problem.
http::handler make_webhook_handler(webhook_auth auth,
                                   admission_control admission,
                                   submit_fn submit, incident_lookup_fn lookup,
                                   readiness_fn ready);

/// Compares secrets in constant time (OpenSSL CRYPTO_memcmp).
bool secrets_equal(const std::string& given, const std::string& expected);

} // namespace kfix::intake
