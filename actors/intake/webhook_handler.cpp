#include "actors/intake/webhook_handler.hpp"

#include "actors/common/metrics.hpp"
#include "actors/intake/alert_parser.hpp"
#include "actors/publish/base64.hpp"

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <chrono>

namespace kfix::intake {

bool secrets_equal(const std::string& given, const std::string& expected) {
  // Hash both sides first so that the comparison time does not depend on
  // the lengths either.
  unsigned char a[SHA256_DIGEST_LENGTH];
  unsigned char b[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(given.data()), given.size(), a);
  SHA256(reinterpret_cast<const unsigned char*>(expected.data()),
         expected.size(), b);
  return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

bool webhook_auth::admits(const http::request& req) const {
  bool ok = false;
  // Every configured method is checked, so that timing does not reveal
  // which one matched.
  if (!token.empty())
    ok |= secrets_equal(req.header(header), token);
  auto authorization = req.header("authorization");
  if (!bearer.empty())
    ok |= authorization.rfind("Bearer ", 0) == 0
          && secrets_equal(authorization.substr(7), bearer);
  if (!basic.empty() && authorization.rfind("Basic ", 0) == 0) {
    auto decoded = publish::base64_decode(authorization.substr(6));
    ok |= decoded && secrets_equal(*decoded, basic);
  }
  return ok;
}

namespace {

/// The route label of a path (bounded cardinality).
const char* route_of(const std::string& path) {
  if (path == "/datadog-webhook")
    return "/datadog-webhook";
  if (path == "/healthz" || path == "/readyz" || path == "/metrics")
    return path == "/healthz"  ? "/healthz"
           : path == "/readyz" ? "/readyz"
                               : "/metrics";
  if (path.rfind("/incidents/", 0) == 0)
    return "/incidents/{id}";
  return "other";
}

/// Counts every answer by route and code, and times the webhook's acks.
http::responder measured(http::responder respond, const std::string& path) {
  static auto& requests = metrics::default_registry().counter(
    "kfix_http_requests_total", "HTTP requests answered, by route and code",
    {"route", "code"});
  static auto& ack = metrics::default_registry().histogram(
    "kfix_webhook_ack_seconds",
    "Time from receiving a webhook request to answering it (after the "
    "commit for accepted alerts)");
  auto route = route_of(path);
  auto started = std::chrono::steady_clock::now();
  return [respond = std::move(respond), route, started](http::response resp) {
    requests.with({route, std::to_string(resp.status)}).inc();
    if (std::string_view{route} == "/datadog-webhook")
      ack.with().observe(std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - started)
                           .count());
    respond(std::move(resp));
  };
}

bool is_json_content_type(const std::string& value) {
  std::string lower = value;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) {
                   return std::tolower(c);
                 });
  auto semi = lower.find(';');
  auto media = lower.substr(0, semi);
  media.erase(std::remove(media.begin(), media.end(), ' '), media.end());
  return media == "application/json";
}

http::response handle_incident(const http::request& req,
                               const incident_lookup_fn& lookup) {
  auto id_text = req.path.substr(std::string{"/incidents/"}.size());
  char* end = nullptr;
  auto id = std::strtoll(id_text.c_str(), &end, 10);
  if (id_text.empty() || *end != '\0' || id <= 0)
    return http::error_response(400, "incident id must be a positive "
                                     "integer, got \""
                                       + id_text + "\"");
  auto found = lookup(id);
  if (!found) {
    auto status = code_of(found.error()) == ec::not_found ? 404 : 503;
    return http::error_response(status, render(found.error()));
  }
  http::response resp;
  resp.header("Content-Type", "application/json");
  resp.body = std::move(*found);
  return resp;
}

} // namespace

http::handler make_webhook_handler(webhook_auth auth,
                                   admission_control admission,
                                   submit_fn submit, incident_lookup_fn lookup,
                                   readiness_fn ready) {
  return [auth = std::move(auth), admission = std::move(admission),
          submit = std::move(submit), lookup = std::move(lookup),
          ready = std::move(ready)](http::request&& req,
                                    http::responder raw_respond) {
    auto respond = measured(std::move(raw_respond), req.path);
    if (req.path == "/metrics") {
      http::response resp;
      resp.header("Content-Type", std::string{metrics::content_type});
      resp.body = metrics::default_registry().render();
      return respond(std::move(resp));
    }
    if (req.path == "/healthz") {
      if (req.method != "GET")
        return respond(http::error_response(405, "use GET"));
      return respond(http::json_response(200, {{"status", "ok"}}));
    }
    if (req.path == "/readyz") {
      if (auto err = ready())
        return respond(http::error_response(503, "not ready: " + render(err)));
      return respond(http::json_response(200, {{"status", "ready"}}));
    }
    // Everything else may reveal or change state: authenticate first.
    if (auth.enabled() && !auth.admits(req))
      return respond(http::error_response(401, "unauthorized"));
    if (req.path.rfind("/incidents/", 0) == 0) {
      if (req.method != "GET")
        return respond(http::error_response(405, "use GET"));
      return respond(handle_incident(req, lookup));
    }
    if (req.path != "/datadog-webhook")
      return respond(http::error_response(404, "no route " + req.path));
    if (req.method != "POST")
      return respond(http::error_response(405, "use POST for /datadog-webhook")
                       .header("Allow", "POST"));
    if (!is_json_content_type(req.header("content-type")))
      return respond(http::error_response(
        415, "Content-Type must be application/json, got \""
               + req.header("content-type") + "\""));
    auto alert = parse_alert(req.body);
    if (!alert)
      return respond(http::error_response(400, render(alert.error())));
    // A temporary refusal is a 5xx: Datadog retries those, never a 4xx.
    auto in_flight = admission.in_flight;
    if (in_flight->fetch_add(1) >= admission.capacity) {
      in_flight->fetch_sub(1);
      auto busy = http::error_response(
        503, "intake queue full (" + std::to_string(admission.capacity)
               + " alerts waiting to be stored); retry later");
      busy.header("Retry-After", "1");
      return respond(std::move(busy));
    }
    auto sub = std::make_shared<alert_submission>();
    sub->alert = std::make_shared<const enriched_alert>(std::move(*alert));
    sub->raw_payload = std::move(req.body);
    sub->respond = [respond, in_flight](int status, std::string body) {
      in_flight->fetch_sub(1);
      http::response resp;
      resp.status = status;
      resp.header("Content-Type", "application/json");
      if (status == 503)
        resp.header("Retry-After", "5");
      resp.body = std::move(body);
      respond(std::move(resp));
    };
    submit(std::move(sub));
  };
}

} // namespace kfix::intake
