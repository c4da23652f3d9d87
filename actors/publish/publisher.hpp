#pragma once

#include "actors/publish/merge_request.hpp"
#include "messages/error.hpp"
#include "messages/incident.hpp"
#include "messages/patch.hpp"
#include "messages/plan.hpp"
#include "messages/verdict.hpp"

#include <memory>
#include <vector>

namespace kfix::publish {

/// Everything needed to publish one remediation.
struct publish_request {
  std::shared_ptr<const incident_result> result;
  plan chosen;
  patch p;
  gitops_target target;
  mr_content content;
  /// The GitOps files as the incident saw them (the local-git publisher
  /// seeds its repository with them; others ignore them).
  std::vector<repo_file> seed_files;
};

/// Opens a merge request (or its local equivalent) for a validated patch.
/// Publishing the same branch again is idempotent.
class publisher {
public:
  virtual ~publisher() = default;

  /// Publishes `req` and returns where it went.
  [[nodiscard]] virtual caf::expected<publication>
  publish(const publish_request& req) = 0;

  /// Adds a comment to a merge request published before (the alert
  /// recovered, for example); Markdown text.
  [[nodiscard]] virtual caf::error add_note(const publication& pub,
                                            const std::string& text)
    = 0;
};

} // namespace kfix::publish
