#include "actors/system/coordinator.hpp"

#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "actors/system/pipeline_logic.hpp"

#include <caf/all.hpp>

#include <chrono>

namespace kfix {

namespace {

using self_ptr = coordinator_actor::stateful_pointer<coordinator_state>;
using steady = std::chrono::steady_clock;

/// One incident's run: the job, the result being built, the clock.
struct run {
  job_ptr job;
  std::shared_ptr<incident_result> result;
  steady::time_point started;
  steady::time_point last_step;
  std::chrono::milliseconds timeout;
};

using run_ptr = std::shared_ptr<run>;

void record(self_ptr self, const run_ptr& r, incident_stage stage,
            std::string detail) {
  static auto& durations = metrics::default_registry().histogram(
    "kfix_stage_duration_seconds",
    "Time an incident spent reaching each stage since the previous one",
    {"stage"});
  auto now = steady::now();
  durations.with({std::string{to_string(stage)}})
    .observe(std::chrono::duration<double>(now - r->last_step).count());
  r->last_step = now;
  log::info("coordinator", "stage",
            {{"incident", r->result->incident_id},
             {"stage", to_string(stage)},
             {"detail", detail}});
  self->send(self->state.stages.progress, atom::stage::value,
             progress_step{r->result->incident_id, stage, std::move(detail)});
}

void finish(self_ptr self, const run_ptr& r, incident_stage stage,
            std::string detail) {
  r->result->stage = stage;
  if (stage == incident_stage::failed)
    r->result->failure = detail;
  r->result->duration_ms
    = std::chrono::duration_cast<std::chrono::milliseconds>(steady::now()
                                                            - r->started)
        .count();
  record(self, r, stage, std::move(detail));
  self->state.cancelled.erase(r->result->incident_id);
  result_ptr done = r->result;
  self->send(self->state.stages.progress, atom::result::value, done);
  self->send(self->state.stages.publisher, atom::notify::value, done);
  self->state.running.erase(r->result->incident_id);
  if (r->job->on_done)
    r->job->on_done(done);
}

/// Whether the incident recovered meanwhile; finishes it if so.
bool stop_if_cancelled(self_ptr self, const run_ptr& r) {
  if (self->state.cancelled.count(r->result->incident_id) == 0)
    return false;
  finish(self, r, incident_stage::closed,
         "cancelled: the alert recovered before the fix was published");
  return true;
}

auto fail_with(self_ptr self, run_ptr r, const char* stage_name) {
  return [self, r, stage_name](caf::error& err) {
    auto why = err == caf::sec::request_timeout
                 ? std::string{stage_name} + " timed out"
                 : std::string{stage_name} + ": " + render(err);
    finish(self, r, incident_stage::failed, why);
  };
}

std::string sources_summary(const context_bundle& b) {
  std::string text;
  for (const auto& s : b.sources) {
    if (!text.empty())
      text += ", ";
    text += s.source + "=" + std::string{to_string(s.status)};
  }
  return text;
}

void publish_step(self_ptr self, run_ptr r) {
  if (stop_if_cancelled(self, r))
    return;
  self
    ->request(self->state.stages.publisher, r->timeout, atom::publish::value,
              r->job, result_ptr{r->result})
    .then(
      [self, r](const publication_ptr& pub) {
        r->result->publication = *pub;
        finish(self, r, incident_stage::published,
               pub->publisher + " " + pub->branch + " " + pub->url);
      },
      fail_with(self, r, "publish"));
}

void validate_step(self_ptr self, run_ptr r, bundle_ptr bundle, decision_ptr d,
                   patch_set_ptr patches) {
  self
    ->request(self->state.stages.safety, r->timeout, atom::validate::value,
              r->job, bundle, d, patches)
    .then(
      [self, r, d, patches](const verdicts_ptr& verdicts) {
        r->result->verdicts = *verdicts;
        auto chosen = pipeline::choose_plan(*d, *patches, *verdicts);
        if (!chosen) {
          // No safe fix: people decide, with everything K-Fix found.
          r->result->decision.kind = decision_kind::escalate;
          r->result->decision.reason
            = pipeline::rejection_summary(*d, *patches, *verdicts);
          record(self, r, incident_stage::validated, "no plan passed");
          return finish(self, r, incident_stage::closed,
                        "escalated: " + r->result->decision.reason);
        }
        const auto& p = d->plans[*chosen];
        r->result->chosen_plan = p.id;
        r->result->patch = *pipeline::find_patch(*patches, p.id);
        record(self, r, incident_stage::validated,
               "chose " + p.id + ": " + p.title);
        publish_step(self, r);
      },
      fail_with(self, r, "safety"));
}

void plan_step(self_ptr self, run_ptr r, bundle_ptr bundle) {
  self
    ->request(self->state.stages.reasoning, r->timeout, atom::plan::value,
              r->job, bundle)
    .then(
      [self, r, bundle](const decision_ptr& d) {
        r->result->decision = *d;
        if (stop_if_cancelled(self, r))
          return;
        record(self, r, incident_stage::planned,
               std::string{to_string(d->kind)} + " with "
                 + std::to_string(d->plans.size()) + " plans"
                 + (d->reason.empty() ? "" : ": " + d->reason));
        if (d->kind != decision_kind::fix)
          return finish(self, r, incident_stage::closed,
                        std::string{to_string(d->kind)} + ": " + d->reason);
        self
          ->request(self->state.stages.patch, r->timeout,
                    atom::synthesize::value, r->job, bundle, d)
          .then(
            [self, r, bundle, d](const patch_set_ptr& patches) {
              validate_step(self, r, bundle, d, patches);
            },
            fail_with(self, r, "patch synthesis"));
      },
      fail_with(self, r, "reasoning"));
}

void start(self_ptr self, const job_ptr& job, services_ptr services) {
  auto r = std::make_shared<run>();
  r->job = job;
  r->started = steady::now();
  r->last_step = r->started;
  r->timeout = services->cfg->incident_deadline;
  r->result = std::make_shared<incident_result>();
  r->result->incident_id = job->incident->id;
  r->result->alert = job->incident->alert;
  r->result->workload = job->incident->alert.workload;
  r->result->alert_type = std::string{to_string(job->incident->alert.type)};
  self->state.running.insert(r->result->incident_id);
  if (!job->endpoints->unresolved.empty())
    return finish(self, r, incident_stage::failed,
                  "no API endpoints: " + job->endpoints->unresolved);
  self->request(self->state.stages.context, r->timeout, atom::fetch::value, job)
    .then(
      [self, r](const bundle_ptr& bundle) {
        r->result->context = *bundle;
        r->result->workload
          = pipeline::target_workload(r->job->incident->alert, *bundle);
        record(self, r, incident_stage::context, sources_summary(*bundle));
        plan_step(self, r, bundle);
      },
      fail_with(self, r, "context"));
}

} // namespace

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self,
            services_ptr services, stage_handles stages) {
  self->state.stages = std::move(stages);
  return {
    [=](atom::process, const job_ptr& job) {
      start(self, job, services);
    },
    [=](atom::update, const stage_handles& stages) {
      self->state.stages = stages;
    },
    [=](atom::cancel, int64_t incident_id) {
      if (self->state.running.count(incident_id) > 0)
        self->state.cancelled.insert(incident_id);
    },
    [=](atom::note, const mr_note& note) {
      self->send(self->state.stages.publisher, atom::note::value, note);
    },
  };
}

} // namespace kfix
