#include "actors/publish/publisher_actor.hpp"

#include "actors/common/log.hpp"
#include "actors/publish/merge_request.hpp"
#include "actors/publish/slack_notifier.hpp"

#include <caf/all.hpp>

namespace kfix {

namespace {

/// The publish request for a finished incident's chosen plan.
caf::expected<publish::publish_request>
make_publish_request(const job_ptr& job, const result_ptr& result,
                     const agent_config& cfg) {
  const plan* chosen = nullptr;
  for (const auto& p : result->decision.plans)
    if (p.id == result->chosen_plan)
      chosen = &p;
  if (chosen == nullptr || !result->patch)
    return make_error(ec::invalid_input, "incident "
                                           + std::to_string(result->incident_id)
                                           + " has no chosen plan to publish");
  publish::publish_request req;
  req.result = result;
  req.chosen = *chosen;
  req.p = *result->patch;
  req.target = job->endpoints->gitops;
  if (req.target.project.empty())
    req.target.project = cfg.gitlab.project;
  if (req.target.target_branch.empty())
    req.target.target_branch = cfg.gitlab.target_branch;
  req.content = publish::render_merge_request(*result, req.chosen, req.p,
                                              req.target, cfg.gitlab.labels);
  req.seed_files = job->endpoints->local_gitops_files;
  return req;
}

} // namespace

publisher_actor::behavior_type
publisher_stage(publisher_actor::stateful_pointer<publisher_state>,
                services_ptr services) {
  auto slack = std::make_shared<publish::slack_notifier>(services->http);
  return {
    [=](atom::publish, const job_ptr& job,
        const result_ptr& result) -> caf::result<publication_ptr> {
      auto req = make_publish_request(job, result, *services->cfg);
      if (!req)
        return req.error();
      auto pub = services->publisher->publish(*req);
      if (!pub)
        return pub.error();
      return std::make_shared<const publication>(std::move(*pub));
    },
    [=](atom::notify, const result_ptr& result) {
      const auto& url = services->cfg->secret.slack_webhook_url;
      if (url.empty() || !services->cfg->slack.enabled)
        return;
      if (auto err = slack->notify(url, *result, result->publication))
        log::warn("publisher", "slack-notify-failed",
                  {{"incident", result->incident_id}, {"error", render(err)}});
    },
    [=](atom::note, const mr_note& note) {
      if (auto err = services->publisher->add_note(note.pub, note.text))
        log::warn("publisher", "mr-note-failed",
                  {{"incident", note.incident_id},
                   {"branch", note.pub.branch},
                   {"error", render(err)}});
      else
        log::info("publisher", "mr-note-added",
                  {{"incident", note.incident_id}, {"url", note.pub.url}});
    },
  };
}

} // namespace kfix
