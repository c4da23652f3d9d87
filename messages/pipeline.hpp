#pragma once

#include "messages/incident.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

/// The payloads the pipeline's actors exchange. Large values travel as
/// shared pointers to const (no copies between actors).
namespace kfix {

/// Where one incident's context comes from and its fix goes to, resolved
/// from the alert (configured cluster, or a simulated incident).
struct incident_endpoints {
  std::string kubernetes_url;
  std::vector<std::pair<std::string, std::string>> kubernetes_headers;
  std::string datadog_url;
  std::vector<std::pair<std::string, std::string>> datadog_headers;
  /// The simulated incident answering the APIs, if simulated.
  std::string simulated_incident;
  gitops_target gitops;
  /// GitOps files known locally (simulated incidents, replay).
  std::vector<repo_file> local_gitops_files;
  /// Why no endpoints could be resolved; the incident fails with it.
  std::string unresolved;
};

using endpoints_ptr = std::shared_ptr<const incident_endpoints>;

/// An incident on its way through the pipeline.
struct incident_job {
  incident_ptr incident;
  endpoints_ptr endpoints;
  /// Called once with the final result (replay and eval wait on it).
  std::function<void(std::shared_ptr<const incident_result>)> on_done;
};

using job_ptr = std::shared_ptr<const incident_job>;
using decision_ptr = std::shared_ptr<const decision>;

/// Patches for the fix plans of a decision, by plan; a plan that cannot be
/// realised carries the reason instead.
struct patch_set {
  std::vector<patch> patches;
  std::vector<std::pair<std::string, std::string>> failures; // plan, why
};

using patch_set_ptr = std::shared_ptr<const patch_set>;
using verdicts_ptr = std::shared_ptr<const std::vector<verdict>>;
using publication_ptr = std::shared_ptr<const publication>;

/// Answers the HTTP request that delivered an alert.
using alert_responder = std::function<void(int status, std::string body)>;

/// An alert parsed by the intake server, waiting to be stored.
struct alert_submission {
  std::shared_ptr<const enriched_alert> alert;
  std::string raw_payload;
  alert_responder respond;
};

using submission_ptr = std::shared_ptr<const alert_submission>;

/// A comment for a merge request published earlier (its alert recovered).
struct mr_note {
  int64_t incident_id = 0;
  publication pub;
  std::string text;
};

} // namespace kfix
