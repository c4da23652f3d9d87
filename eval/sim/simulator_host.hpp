#pragma once

#include "actors/common/http.hpp"
#include "eval/sim/datadog_simulator.hpp"
#include "eval/sim/incident.hpp"
#include "eval/sim/k8s_simulator.hpp"
#include "eval/sim/state.hpp"
#include "messages/alert.hpp"
#include "messages/error.hpp"

#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace kfix::sim {

/// The simulated Kubernetes and Datadog APIs of several incidents behind one
/// server: a request for `/i/<incident-id>/<api path>` goes to that
/// incident's simulator with the `/i/<incident-id>` prefix stripped. Point
/// the agent's Kubernetes and Datadog base URLs at `<server>` +
/// `base_path(id)`. Thread-safe.
class simulator_host {
public:
  simulator_host();
  ~simulator_host();

  simulator_host(const simulator_host&) = delete;
  simulator_host& operator=(const simulator_host&) = delete;

  /// Loads the incident's `state/` and serves it. Adding an id again
  /// replaces the earlier one.
  [[nodiscard]] caf::error add_incident(const recorded_incident& incident);

  /// Serves `state` for `incident` (tests, hand-built states).
  void add_incident(const recorded_incident& incident, cluster_state state);

  /// Answers a Kubernetes API request; an unknown incident gets the API
  /// server's 404 Status for an unknown path.
  http::response handle_kubernetes(const http::request& req) const;

  /// Answers a Datadog API request; an unknown incident gets
  /// `{"errors":["Not found"]}` with 404.
  http::response handle_datadog(const http::request& req) const;

  /// The incident serving a workload: namespace and name match (and kind,
  /// when `w.kind` is not empty); among several, the one received last
  /// (then the greatest id).
  std::optional<std::string> find_incident(const workload_ref& w) const;

  /// The ids served, sorted.
  std::vector<std::string> incident_ids() const;

  /// The simulators of an incident (for fault injection), or nullptr; valid
  /// until the incident is replaced.
  k8s_simulator* kubernetes(const std::string& id) const;
  datadog_simulator* datadog(const std::string& id) const;

  /// `/i/<id>`.
  static std::string base_path(const std::string& id);

private:
  struct entry {
    std::string id;
    workload_ref workload;
    int64_t received_at_s = 0;
    std::unique_ptr<k8s_simulator> kubernetes;
    std::unique_ptr<datadog_simulator> datadog;
  };

  /// Splits `/i/<id>/rest` into the entry and the stripped request.
  std::shared_ptr<const entry> route(const http::request& req,
                                     http::request& stripped) const;

  mutable std::shared_mutex mtx_;
  std::vector<std::shared_ptr<entry>> entries_;
};

} // namespace kfix::sim
