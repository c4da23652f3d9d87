#pragma once

#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace kfix::sim {

/// The world as the APIs showed it when an alert arrived: an incident's
/// `state/` folder in memory.
struct cluster_state {
  /// Kubernetes objects as the API returns them on GET.
  std::vector<nlohmann::json> objects;
  /// Datadog metric series: {metric, tags, unit, interval, points}.
  std::vector<nlohmann::json> metric_series;
  /// Datadog log events, shaped as items of the Logs Search v2 `data` array.
  std::vector<nlohmann::json> logs;
};

/// Parses Kubernetes objects from a multi-document YAML stream. `file` names
/// the source in errors ("state/kubernetes.yaml:12: ...").
[[nodiscard]] caf::expected<std::vector<nlohmann::json>>
parse_kubernetes_yaml(const std::string& text, const std::string& file);

/// Parses Kubernetes objects from a JSON array.
[[nodiscard]] caf::expected<std::vector<nlohmann::json>>
parse_kubernetes_json(const std::string& text, const std::string& file);

/// Parses metrics.json ({"series": [...]}).
[[nodiscard]] caf::expected<std::vector<nlohmann::json>>
parse_metrics_json(const std::string& text, const std::string& file);

/// Parses logs.jsonl (one event per line; blank lines skipped).
[[nodiscard]] caf::expected<std::vector<nlohmann::json>>
parse_logs_jsonl(const std::string& text, const std::string& file);

/// Loads `state/` of an incident: kubernetes.yaml (or kubernetes.json),
/// metrics.json and logs.jsonl, all required. Errors name the file (relative
/// to the incident, e.g. `state/logs.jsonl:3`) and the line or field.
[[nodiscard]] caf::expected<cluster_state>
load_state(const std::filesystem::path& state_dir);

/// Reads a whole file; an error names `display_name`.
[[nodiscard]] caf::expected<std::string>
read_text_file(const std::filesystem::path& path,
               const std::string& display_name);

} // namespace kfix::sim
