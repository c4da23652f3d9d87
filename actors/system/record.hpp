#pragma once

#include "config/config.hpp"
#include "messages/context.hpp"
#include "messages/error.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace kfix {

/// What `kfix record` is asked to do.
struct record_options {
  /// The webhook body Datadog sent (alert.json).
  std::string alert_file;
  /// The incident folder to write; its name is the incident id
  /// (`[a-z0-9][a-z0-9-]*`).
  std::string out_dir;
  /// Write into a folder that is not empty.
  bool force = false;
  /// The time the fetchers have (recording is not on the alert's clock).
  std::chrono::milliseconds deadline{30'000};
};

/// What a recording captured.
struct record_outcome {
  std::string dir;
  std::string id;
  /// HTTP exchanges written to cassette.jsonl.
  size_t exchanges = 0;
  size_t kubernetes_objects = 0;
  size_t metric_series = 0;
  size_t log_events = 0;
  std::vector<std::string> gitops_files;
  /// The bundle the live fetch built (what a replay must give again).
  context_bundle bundle;
};

/// Captures a live incident into the recorded-incident format
/// (shared/spec/incident-format.md): runs the Kubernetes and Datadog
/// fetchers for the alert against the configured APIs, recording every
/// exchange, and writes `alert.json` (byte for byte), `cassette.jsonl`
/// (credentials never written, secret-looking values masked), `state/`
/// (kubernetes.json, metrics.json, logs.jsonl, derived from the
/// responses), `incident.yaml` (with an empty `expected` section for a
/// person to fill in) and, when GitLab is configured, `gitops/` with the
/// files of the folder holding the workload's manifest.
///
/// Errors: a simulated configuration (nothing live to record), an
/// unreadable or invalid alert, a bad incident id, a non-empty folder
/// without `force`, files that cannot be written.
[[nodiscard]] caf::expected<record_outcome>
record_incident(const record_options& opts, const agent_config& cfg);

} // namespace kfix
