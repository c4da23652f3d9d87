#pragma once

#include "actors/publish/capturing_publisher.hpp"
#include "config/config.hpp"
#include "eval/sim/incident.hpp"
#include "messages/incident.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <vector>

namespace kfix {

/// One recorded incident run through the whole pipeline offline.
struct replay_outcome {
  sim::recorded_incident incident;
  result_ptr result;
  /// What the pipeline would have published (never sent).
  std::vector<publish::publish_request> captured;
};

/// Replays an incident folder: its state/ answers the simulated Kubernetes
/// and Datadog APIs on loopback, the pipeline runs on the same actors as
/// production, publishing is captured and progress kept in memory.
[[nodiscard]] caf::expected<replay_outcome>
replay_incident(const std::filesystem::path& dir, agent_config cfg,
                std::chrono::milliseconds timeout = std::chrono::seconds{60});

/// The documented JSON shape of a replay (docs/replay.md).
nlohmann::json replay_json(const replay_outcome& outcome);

/// A human-readable account of a replay for terminals.
std::string replay_text(const replay_outcome& outcome);

} // namespace kfix
