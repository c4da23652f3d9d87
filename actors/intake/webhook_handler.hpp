#pragma once

#include "actors/common/http_server.hpp"
#include "messages/pipeline.hpp"

#include <functional>
#include <string>

namespace kfix::intake {

/// How the webhook authenticates Datadog: a shared secret in a header
/// (compared in constant time). Empty token: no authentication (the agent
/// then listens on loopback only).
struct webhook_auth {
  std::string header = "x-kfix-token";
  std::string token;
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
http::handler make_webhook_handler(webhook_auth auth, submit_fn submit,
                                   incident_lookup_fn lookup,
                                   readiness_fn ready);

/// Compares secrets in constant time (OpenSSL CRYPTO_memcmp).
bool secrets_equal(const std::string& given, const std::string& expected);

} // namespace kfix::intake
