#pragma once

#include "eval/report.hpp"
#include "eval/sim/incident.hpp"
#include "eval/sim/state.hpp"
#include "messages/incident.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

/// The offline eval: every incident of a dataset through each strategy,
/// scored against its `expected` section. CAF-free: a strategy is anything
/// that turns recorded incidents into results (the actor pipeline in
/// production, actors/system/eval_strategy).
namespace kfix::eval {

/// A recorded incident with the state its simulated APIs serve.
struct loaded_incident {
  sim::recorded_incident incident;
  std::shared_ptr<const sim::cluster_state> state;
};

/// One incident's run: the result, or why the run itself failed.
struct run_record {
  result_ptr result;
  std::string error;
};

/// A way of deciding, run over recorded incidents.
class strategy {
public:
  virtual ~strategy() = default;

  virtual std::string name() const = 0;

  /// Why the strategy cannot run here (an LLM strategy with neither an
  /// endpoint nor recorded exchanges), empty when it can.
  virtual std::string unavailable() const {
    return {};
  }

  /// Runs every incident, at most `jobs` at a time; calls `done` once per
  /// incident, from any thread, as each finishes.
  virtual void run(const std::vector<const loaded_incident*>& incidents,
                   int jobs,
                   const std::function<void(size_t index, run_record)>& done)
    = 0;
};

/// Loads a dataset leniently: the incidents that load, and the folders
/// that do not with the file and reason.
struct loaded_dataset {
  std::vector<loaded_incident> incidents;
  std::vector<load_problem> problems;
};

[[nodiscard]] caf::expected<loaded_dataset>
load_for_eval(const std::filesystem::path& dir);

/// What the eval checks of policy besides the safety layer.
struct eval_policy {
  std::vector<std::string> protected_namespaces{"kube-system"};
  double max_memory_increase_factor = 2.0;
};

/// Called after each incident: how many are done of how many.
using progress_fn = std::function<void(size_t done, size_t total)>;

/// Runs the strategies one after the other over the dataset and scores
/// them. A strategy that is unavailable is reported as skipped.
eval_report evaluate(const std::string& dataset_name,
                     const loaded_dataset& data,
                     const std::vector<strategy*>& strategies, int jobs,
                     const eval_policy& policy,
                     const progress_fn& progress = {});

} // namespace kfix::eval
