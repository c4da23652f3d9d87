#pragma once

#include "eval/scoring.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

/// The eval's reports: report.json (the stable schema below), report.md
/// for terminals and merge requests, report.html (self-contained, with
/// charts and a drill-down per incident); the comparison of two reports and
/// the CI gate against a committed baseline.
namespace kfix::eval {

/// An incident folder the eval could not load.
struct load_problem {
  std::string dir;
  std::string reason;
};

/// One strategy's scores.
struct strategy_report {
  std::string name;
  /// Not run (why in `skip_reason`).
  bool skipped = false;
  std::string skip_reason;
  score_summary summary;
  std::map<std::string, score_summary> per_type;
  std::map<std::string, score_summary> per_env;
  std::vector<incident_score> incidents;
  int64_t wall_ms = 0;
  double incidents_per_second = 0;
};

struct eval_report {
  std::string dataset;
  std::string generated_at;
  std::vector<load_problem> load_problems;
  std::vector<strategy_report> strategies;
};

/// report.json:
/// `{schema: "kfix-eval-report/v1", dataset, generated_at, load_problems[],
///   strategies: {<name>: {skipped, skip_reason, wall_ms,
///   incidents_per_second, summary: {incidents, decision_accuracy,
///   top1_correct_rate, any3_correct_rate, unsafe_published,
///   false_rejections, complete_rate, p50_ms, p95_ms, llm_tokens,
///   llm_cost_usd, human_fixes, human_closeness}, per_type: {<alert type>:
///   summary}, per_env: {<env>: summary}, incidents: [incident_score]}}}`.
nlohmann::json report_json(const eval_report& r);

std::string report_markdown(const eval_report& r);

std::string report_html(const eval_report& r);

/// Incident by incident, what got worse (and better) from `before` to
/// `after` (two report.json documents), strategy by strategy.
struct report_change {
  std::string strategy;
  std::string incident;
  /// "regression" | "improvement" | "new" | "gone".
  std::string kind;
  std::string detail;
};

struct report_diff {
  std::vector<report_change> changes;
  /// Summary figures per strategy: name -> figure -> {before, after}.
  std::map<std::string, std::map<std::string, std::pair<double, double>>>
    figures;
  size_t regressions() const;
};

[[nodiscard]] caf::expected<report_diff>
diff_reports(const nlohmann::json& before, const nlohmann::json& after);

std::string render_diff(const report_diff& d);

/// The figures of `report` that fall below `baseline` (both report.json or
/// baseline files: `{strategies: {<name>: {summary: {...}}}}`), and any
/// unsafe publication; empty when the gate passes. Latencies and costs are
/// not gated (they depend on the machine).
std::vector<std::string> gate_failures(const nlohmann::json& report,
                                       const nlohmann::json& baseline);

/// A baseline file from a report: the summaries only.
nlohmann::json baseline_of(const nlohmann::json& report);

} // namespace kfix::eval
