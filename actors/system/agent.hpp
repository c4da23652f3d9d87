#pragma once

#include "actors/publish/publisher.hpp"
#include "actors/store/incident_store.hpp"
#include "config/config.hpp"
#include "eval/sim/incident.hpp"
#include "messages/error.hpp"
#include "messages/pipeline.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace kfix::sim {
class simulator_host;
} // namespace kfix::sim

namespace kfix {

/// Replaceable parts of the agent (tests, replay).
struct agent_overrides {
  /// Publishes instead of GitLab / local git when set.
  std::shared_ptr<publish::publisher> publisher;
  /// Opens stores instead of PostgreSQL when set (replay, eval).
  std::function<std::unique_ptr<store::incident_store>()> make_store;
  /// Skip the intake HTTP server (replay, eval).
  bool without_server = false;
  /// Serve these incidents' states on the simulated APIs instead of loading
  /// `simulation.datasets` (eval: loaded once for every strategy).
  std::shared_ptr<sim::simulator_host> simulator;
  std::vector<sim::recorded_incident> simulated_incidents;
};

/// The running agent: the simulated APIs when no credentials are set, the
/// actor pipeline under its SUPERVISOR, and the intake HTTP server.
class agent {
public:
  virtual ~agent() = default;

  /// The intake server's port (0 without a server).
  virtual uint16_t port() const = 0;

  /// Runs one incident through the pipeline, bypassing intake (replay).
  virtual void process(job_ptr job) = 0;

  /// Resolves the endpoints of an alert as intake would.
  [[nodiscard]] virtual caf::expected<endpoints_ptr>
  resolve(const enriched_alert& alert) = 0;

  /// The endpoints of one simulated incident, whatever workload the alert
  /// names (eval: incidents may share a workload).
  [[nodiscard]] virtual caf::expected<endpoints_ptr>
  resolve_simulated(const std::string& incident_id) = 0;

  /// Kills a stage actor (fault tests); the supervisor restarts it.
  virtual void kill_stage(const std::string& role) = 0;

  /// Blocks until the supervisor quits (a core actor died) or `stop()`.
  virtual void wait() = 0;

  /// Stops intake, drains, stops every actor and the simulators.
  virtual void stop() = 0;
};

/// Starts the agent. Errors name what is wrong (bad config, database
/// unreachable, address in use, no webhook token on a non-loopback
/// address).
[[nodiscard]] caf::expected<std::unique_ptr<agent>>
start_agent(std::shared_ptr<const agent_config> cfg,
            agent_overrides overrides = {});

/// Whether an address is loopback (127.0.0.0/8, ::1, localhost).
bool is_loopback_address(const std::string& host);

} // namespace kfix
