#include "actors/reasoning/reasoning_actor.hpp"

#include "actors/common/log.hpp"
#include "actors/reasoning/decide.hpp"
#include "actors/reasoning/llm_client.hpp"
#include "actors/reasoning/llm_reasoner.hpp"
#include "actors/reasoning/llm_replay.hpp"

#include <caf/all.hpp>

#include <filesystem>

namespace kfix {

namespace {

/// Time kept back from the incident deadline for the rules and the audit.
constexpr std::chrono::milliseconds reasoning_margin{2'000};

/// The eval's cassette-backed client for the job's incident, if the eval
/// runs it.
std::shared_ptr<reasoning::recorded_completion>
recorded_for(const reasoning_state& st, const agent_config& cfg,
             const incident_job& job) {
  if (!cfg.llm.eval_replay || !job.endpoints)
    return nullptr;
  auto dir = cfg.llm.incident_dirs.find(job.endpoints->simulated_incident);
  if (dir == cfg.llm.incident_dirs.end())
    return nullptr;
  return std::make_shared<reasoning::recorded_completion>(
    std::filesystem::path{dir->second} / "cassette.jsonl", cfg.llm, st.llm);
}

/// Stores the audit records; notes on the decision when that fails.
void audit(reasoning_state& st, int64_t incident,
           const std::vector<store::llm_call_record>& calls, decision& d) {
  for (const auto& call : calls)
    if (auto err = st.store->record_llm_call(call)) {
      log::error("reasoning", "llm-audit-failed",
                 {{"incident", incident}, {"error", render(err)}});
      d.notes.push_back("the audit of the LLM calls could not be stored: "
                        + render(err));
      return;
    }
}

/// The LLM half for one job, after the rules decided.
decision with_llm(reasoning_state& st, const agent_config& cfg,
                  const incident_job& job, const context_bundle& bundle,
                  const decision& rules) {
  auto id = job.incident->id;
  if (!st.prompt)
    return reasoning::fall_back(rules, "the prompt template could not be "
                                       "loaded: "
                                         + st.prompt_error);
  auto recorded = recorded_for(st, cfg, job);
  auto client
    = recorded
        ? std::static_pointer_cast<reasoning::completion_client>(recorded)
        : st.llm;
  if (!client)
    return reasoning::fall_back(rules, "no LLM endpoint is configured");
  reasoning::llm_job in;
  in.incident_id = id;
  in.alert = &job.incident->alert;
  in.bundle = &bundle;
  in.rules = &rules;
  in.strategy = cfg.reasoning.strategy;
  in.cfg = &cfg.llm;
  in.prompt = &*st.prompt;
  in.budget = std::max(std::chrono::milliseconds{0},
                       cfg.incident_deadline - reasoning_margin);
  auto run = reasoning::decide_with_llm(in, *client);
  if (recorded)
    if (auto err = recorded->save())
      run.result.notes.push_back("the LLM exchanges could not be recorded: "
                                 + render(err));
  audit(st, id, run.calls, run.result);
  log::info("reasoning", "llm-decision",
            {{"incident", id},
             {"strategy", run.result.strategy},
             {"calls", run.result.usage.calls},
             {"prompt_tokens", run.result.usage.prompt_tokens},
             {"output_tokens", run.result.usage.output_tokens},
             {"cost_usd", run.result.usage.cost_usd},
             {"notes", run.result.notes}});
  return std::move(run.result);
}

/// The decision for one job; nothing thrown escapes.
decision plan_job(reasoning_state& st, const pipeline_services& services,
                  const incident_job& job, const context_bundle& bundle) {
  const auto& cfg = *services.cfg;
  auto rules = reasoning::decide(job.incident->alert, bundle,
                                 *services.playbooks, cfg.sizing, cfg.policy);
  if (!uses_llm(cfg.reasoning.strategy))
    return rules;
  try {
    return with_llm(st, cfg, job, bundle, rules);
  } catch (const std::exception& e) {
    log::error("reasoning", "llm-failed",
               {{"incident", job.incident->id}, {"error", e.what()}});
    return reasoning::fall_back(rules, std::string{"the LLM step failed: "}
                                         + e.what());
  }
}

} // namespace

reasoning_actor::behavior_type
reasoning_stage(reasoning_actor::stateful_pointer<reasoning_state> self,
                services_ptr services) {
  const auto& cfg = *services->cfg;
  auto& st = self->state;
  if (uses_llm(cfg.reasoning.strategy)) {
    st.store = services->make_store();
    if (cfg.llm.has_endpoint())
      st.llm = std::make_shared<reasoning::llm_client>(services->http, cfg.llm,
                                                       cfg.secret.llm_api_key);
    if (auto tpl = reasoning::load_prompt_template(cfg.llm.prompt_path()))
      st.prompt = std::move(*tpl);
    else
      st.prompt_error = render(tpl.error());
    if (!st.prompt)
      log::error("reasoning", "prompt-not-loaded",
                 {{"file", cfg.llm.prompt_path()}, {"error", st.prompt_error}});
  }
  return {
    [=](atom::plan, const job_ptr& job, const bundle_ptr& bundle) {
      return std::make_shared<const decision>(
        plan_job(self->state, *services, *job, *bundle));
    },
  };
}

} // namespace kfix
