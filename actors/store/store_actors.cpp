#include "actors/store/store_actors.hpp"

#include "actors/common/log.hpp"
#include "actors/system/pipeline_logic.hpp"

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

intake_actor::behavior_type
intake_stage(intake_actor::stateful_pointer<intake_state> self,
             services_ptr services, coordinator_actor coordinator) {
  self->state.db = services->make_store();
  return {
    [=](const submission_ptr& sub) {
      const auto& alert = *sub->alert;
      auto stored = self->state.db->record_alert(alert, sub->raw_payload);
      if (!stored) {
        // Temporary: Datadog retries 5xx, so the alert is not lost.
        log::error(
          "intake", "alert-not-stored",
          {{"delivery", alert.delivery_id}, {"error", render(stored.error())}});
        sub->respond(503,
                     nlohmann::json{{"error",
                                     {{"status", 503},
                                      {"message", "alert not stored: "
                                                    + render(stored.error())}}}}
                       .dump());
        return;
      }
      auto id = stored->incident_id;
      if (stored->duplicate_delivery) {
        sub->respond(200, body_of(id, "duplicate"));
        log::info("intake", "duplicate-delivery",
                  {{"incident", id}, {"delivery", alert.delivery_id}});
        return;
      }
      sub->respond(202,
                   body_of(id, stored->new_incident ? "accepted" : "joined"));
      log::info("intake", "alert-accepted",
                {{"incident", id},
                 {"delivery", alert.delivery_id},
                 {"transition", alert.transition},
                 {"type", to_string(alert.type)},
                 {"workload", alert.workload.display()},
                 {"new_incident", stored->new_incident}});
      if (!stored->new_incident || !pipeline::wants_remediation(alert))
        return;
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
    },
  };
}

} // namespace kfix
