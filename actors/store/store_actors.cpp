#include "actors/store/store_actors.hpp"

#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "actors/common/time_text.hpp"

#include <caf/all.hpp>

#include <nlohmann/json.hpp>

namespace kfix {

progress_actor::behavior_type
progress_stage(progress_actor::stateful_pointer<progress_state> self,
               services_ptr services) {
  self->state.db = services->make_store();
  return {
    [=](atom::stage, const progress_step& step) {
      if (auto err = self->state.db->record_stage(step.incident_id, step.stage,
                                                  step.detail))
        log::error("progress", "record-stage-failed",
                   {{"incident", step.incident_id},
                    {"stage", to_string(step.stage)},
                    {"error", render(err)}});
    },
    [=](atom::result, const result_ptr& result) {
      if (auto err = self->state.db->record_result(*result))
        log::error("progress", "record-result-failed",
                   {{"incident", result->incident_id}, {"error", render(err)}});
    },
  };
}

namespace {

std::string body_of(int64_t incident_id, const char* status) {
  return nlohmann::json{{"incident_id", incident_id}, {"status", status}}
    .dump();
}

} // namespace

namespace {

/// The comment for a merge request whose alert recovered.
std::string recovery_note(const enriched_alert& alert) {
  std::string when
    = alert.date_ms > 0 ? format_rfc3339_ms(alert.date_ms) : std::string{"now"};
  return "The Datadog alert recovered at " + when + " (monitor "
         + (alert.monitor_id.empty() ? std::string{"?"} : alert.monitor_id)
         + ", event " + alert.delivery_id
         + "). K-Fix leaves this merge request open: check whether the fix "
           "is still wanted before merging, or close it.";
}

/// Starts the pipeline for a new incident.
void start_incident(intake_actor::stateful_pointer<intake_state> self,
                    const services_ptr& services,
                    const coordinator_actor& coordinator,
                    const enriched_alert& alert, int64_t id) {
  auto endpoints = services->resolver->resolve(alert);
  auto inc = std::make_shared<incident>();
  inc->id = id;
  inc->alert = alert;
  auto job = std::make_shared<incident_job>();
  job->incident = std::move(inc);
  if (endpoints) {
    job->endpoints = std::move(*endpoints);
  } else {
    // The coordinator records the failure with its reason.
    auto empty = std::make_shared<incident_endpoints>();
    empty->unresolved = render(endpoints.error());
    job->endpoints = empty;
    log::warn("intake", "endpoints-unresolved",
              {{"incident", id}, {"error", render(endpoints.error())}});
  }
  self->send(coordinator, atom::process::value, job_ptr{std::move(job)});
}

/// Stores one batch and answers its requests.
void flush_batch(intake_actor::stateful_pointer<intake_state> self,
                 const services_ptr& services,
                 const coordinator_actor& coordinator,
                 std::vector<submission_ptr> batch) {
  std::vector<store::alert_to_store> items;
  items.reserve(batch.size());
  for (const auto& sub : batch)
    items.push_back({sub->alert.get(), sub->raw_payload});
  auto stored = self->state.db->record_alerts(items);
  if (!stored) {
    // Temporary: Datadog retries 5xx, so no alert is lost.
    log::error("intake", "alerts-not-stored",
               {{"alerts", batch.size()}, {"error", render(stored.error())}});
    auto body = nlohmann::json{{"error",
                                {{"status", 503},
                                 {"message", "alert not stored: "
                                               + render(stored.error())}}}}
                  .dump();
    for (const auto& sub : batch)
      sub->respond(503, body);
    return;
  }
  static auto& alerts = metrics::default_registry().counter(
    "kfix_alerts_total", "Alerts stored, by type and transition",
    {"type", "transition"});
  static auto& batch_size = metrics::default_registry().histogram(
    "kfix_intake_batch_size", "Alerts stored per transaction (group commit)",
    {}, {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000});
  batch_size.with().observe(static_cast<double>(batch.size()));
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& alert = *batch[i]->alert;
    const auto& acc = (*stored)[i];
    if (!acc.duplicate_delivery)
      alerts
        .with({std::string{to_string(alert.type)},
               alert.transition.empty() ? "none" : alert.transition})
        .inc();
    const char* status = acc.duplicate_delivery ? "duplicate"
                         : acc.new_incident     ? "accepted"
                         : acc.resolved         ? "resolved"
                                                : "joined";
    batch[i]->respond(acc.duplicate_delivery ? 200 : 202,
                      body_of(acc.incident_id, status));
    log::info("intake",
              acc.duplicate_delivery ? "duplicate-delivery" : "alert-accepted",
              {{"incident", acc.incident_id},
               {"delivery", alert.delivery_id},
               {"transition", alert.transition},
               {"type", to_string(alert.type)},
               {"workload", alert.workload.display()},
               {"status", status}});
    if (acc.resolved)
      self->send(coordinator, atom::cancel::value, acc.incident_id);
    if (acc.recovered_after_publication && acc.publication)
      self->send(
        coordinator, atom::note::value,
        mr_note{acc.incident_id, *acc.publication, recovery_note(alert)});
    if (acc.new_incident)
      start_incident(self, services, coordinator, alert, acc.incident_id);
  }
}

} // namespace

intake_actor::behavior_type
intake_stage(intake_actor::stateful_pointer<intake_state> self,
             services_ptr services, coordinator_actor coordinator) {
  self->state.db = services->make_store();
  return {
    [=](const submission_ptr& sub) {
      self->state.pending.push_back(sub);
      if (!self->state.flush_scheduled) {
        // Lands behind every alert already queued: they share one commit.
        self->state.flush_scheduled = true;
        self->send(self, atom::flush::value);
      }
    },
    [=](atom::flush) {
      auto& pending = self->state.pending;
      std::vector<submission_ptr> batch;
      if (pending.size() <= max_intake_batch) {
        batch.swap(pending);
        self->state.flush_scheduled = false;
      } else {
        batch.assign(pending.begin(), pending.begin() + max_intake_batch);
        pending.erase(pending.begin(), pending.begin() + max_intake_batch);
        self->send(self, atom::flush::value);
      }
      flush_batch(self, services, coordinator, std::move(batch));
    },
  };
}

} // namespace kfix
