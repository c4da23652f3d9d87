#include "eval/harness.hpp"

#include "actors/common/time_text.hpp"
#include "eval/human_fix.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>

namespace kfix::eval {

namespace fs = std::filesystem;

caf::expected<loaded_dataset> load_for_eval(const fs::path& dir) {
  std::error_code err;
  if (!fs::is_directory(dir, err))
    return make_error(ec::invalid_input,
                      dir.string() + ": not a dataset folder");
  std::vector<fs::path> folders;
  for (const auto& entry : fs::directory_iterator{dir, err})
    if (entry.is_directory() && fs::exists(entry.path() / "incident.yaml"))
      folders.push_back(entry.path());
  if (err)
    return make_error(ec::io_error,
                      "cannot list " + dir.string() + ": " + err.message());
  std::sort(folders.begin(), folders.end());
  loaded_dataset out;
  for (const auto& folder : folders) {
    sim::cluster_state state;
    auto inc = sim::load_incident(folder, state);
    if (!inc) {
      out.problems.push_back({folder.string(), render(inc.error())});
      continue;
    }
    out.incidents.push_back(
      {std::move(*inc),
       std::make_shared<const sim::cluster_state>(std::move(state))});
  }
  return out;
}

namespace {

std::string by_type(const incident_score& s) {
  return s.alert_type;
}

std::string by_env(const incident_score& s) {
  return s.env;
}

/// The facts of an incident that do not depend on the run.
incident_facts facts_of(const loaded_incident& li, const eval_policy& policy) {
  const auto& inc = li.incident;
  incident_facts f;
  f.id = inc.id;
  f.title = inc.title;
  f.alert_type = inc.alert_type;
  f.env = inc.env;
  f.expected = inc.expected;
  f.protected_namespaces = policy.protected_namespaces;
  f.max_memory_increase_factor = policy.max_memory_increase_factor;
  if (auto view = view_of(li.state->objects, inc.workload))
    f.before = std::move(*view);
  else
    f.before.ref = inc.workload;
  f.revision_memory_limits
    = revision_memory_limits(li.state->objects, inc.workload);
  return f;
}

} // namespace

eval_report evaluate(const std::string& dataset_name,
                     const loaded_dataset& data,
                     const std::vector<strategy*>& strategies, int jobs,
                     const eval_policy& policy, const progress_fn& progress) {
  eval_report report;
  report.dataset = dataset_name;
  report.generated_at
    = format_rfc3339_s(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  for (const auto& p : data.problems)
    report.load_problems.push_back(p);
  std::vector<const loaded_incident*> incidents;
  std::vector<incident_facts> facts;
  for (const auto& li : data.incidents) {
    incidents.push_back(&li);
    facts.push_back(facts_of(li, policy));
  }
  for (auto* s : strategies) {
    strategy_report sr;
    sr.name = s->name();
    if (auto why = s->unavailable(); !why.empty()) {
      sr.skipped = true;
      sr.skip_reason = why;
      report.strategies.push_back(std::move(sr));
      continue;
    }
    std::vector<run_record> records(incidents.size());
    std::mutex mtx;
    size_t finished = 0;
    auto started = std::chrono::steady_clock::now();
    s->run(incidents, std::max(jobs, 1), [&](size_t index, run_record rec) {
      std::lock_guard<std::mutex> guard{mtx};
      records.at(index) = std::move(rec);
      ++finished;
      if (progress)
        progress(finished, incidents.size());
    });
    sr.wall_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count();
    if (sr.wall_ms > 0)
      sr.incidents_per_second = static_cast<double>(incidents.size()) * 1000.0
                                / static_cast<double>(sr.wall_ms);
    for (size_t i = 0; i < incidents.size(); ++i) {
      auto f = facts[i];
      const auto& inc = incidents[i]->incident;
      const auto* result = records[i].result.get();
      if (!inc.human_fix_diff.empty() && result != nullptr) {
        auto closeness
          = human_fix_closeness(inc.gitops_files, inc.human_fix_diff,
                                result->patch ? &*result->patch : nullptr);
        if (closeness)
          f.human_closeness = *closeness;
        else
          report.load_problems.push_back(
            {inc.dir.string(), "human fix: " + render(closeness.error())});
      }
      sr.incidents.push_back(score_incident(f, result, records[i].error));
    }
    std::vector<const incident_score*> all;
    for (const auto& sc : sr.incidents)
      all.push_back(&sc);
    sr.summary = summarize(all);
    sr.per_type = summarize_by(sr.incidents, by_type);
    sr.per_env = summarize_by(sr.incidents, by_env);
    report.strategies.push_back(std::move(sr));
  }
  return report;
}

} // namespace kfix::eval
