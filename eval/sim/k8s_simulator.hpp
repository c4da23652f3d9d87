#pragma once

#include "actors/common/http.hpp"
#include "eval/sim/state.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace kfix::sim {

/// A read-only Kubernetes API server answering from a recorded incident's
/// objects, as the real one would (see shared/reference/api-reference.md
/// section 5):
///
/// - GET of one object (`/api/v1/namespaces/{ns}/{resource}/{name}`,
///   `/apis/{group}/{version}/namespaces/{ns}/{resource}/{name}`,
///   cluster-scoped `/api/v1/nodes/{name}`, `/api/v1/namespaces/{name}`), the
///   `status` and `scale` subresources and `pods/{name}/log` (built from the
///   Datadog log events tagged with the pod);
/// - LIST of collections, namespaced or across namespaces, with
///   `labelSelector`, `fieldSelector`, `limit` and `continue` (410 Expired
///   for a token it did not issue);
/// - PATCH and POST with `?dryRun=All` (strategic merge, merge and JSON
///   patches; 415 for other content types; 422 when requests exceed limits;
///   POST of a Pod also runs LimitRange and ResourceQuota admission); any
///   write without dry-run is refused with 403;
/// - discovery: `/api`, `/api/v1`, `/apis`, `/apis/{group}/{version}`,
///   `/version`, `/healthz`.
///
/// Errors are `Status` objects. `handle` is thread-safe; fault injection
/// can be changed while requests are served.
class k8s_simulator {
public:
  explicit k8s_simulator(cluster_state state);
  ~k8s_simulator();

  k8s_simulator(const k8s_simulator&) = delete;
  k8s_simulator& operator=(const k8s_simulator&) = delete;

  /// Answers one request (path relative to the API server root).
  http::response handle(const http::request& req) const;

  // -- fault injection --------------------------------------------------------

  /// Answers requests whose path starts with `path_prefix` with the Status
  /// for `status` (403 RBAC denial, 429 with `Retry-After: 1`, 500, 503,
  /// ...), `times` times (negative: until cleared). A later rule for the
  /// same prefix replaces the earlier one.
  void fail_path(std::string path_prefix, int status, int times = -1);

  /// Sleeps `delay` before answering requests under `path_prefix`.
  void delay_path(std::string path_prefix, std::chrono::milliseconds delay);

  /// Removes every fault and delay.
  void clear_faults();

  /// Requires `Authorization: Bearer <token>` on every request, as an API
  /// server does: a missing or other token gets 401 `Unauthorized`. An
  /// empty token accepts any request (the default).
  void require_token(std::string token);

  // -- observation ------------------------------------------------------------

  /// Requests answered so far.
  size_t request_count() const;

  /// "METHOD /path" of the requests answered with "the server could not find
  /// the requested resource" (paths the simulator does not serve).
  std::vector<std::string> unknown_requests() const;

  // -- helpers ----------------------------------------------------------------

  /// A `Status` failure response. `details` is omitted when null.
  static http::response status_response(int code, const std::string& reason,
                                        const std::string& message,
                                        const nlohmann::json& details
                                        = nlohmann::json::object());

  /// 404 `the server could not find the requested resource`.
  static http::response unknown_path_response();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace kfix::sim
