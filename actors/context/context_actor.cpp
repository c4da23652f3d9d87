#include "actors/context/context_actor.hpp"

#include "actors/context/datadog_source.hpp"
#include "actors/context/k8s_source.hpp"

#include <caf/all.hpp>

#include <chrono>

namespace kfix {

namespace {

using steady = std::chrono::steady_clock;

steady::time_point from_ms(int64_t ms) {
  return steady::time_point{std::chrono::milliseconds{ms}};
}

int64_t to_ms(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           t.time_since_epoch())
    .count();
}

context::api_endpoint
endpoint(const std::string& url,
         const std::vector<std::pair<std::string, std::string>>& hdrs,
         std::chrono::milliseconds timeout) {
  return context::api_endpoint{url, hdrs, timeout};
}

/// Collects the parts of one incident's context until every source answered
/// or its deadline passed.
struct collection {
  caf::typed_response_promise<bundle_ptr> promise;
  std::vector<context::context_part> parts;
  size_t pending = 0;
  steady::time_point started;
};

void finish_if_done(const std::shared_ptr<collection>& c) {
  if (c->pending > 0)
    return;
  auto bundle = context::merge_context(std::move(c->parts));
  c->promise.deliver(std::make_shared<const context_bundle>(std::move(bundle)));
}

context::context_part missing_part(const std::string& source,
                                   source_status status, std::string reason,
                                   steady::time_point started) {
  context::context_part part;
  source_report report;
  report.source = source;
  report.status = status;
  report.reason = std::move(reason);
  report.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         steady::now() - started)
                         .count();
  part.reports.push_back(std::move(report));
  return part;
}

/// The caps of the Kubernetes fetch from the configuration.
context::k8s_limits k8s_limits_of(const agent_config& cfg) {
  context::k8s_limits limits;
  limits.max_pods = static_cast<size_t>(cfg.kubernetes.max_pods);
  limits.max_events = static_cast<size_t>(cfg.kubernetes.max_events);
  return limits;
}

/// A fetcher behaviour: one fetch, then the actor quits.
template <class Fetch>
fetcher_actor::behavior_type
one_fetch(fetcher_actor::stateful_pointer<fetcher_state> self, Fetch fetch) {
  return {
    [=](atom::fetch, const job_ptr& job, int64_t deadline_ms) {
      auto part = fetch(*job, context::make_fetch_scope(job->incident->alert),
                        from_ms(deadline_ms));
      self->quit();
      return std::make_shared<const context::context_part>(std::move(part));
    },
  };
}

} // namespace

fetcher_actor::behavior_type
kubernetes_fetcher(fetcher_actor::stateful_pointer<fetcher_state> self,
                   services_ptr services) {
  return one_fetch(self, [services](const incident_job& job,
                                    const context::fetch_scope& scope,
                                    steady::time_point deadline) {
    const auto& ep = *job.endpoints;
    return context::fetch_kubernetes(
      *services->kubernetes_http,
      endpoint(ep.kubernetes_url, ep.kubernetes_headers,
               services->cfg->kubernetes.timeout),
      scope, deadline, k8s_limits_of(*services->cfg));
  });
}

fetcher_actor::behavior_type
datadog_metrics_fetcher(fetcher_actor::stateful_pointer<fetcher_state> self,
                        services_ptr services) {
  return one_fetch(self, [services](const incident_job& job,
                                    const context::fetch_scope& scope,
                                    steady::time_point deadline) {
    const auto& ep = *job.endpoints;
    return context::fetch_datadog_metrics(
      *services->http,
      endpoint(ep.datadog_url, ep.datadog_headers,
               services->cfg->datadog.timeout),
      scope, services->cfg->datadog, deadline);
  });
}

fetcher_actor::behavior_type
datadog_logs_fetcher(fetcher_actor::stateful_pointer<fetcher_state> self,
                     services_ptr services) {
  return one_fetch(self, [services](const incident_job& job,
                                    const context::fetch_scope& scope,
                                    steady::time_point deadline) {
    const auto& ep = *job.endpoints;
    return context::fetch_datadog_logs(*services->http,
                                       endpoint(ep.datadog_url,
                                                ep.datadog_headers,
                                                services->cfg->datadog.timeout),
                                       scope, services->cfg->datadog, deadline);
  });
}

context_actor::behavior_type
context_stage(context_actor::stateful_pointer<context_state> self,
              services_ptr services) {
  return {
    [=](atom::fetch, const job_ptr& job) -> caf::result<bundle_ptr> {
      auto c = std::make_shared<collection>();
      c->promise = self->make_response_promise<bundle_ptr>();
      c->started = steady::now();
      auto budget = services->cfg->context_deadline;
      auto deadline = to_ms(c->started + budget);
      // Each source gets the deadline; a slow one is cut off by the request
      // timeout and reported as such, never holding the others.
      std::vector<std::pair<std::string, fetcher_actor>> fetchers{
        {"kubernetes",
         self->system().spawn<caf::detached>(kubernetes_fetcher, services)},
        {"datadog.metrics", self->system().spawn<caf::detached>(
                              datadog_metrics_fetcher, services)},
        {"datadog.logs",
         self->system().spawn<caf::detached>(datadog_logs_fetcher, services)},
      };
      c->pending = fetchers.size();
      for (auto& [source, fetcher] : fetchers) {
        self->request(fetcher, budget, atom::fetch::value, job, deadline)
          .then(
            [c](const context_part_ptr& part) {
              c->parts.push_back(*part);
              --c->pending;
              finish_if_done(c);
            },
            [c, source = source, budget, fetcher = fetcher](caf::error& err) {
              auto timed_out = err == caf::sec::request_timeout;
              c->parts.push_back(missing_part(
                source,
                timed_out ? source_status::timeout : source_status::error,
                timed_out ? "no answer within the context deadline of "
                              + std::to_string(budget.count()) + " ms"
                          : render(err),
                c->started));
              caf::anon_send_exit(fetcher, caf::exit_reason::user_shutdown);
              --c->pending;
              finish_if_done(c);
            });
      }
      return c->promise;
    },
  };
}

} // namespace kfix
