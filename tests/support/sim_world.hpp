#pragma once

#include "actors/common/http_server.hpp"
#include "actors/context/context_merge.hpp"
#include "eval/sim/incident.hpp"
#include "eval/sim/simulator_host.hpp"
#include "eval/sim/state.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace kfix::test {

/// The simulated Kubernetes and Datadog APIs of several incidents, each API
/// behind its own HTTP server on 127.0.0.1 (port 0), for tests and the
/// benchmark: the same code paths the agent uses against the real APIs.
class sim_world {
public:
  /// Starts both servers; `ok()` says whether they run.
  explicit sim_world(int threads = 16);
  ~sim_world();

  sim_world(const sim_world&) = delete;
  sim_world& operator=(const sim_world&) = delete;

  bool ok() const {
    return k8s_ && dd_;
  }

  sim::simulator_host& host() {
    return host_;
  }

  /// Serves `state` as incident `id` for `workload`.
  void add(const std::string& id, const workload_ref& workload,
           int64_t received_at_s, sim::cluster_state state);

  /// The base URLs of an incident's APIs.
  std::string kubernetes_url(const std::string& id) const;
  std::string datadog_url(const std::string& id) const;

  /// Endpoints with test credentials (a bearer token, Datadog keys).
  context::api_endpoint kubernetes_endpoint(const std::string& id) const;
  context::api_endpoint datadog_endpoint(const std::string& id) const;

private:
  sim::simulator_host host_;
  std::unique_ptr<http::server> k8s_;
  std::unique_ptr<http::server> dd_;
};

/// The alert time of `rich_state` (2026-01-02T03:15:00Z).
inline constexpr int64_t rich_alert_time_s = 1767323700;

/// A hand-built state of Deployment web/api with everything the bundle
/// reads: three ReplicaSet revisions (and one of another Deployment), a
/// Pending pod with a FailedScheduling event and a crash-looping one,
/// Secrets and ConfigMaps (one missing, one without the key asked for),
/// two HPAs and four PDBs (one each apply), a LimitRange, a ResourceQuota,
/// two nodes, CPU throttling and APM series, and error logs.
sim::cluster_state rich_state();

/// A world serving `rich_state()` as incident `id` (Deployment web/api).
std::unique_ptr<sim_world> rich_world(const std::string& id);

/// The fetch scope of `rich_state`'s alert.
context::fetch_scope rich_scope();

/// An object of `file` under tests/data/context with `kind` and
/// `apiVersion` set (list items have none).
nlohmann::json context_data(const std::string& file);

} // namespace kfix::test
