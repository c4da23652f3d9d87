#include "actors/system/endpoints.hpp"

#include "actors/context/context_parse.hpp"
#include "config/defaults.hpp"
#include "eval/sim/simulator_host.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kfix {

agent_resolver::agent_resolver(std::shared_ptr<const agent_config> cfg,
                               std::shared_ptr<simulation_endpoints> sim)
  : cfg_(std::move(cfg)), simulation_(std::move(sim)) {}

namespace {

std::string read_token(const std::string& path) {
  std::ifstream in{path};
  std::stringstream buf;
  buf << in.rdbuf();
  auto token = buf.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r'))
    token.pop_back();
  return token;
}

} // namespace

void agent_resolver::use_simulated(incident_endpoints& result,
                                   const std::string& id) const {
  const auto& cfg = *cfg_;
  result.simulated_incident = id;
  auto prefix = sim::simulator_host::base_path(id);
  if (cfg.simulated_kubernetes())
    result.kubernetes_url = simulation_->kubernetes_base + prefix;
  if (cfg.simulated_datadog()) {
    result.datadog_url = simulation_->datadog_base + prefix;
    // The simulator checks that keys are sent, as Datadog does.
    result.datadog_headers
      = {{"DD-API-KEY", "simulated"}, {"DD-APPLICATION-KEY", "simulated"}};
  }
  const auto& inc = simulation_->incidents.at(id);
  if (!inc.gitops.project.empty())
    result.gitops = inc.gitops;
  if (cfg.gitlab.url.empty())
    result.local_gitops_files = inc.gitops_files;
}

caf::expected<endpoints_ptr>
agent_resolver::resolve_simulated(const std::string& incident_id) {
  if (!simulation_ || simulation_->incidents.count(incident_id) == 0)
    return make_error(ec::not_found, "no simulated incident " + incident_id);
  if (!cfg_->simulated_kubernetes() || !cfg_->simulated_datadog())
    return make_error(ec::invalid_config,
                      "incident " + incident_id
                        + " needs both APIs simulated, but credentials are "
                          "configured");
  auto result = std::make_shared<incident_endpoints>();
  result->gitops = {cfg_->gitlab.project, cfg_->gitlab.target_branch};
  use_simulated(*result, incident_id);
  return endpoints_ptr{std::move(result)};
}

caf::expected<endpoints_ptr>
agent_resolver::resolve(const enriched_alert& alert) {
  auto result = std::make_shared<incident_endpoints>();
  const auto& cfg = *cfg_;
  bool sim_k8s = cfg.simulated_kubernetes();
  bool sim_dd = cfg.simulated_datadog();
  result->gitops = {cfg.gitlab.project, cfg.gitlab.target_branch};
  if (sim_k8s || sim_dd) {
    if (!simulation_ || !simulation_->host)
      return make_error(ec::invalid_config,
                        "no credentials configured and no simulation loaded");
    auto id = simulation_->host->find_incident(alert.workload);
    if (!id)
      return make_error(ec::not_found,
                        "no bundled incident simulates "
                          + alert.workload.display()
                          + "; configure the Kubernetes and Datadog APIs or "
                            "post an alert of a bundled incident");
    use_simulated(*result, *id);
  }
  if (!sim_k8s) {
    auto url = cfg.kubernetes.api_url;
    if (url.empty()) {
      const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
      const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
      if (host == nullptr)
        return make_error(ec::invalid_config,
                          "kubernetes.api_url is not set and the agent is "
                          "not running in a cluster");
      url = "https://" + std::string{host} + ":"
            + std::string{port ? port : "443"};
    }
    result->kubernetes_url = url;
    // The token is read on every incident: projected tokens rotate.
    auto token = cfg.secret.kubernetes_token;
    if (token.empty()) {
      auto file = cfg.kubernetes.token_file.empty()
                    ? std::string{defaults::service_account_dir} + "/token"
                    : cfg.kubernetes.token_file;
      token = read_token(file);
    }
    if (!token.empty())
      result->kubernetes_headers.emplace_back("Authorization",
                                              "Bearer " + token);
  }
  if (!sim_dd) {
    result->datadog_url = context::datadog_base_url(cfg.datadog);
    result->datadog_headers
      = {{"DD-API-KEY", cfg.secret.datadog_api_key},
         {"DD-APPLICATION-KEY", cfg.secret.datadog_app_key}};
  }
  return endpoints_ptr{std::move(result)};
}

} // namespace kfix
