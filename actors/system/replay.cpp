#include "actors/system/replay.hpp"

#include "actors/intake/alert_parser.hpp"
#include "actors/reasoning/signals.hpp"
#include "actors/system/agent.hpp"

#include <nlohmann/json.hpp>

#include <future>
#include <sstream>

namespace kfix {

caf::expected<replay_outcome>
replay_incident(const std::filesystem::path& dir, agent_config cfg,
                std::chrono::milliseconds timeout) {
  auto inc = sim::load_incident(dir);
  if (!inc)
    return inc.error();
  auto alert = intake::parse_alert(inc->alert_json);
  if (!alert)
    return make_error(ec::invalid_input, (dir / "alert.json").string() + ": "
                                           + render(alert.error()));
  // Everything offline: both APIs simulated from this incident alone, no
  // GitLab, captured publishing, progress in memory.
  cfg.kubernetes = {};
  cfg.secret = {};
  cfg.gitlab.url.clear();
  cfg.simulation.datasets.clear();
  cfg.simulation.incidents = {dir.string()};
  auto capture = std::make_shared<publish::capturing_publisher>();
  auto memory = std::make_shared<store::memory_store>();
  agent_overrides overrides;
  overrides.publisher = capture;
  overrides.without_server = true;
  // One shared in-memory store; each actor gets a view of it.
  overrides.make_store = [memory]() -> std::unique_ptr<store::incident_store> {
    return std::make_unique<store::shared_store>(memory);
  };
  auto agent = start_agent(std::make_shared<const agent_config>(cfg),
                           std::move(overrides));
  if (!agent)
    return agent.error();
  auto stored = memory->record_alert(*alert, inc->alert_json);
  if (!stored)
    return stored.error();
  auto endpoints = (*agent)->resolve(*alert);
  if (!endpoints)
    return endpoints.error();
  auto job = std::make_shared<incident_job>();
  auto incident_value = std::make_shared<incident>();
  incident_value->id = stored->incident_id;
  incident_value->alert = *alert;
  job->incident = incident_value;
  job->endpoints = *endpoints;
  auto done = std::make_shared<std::promise<result_ptr>>();
  auto future = done->get_future();
  job->on_done = [done](result_ptr r) {
    done->set_value(std::move(r));
  };
  (*agent)->process(job);
  if (future.wait_for(timeout) != std::future_status::ready)
    return make_error(ec::timeout, "replay of " + inc->id
                                     + " did not finish "
                                       "within "
                                     + std::to_string(timeout.count()) + " ms");
  replay_outcome outcome;
  outcome.result = future.get();
  outcome.captured = capture->requests();
  outcome.incident = std::move(*inc);
  (*agent)->stop();
  return outcome;
}

nlohmann::json replay_json(const replay_outcome& outcome) {
  const auto& r = *outcome.result;
  nlohmann::json j;
  j["incident"] = {{"id", outcome.incident.id},
                   {"title", outcome.incident.title},
                   {"alert_type_label", outcome.incident.alert_type},
                   {"expected", outcome.incident.expected}};
  j["alert_type"] = r.alert_type;
  j["workload"] = r.workload;
  j["decision"]
    = {{"kind", to_string(r.decision.kind)}, {"reason", r.decision.reason}};
  j["stage"] = to_string(r.stage);
  j["failure"] = r.failure;
  j["sources"] = r.context.sources;
  j["context"] = r.context;
  // The signals the rules saw, for playbook authors (docs/playbooks.md).
  auto signals = reasoning::gather_signals(r.alert, r.context);
  auto& sj = j["signals"];
  sj = nlohmann::json::object();
  for (const auto& [name, value] : signals.values.all())
    switch (value.kind) {
      case reasoning::signal_value::number:
        sj[name] = value.num;
        break;
      case reasoning::signal_value::flag:
        sj[name] = value.on;
        break;
      case reasoning::signal_value::text:
        sj[name] = value.str;
        break;
    }
  j["evidence"] = signals.evidence;
  nlohmann::json plans = nlohmann::json::array();
  for (size_t i = 0; i < r.decision.plans.size(); ++i) {
    const auto& p = r.decision.plans[i];
    nlohmann::json pj = p;
    pj["rank"] = i + 1;
    for (const auto& v : r.verdicts)
      if (v.plan_id == p.id)
        pj["verdict"] = v;
    pj["chosen"] = p.id == r.chosen_plan;
    plans.push_back(std::move(pj));
  }
  j["plans"] = std::move(plans);
  j["chosen_plan"] = r.chosen_plan;
  j["diff"] = r.patch ? r.patch->diff : std::string{};
  nlohmann::json published = nlohmann::json::array();
  for (const auto& req : outcome.captured)
    published.push_back({{"title", req.content.title},
                         {"branch", req.content.branch},
                         {"labels", req.content.labels},
                         {"target_project", req.target.project},
                         {"target_branch", req.target.target_branch}});
  j["published"] = std::move(published);
  j["duration_ms"] = r.duration_ms;
  return j;
}

std::string replay_text(const replay_outcome& outcome) {
  const auto& r = *outcome.result;
  std::ostringstream out;
  out << "incident   " << outcome.incident.id << ": " << outcome.incident.title
      << "\n";
  out << "workload   " << r.workload.display() << " (alert type "
      << r.alert_type << ")\n";
  out << "decision   " << to_string(r.decision.kind);
  if (!r.decision.reason.empty())
    out << ": " << r.decision.reason;
  out << "\n";
  out << "outcome    " << to_string(r.stage);
  if (!r.failure.empty())
    out << ": " << r.failure;
  out << "\n\ncontext sources\n";
  for (const auto& s : r.context.sources)
    out << "  " << s.source << ": " << to_string(s.status)
        << (s.reason.empty() ? "" : " (" + s.reason + ")") << "\n";
  out << "\nplans (best first)\n";
  for (size_t i = 0; i < r.decision.plans.size(); ++i) {
    const auto& p = r.decision.plans[i];
    out << "  " << i + 1 << ". [" << p.id << "] " << p.title << " (confidence "
        << p.confidence << ")" << (p.id == r.chosen_plan ? "  <- chosen" : "")
        << "\n";
    for (const auto& v : r.verdicts)
      if (v.plan_id == p.id)
        out << "     safety: " << (v.accepted ? "accepted" : "rejected: ")
            << (v.accepted ? "" : v.reasons()) << "\n";
  }
  if (r.patch)
    out << "\npatch\n" << r.patch->diff;
  for (const auto& req : outcome.captured)
    out << "\nwould open MR \"" << req.content.title << "\" from "
        << req.content.branch << " into " << req.target.project << ":"
        << req.target.target_branch << "\n";
  return out.str();
}

} // namespace kfix
