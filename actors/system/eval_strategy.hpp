#pragma once

#include "config/config.hpp"
#include "eval/harness.hpp"

#include <chrono>
#include <string>

namespace kfix {

/// The eval's strategy over the production actors: one agent for the whole
/// dataset, both APIs simulated from every incident's `state/` on loopback,
/// publishing captured instead of sent, progress in memory. Each incident
/// runs as its own job (incidents may share a workload, so intake's
/// grouping is bypassed), at most `jobs` at a time.
class pipeline_strategy final : public eval::strategy {
public:
  /// `cfg.reasoning.strategy` (set from `name`) chooses the decision engine.
  pipeline_strategy(std::string name, agent_config cfg,
                    std::chrono::milliseconds per_incident_timeout
                    = std::chrono::seconds{120});

  std::string name() const override;
  std::string unavailable() const override;
  void run(const std::vector<const eval::loaded_incident*>& incidents, int jobs,
           const std::function<void(size_t, eval::run_record)>& done) override;

private:
  std::string name_;
  agent_config cfg_;
  std::chrono::milliseconds timeout_;
};

} // namespace kfix
