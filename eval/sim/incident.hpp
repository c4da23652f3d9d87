#pragma once

#include "eval/sim/state.hpp"
#include "messages/alert.hpp"
#include "messages/error.hpp"
#include "messages/patch.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace kfix::sim {

/// A recorded incident (`kfix-incident/v1`, see
/// shared/spec/incident-format.md), without its `state/` (load that with
/// `load_state(dir / "state")`).
struct recorded_incident {
  std::string id;
  std::string title;
  std::string env;
  std::string cluster;
  /// RFC 3339, as written in incident.yaml.
  std::string received_at;
  int64_t received_at_s = 0;
  std::string alert_type;
  workload_ref workload;
  /// Empty project when incident.yaml has no `gitops:`.
  gitops_target gitops;
  /// The `expected:` section as JSON (decision, accept, reject).
  nlohmann::json expected;
  /// Free-form fields, empty when absent.
  std::string source;
  std::string notes;
  /// alert.json, byte for byte.
  std::string alert_json;
  /// The incident folder.
  std::filesystem::path dir;
  /// Files under gitops/, paths relative to it, sorted by path.
  std::vector<repo_file> gitops_files;
  /// The `outcome:` section as JSON (null when absent).
  nlohmann::json outcome;
  /// The merged MR's diff (`outcome.human_fix` names the file), or empty.
  std::string human_fix_diff;
};

/// Loads and validates one incident folder: everything
/// shared/tools/validate_incidents.py checks, and more (field types, the
/// workload kind, RFC 3339 times, the workload object's namespace, state
/// file shapes). The error lists every problem, each naming the file and
/// field: "incident.yaml: expected.decision: must be fix, escalate or
/// no_action".
[[nodiscard]] caf::expected<recorded_incident>
load_incident(const std::filesystem::path& dir);

/// Like `load_incident`, and also hands back the `state/` it validated (so a
/// caller that serves it does not parse it twice).
[[nodiscard]] caf::expected<recorded_incident>
load_incident(const std::filesystem::path& dir, cluster_state& state);

/// Loads every incident folder (a sub-folder holding incident.yaml) of a
/// dataset, sorted by id. The first bad incident fails the whole load, with
/// its folder name in front of the message.
[[nodiscard]] caf::expected<std::vector<recorded_incident>>
load_dataset(const std::filesystem::path& dir);

/// What `load_dataset_lenient` could not load.
struct load_failure {
  std::filesystem::path dir;
  caf::error error;
};

/// The incidents that loaded and the ones that did not.
struct dataset_load {
  std::vector<recorded_incident> incidents;
  std::vector<load_failure> failures;
};

/// Loads every incident folder it can; an unreadable dataset folder is an
/// error.
[[nodiscard]] caf::expected<dataset_load>
load_dataset_lenient(const std::filesystem::path& dir);

/// Checks one `accept` / `reject` entry against the action vocabulary;
/// returns the problems, each prefixed with `where`.
std::vector<std::string> check_expected_entry(const nlohmann::json& entry,
                                              const std::string& where);

} // namespace kfix::sim
