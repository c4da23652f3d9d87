#pragma once

#include "actors/system/services.hpp"
#include "config/config.hpp"
#include "eval/sim/incident.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kfix::sim {
class simulator_host;
} // namespace kfix::sim

namespace kfix {

/// Where simulated APIs answer, when some are simulated.
struct simulation_endpoints {
  std::shared_ptr<sim::simulator_host> host;
  std::string kubernetes_base; // http://127.0.0.1:PORT
  std::string datadog_base;
  std::map<std::string, sim::recorded_incident> incidents;
};

/// Resolves each API for an alert: configured (in-cluster, kubeconfig URL,
/// Datadog site) or, for an API without credentials, the simulated incident
/// whose workload matches the alert's.
class agent_resolver : public endpoint_resolver {
public:
  agent_resolver(std::shared_ptr<const agent_config> cfg,
                 std::shared_ptr<simulation_endpoints> simulation);

  caf::expected<endpoints_ptr> resolve(const enriched_alert& alert) override;

  /// The endpoints of a simulated incident by id (eval).
  caf::expected<endpoints_ptr>
  resolve_simulated(const std::string& incident_id);

private:
  /// Points `result` at the simulated incident `id`.
  void use_simulated(incident_endpoints& result, const std::string& id) const;

  std::shared_ptr<const agent_config> cfg_;
  std::shared_ptr<simulation_endpoints> simulation_;
};

} // namespace kfix
