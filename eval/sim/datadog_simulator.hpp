#pragma once

#include "actors/common/http.hpp"
#include "eval/sim/state.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kfix::sim {

/// The Datadog API as seen by K-Fix, answering from a recorded incident's
/// metrics.json and logs.jsonl (shared/reference/api-reference.md sections
/// 2-4):
///
/// - `GET /api/v1/query?from=&to=&query=` (seconds): scope tags select
///   series, `by {...}` groups them, the space aggregator combines them,
///   `from`/`to` cut the window; the v1 response shape;
/// - `POST /api/v2/logs/events/search` (and `GET /api/v2/logs/events`):
///   `filter.query`, `filter.from`/`to` (ISO-8601, epoch ms, `now-15m`
///   relative to `now`), `sort`, `page.limit` (default 10, at most 1000) and
///   `page.cursor`;
/// - `GET /api/v1/validate`.
///
/// Every endpoint needs `DD-API-KEY` and `DD-APPLICATION-KEY` (any value),
/// else 403 `{"errors":["Forbidden"]}`. `handle` is thread-safe.
class datadog_simulator {
public:
  explicit datadog_simulator(cluster_state state);
  ~datadog_simulator();

  datadog_simulator(const datadog_simulator&) = delete;
  datadog_simulator& operator=(const datadog_simulator&) = delete;

  /// Answers one request (path relative to the API root, e.g.
  /// `/api/v1/query`).
  http::response handle(const http::request& req) const;

  /// The "now" of log date math, epoch milliseconds. Defaults to the newest
  /// log timestamp (0 without logs).
  void set_now(int64_t now_ms);
  int64_t now() const;

  /// The base of `links.next` (default `https://api.datadoghq.com`).
  void set_public_base(std::string base_url);

  // -- fault injection --------------------------------------------------------

  /// Answers requests under `path_prefix` with `status` (`{"errors":[...]}`
  /// bodies; 429 carries the `X-RateLimit-*` headers, 502 the gateway
  /// form), `times` times (negative: until cleared).
  void fail_path(std::string path_prefix, int status, int times = -1);

  /// Sleeps `delay` before answering requests under `path_prefix`.
  void delay_path(std::string path_prefix, std::chrono::milliseconds delay);

  void clear_faults();

  // -- observation ------------------------------------------------------------

  size_t request_count() const;

  /// "METHOD /path" of the requests for paths the simulator does not serve.
  std::vector<std::string> unknown_requests() const;

  // -- helpers ----------------------------------------------------------------

  /// `{"errors": [message]}` with `status`.
  static http::response error_response(int status, const std::string& message);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace kfix::sim
