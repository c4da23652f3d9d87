#include "actors/system/eval_strategy.hpp"

#include "actors/intake/alert_parser.hpp"
#include "actors/publish/capturing_publisher.hpp"
#include "actors/reasoning/llm_cassette.hpp"
#include "actors/system/agent.hpp"
#include "eval/sim/simulator_host.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace kfix {

pipeline_strategy::pipeline_strategy(std::string name, agent_config cfg,
                                     std::chrono::milliseconds timeout)
  : name_(std::move(name)), cfg_(std::move(cfg)), timeout_(timeout) {
  cfg_.reasoning.strategy = name_;
  cfg_.llm.eval_replay = uses_llm(name_);
}

void pipeline_strategy::use_recordings_of(
  const std::vector<eval::loaded_incident>& incidents) {
  cassettes_.clear();
  for (const auto& li : incidents)
    cassettes_.push_back(li.incident.dir / "cassette.jsonl");
}

std::string pipeline_strategy::name() const {
  return name_;
}

std::string pipeline_strategy::unavailable() const {
  if (auto err = cfg_.validate())
    return render(err);
  if (uses_llm(name_) && !cfg_.llm.has_endpoint()
      && std::none_of(cassettes_.begin(), cassettes_.end(),
                      [](const std::filesystem::path& c) {
                        return cassette::has_service(c, "llm");
                      }))
    return "no LLM endpoint is configured (llm.base_url) and no incident's "
           "cassette.jsonl holds a recorded LLM exchange";
  return {};
}

namespace {

/// Incidents in flight, and the next one to start.
struct run_state {
  std::mutex mtx;
  std::condition_variable progress;
  size_t next = 0;
  size_t finished = 0;
  std::vector<bool> reported;
};

} // namespace

void pipeline_strategy::run(
  const std::vector<const eval::loaded_incident*>& incidents, int jobs,
  const std::function<void(size_t, eval::run_record)>& done) {
  auto fail_all = [&](const std::string& why) {
    for (size_t i = 0; i < incidents.size(); ++i)
      done(i, {nullptr, why});
  };
  // Everything offline: every incident simulated, captured publishing,
  // progress in memory.
  auto cfg = cfg_;
  cfg.kubernetes = {};
  // The LLM may be live (recording into the cassettes); nothing else is.
  auto llm_key = cfg.secret.llm_api_key;
  cfg.secret = {};
  cfg.secret.llm_api_key = llm_key;
  for (const auto* li : incidents)
    cfg.llm.incident_dirs[li->incident.id] = li->incident.dir.string();
  cfg.gitlab.url.clear();
  cfg.simulation.datasets.clear();
  cfg.simulation.incidents.clear();
  // Each incident is scored alone: the circuit breaker is about a live
  // stream of merge requests, not a replayed dataset.
  cfg.policy.max_mrs_per_namespace_per_hour = 0;
  agent_overrides overrides;
  overrides.publisher = std::make_shared<publish::capturing_publisher>();
  overrides.without_server = true;
  auto memory = std::make_shared<store::memory_store>();
  overrides.make_store = [memory]() -> std::unique_ptr<store::incident_store> {
    return std::make_unique<store::shared_store>(memory);
  };
  overrides.simulator = std::make_shared<sim::simulator_host>();
  for (const auto* li : incidents) {
    overrides.simulator->add_incident(li->incident, *li->state);
    overrides.simulated_incidents.push_back(li->incident);
  }
  if (incidents.empty())
    return;
  auto started = start_agent(std::make_shared<const agent_config>(cfg),
                             std::move(overrides));
  if (!started)
    return fail_all("agent did not start: " + render(started.error()));
  auto& agent = **started;
  run_state state;
  state.reported.assign(incidents.size(), false);
  // Reports incident `i` once (a late callback after a timeout is dropped)
  // and starts the next one.
  std::function<void(size_t)> start;
  auto finish = [&](size_t i, eval::run_record rec) {
    size_t next_index = 0;
    bool more = false;
    {
      std::lock_guard<std::mutex> guard{state.mtx};
      if (state.reported[i])
        return;
      state.reported[i] = true;
      ++state.finished;
      if (state.next < incidents.size()) {
        next_index = state.next++;
        more = true;
      }
    }
    done(i, std::move(rec));
    state.progress.notify_all();
    if (more)
      start(next_index);
  };
  start = [&](size_t i) {
    const auto& inc = incidents[i]->incident;
    auto alert = intake::parse_alert(inc.alert_json);
    if (!alert)
      return finish(i, {nullptr, "alert.json: " + render(alert.error())});
    auto endpoints = agent.resolve_simulated(inc.id);
    if (!endpoints)
      return finish(i, {nullptr, render(endpoints.error())});
    auto job = std::make_shared<incident_job>();
    auto value = std::make_shared<incident>();
    // Ids by position: intake's grouping would merge incidents of one
    // workload, which the eval scores one by one.
    value->id = static_cast<int64_t>(i) + 1;
    value->alert = std::move(*alert);
    job->incident = std::move(value);
    job->endpoints = std::move(*endpoints);
    job->on_done = [&finish, i](result_ptr r) {
      finish(i, {std::move(r), {}});
    };
    agent.process(std::move(job));
  };
  size_t first = 0;
  {
    std::lock_guard<std::mutex> guard{state.mtx};
    first = std::min(incidents.size(), static_cast<size_t>(std::max(jobs, 1)));
    state.next = first;
  }
  for (size_t i = 0; i < first; ++i)
    start(i);
  // Waits while incidents keep finishing; gives up after `timeout_` without
  // progress (the pipeline's own deadlines end every incident before that).
  {
    std::unique_lock<std::mutex> lock{state.mtx};
    while (state.finished < incidents.size()) {
      auto before = state.finished;
      state.progress.wait_for(lock, timeout_, [&] {
        return state.finished != before;
      });
      if (state.finished == before)
        break;
    }
  }
  // Stopping joins every actor: no callback runs after this.
  agent.stop();
  for (size_t i = 0; i < incidents.size(); ++i)
    if (!state.reported[i]) {
      state.reported[i] = true;
      done(i, {nullptr, "did not finish: no incident finished for "
                          + std::to_string(timeout_.count()) + " ms"});
    }
}

} // namespace kfix
