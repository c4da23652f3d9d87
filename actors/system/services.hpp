#pragma once

#include "actors/common/http_client.hpp"
#include "actors/publish/gitops_source.hpp"
#include "actors/publish/publisher.hpp"
#include "actors/reasoning/playbook.hpp"
#include "actors/store/incident_store.hpp"
#include "config/config.hpp"
#include "messages/pipeline.hpp"

#include <functional>
#include <memory>
#include <string>

namespace kfix {

/// Resolves where an alert's context comes from and its fix goes to.
class endpoint_resolver {
public:
  virtual ~endpoint_resolver() = default;
  [[nodiscard]] virtual caf::expected<endpoints_ptr>
  resolve(const enriched_alert& alert) = 0;
};

/// The collaborators the stage actors share; built once, kept across
/// restarts of the actors.
struct pipeline_services {
  std::shared_ptr<const agent_config> cfg;
  /// Every outgoing call but the Kubernetes API's.
  std::shared_ptr<http::client> http;
  /// The Kubernetes API's calls (its own CA, client certificate).
  std::shared_ptr<http::client> kubernetes_http;
  std::shared_ptr<endpoint_resolver> resolver;
  /// Reads GitOps files when an incident brings none (GitLab); may be null.
  std::shared_ptr<publish::gitops_source> gitops;
  std::shared_ptr<publish::publisher> publisher;
  /// Opens a store for one actor (each actor owns its connection).
  std::function<std::unique_ptr<store::incident_store>()> make_store;
  /// The rules engine's playbooks, loaded once at start.
  std::shared_ptr<const reasoning::playbook_set> playbooks;
};

using services_ptr = std::shared_ptr<const pipeline_services>;

} // namespace kfix
