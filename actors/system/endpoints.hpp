#pragma once

#include "actors/common/http_client.hpp"
#include "actors/system/services.hpp"
#include "config/config.hpp"
#include "config/defaults.hpp"
#include "config/kubeconfig.hpp"
#include "eval/sim/incident.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kfix::sim {
class simulator_host;
} // namespace kfix::sim

namespace kfix {

// -- Kubernetes credentials ---------------------------------------------------

/// Where the bearer token for the Kubernetes API comes from. Thread-safe.
class token_source {
public:
  virtual ~token_source() = default;
  /// The token to send now; an error (naming the file or plugin) when none
  /// can be had.
  [[nodiscard]] virtual caf::expected<std::string> token() = 0;
};

/// A fixed token (kubeconfig `token`, KFIX_KUBERNETES_TOKEN).
std::shared_ptr<token_source> make_static_token_source(std::string token);

/// A token file, re-read whenever its modification time or size changes:
/// projected service-account tokens are rotated by the kubelet.
std::shared_ptr<token_source> make_file_token_source(std::string path);

/// What an exec credential plugin printed (ExecCredential `status`).
struct exec_credential {
  std::string token;
  std::string client_certificate_data;
  std::string client_key_data;
  /// Epoch milliseconds; 0 when the plugin gave no expiry.
  int64_t expires_ms = 0;
};

/// Runs a kubeconfig `exec` plugin (no terminal: `interactive: false` in
/// KUBERNETES_EXEC_INFO) and parses its ExecCredential. Errors name the
/// command and say why: not found, a non-zero exit (with the start of its
/// stderr), no answer within `timeout`, output that is no ExecCredential.
[[nodiscard]] caf::expected<exec_credential>
run_exec_plugin(const kube_exec_config& exec, const std::string& server,
                std::chrono::milliseconds timeout = std::chrono::seconds{30});

/// Tokens from an exec plugin, cached until 30 s before they expire (five
/// minutes when the plugin gives no expiry), then fetched again. `first` is
/// the credential the plugin gave at start.
std::shared_ptr<token_source> make_exec_token_source(kube_exec_config exec,
                                                     std::string server,
                                                     exec_credential first);

/// How K-Fix reaches the Kubernetes API: the base URL, the TLS settings of
/// its HTTP client (CA, client certificate, insecure mode, proxy), and the
/// token source (null: no bearer token, e.g. client certificates only).
struct kubernetes_access {
  std::string base_url;
  http::client_config tls;
  std::shared_ptr<token_source> token;
  /// "kubernetes.api_url", "kubeconfig FILE (context C)", "in-cluster".
  std::string description;
  /// The kubeconfig context's or the pod's namespace, if known.
  std::string default_namespace;
};

/// Resolves the Kubernetes access from the configuration, in order:
///
/// 1. `kubernetes.api_url` with `kubernetes.ca_file`,
///    `insecure_skip_tls_verify` and KFIX_KUBERNETES_TOKEN or
///    `kubernetes.token_file`;
/// 2. `kubernetes.kubeconfig` (its `current-context` or
///    `kubernetes.context`): server, CA as file or data,
///    insecure-skip-tls-verify, proxy-url, bearer token or tokenFile,
///    client certificate and key as files or data, or an exec plugin (run
///    once now, its tokens refreshed as they expire); KFIX_KUBERNETES_TOKEN
///    overrides the user's token;
/// 3. in a pod (KUBERNETES_SERVICE_HOST / _PORT): the service account's
///    token (re-read when it rotates), ca.crt and namespace under
///    `service_account_dir`.
///
/// Errors name the file and field (`tls-server-name` is refused: curl
/// cannot verify a certificate for another name than the URL's).
[[nodiscard]] caf::expected<kubernetes_access>
resolve_kubernetes_access(const agent_config& cfg,
                          const std::string& service_account_dir
                          = defaults::service_account_dir);

// -- incident endpoints -------------------------------------------------------

/// Where simulated APIs answer, when some are simulated.
struct simulation_endpoints {
  std::shared_ptr<sim::simulator_host> host;
  std::string kubernetes_base; // http://127.0.0.1:PORT
  std::string datadog_base;
  std::map<std::string, sim::recorded_incident> incidents;
};

/// Resolves each API for an alert: configured (api_url, kubeconfig or
/// in-cluster as `access` says; the Datadog site) or, for an API without
/// credentials, the simulated incident whose workload matches the alert's.
class agent_resolver : public endpoint_resolver {
public:
  agent_resolver(std::shared_ptr<const agent_config> cfg,
                 std::shared_ptr<simulation_endpoints> simulation,
                 std::optional<kubernetes_access> access = std::nullopt);

  caf::expected<endpoints_ptr> resolve(const enriched_alert& alert) override;

  /// The endpoints of a simulated incident by id (eval).
  caf::expected<endpoints_ptr>
  resolve_simulated(const std::string& incident_id);

private:
  /// Points `result` at the simulated incident `id`.
  void use_simulated(incident_endpoints& result, const std::string& id) const;

  std::shared_ptr<const agent_config> cfg_;
  std::shared_ptr<simulation_endpoints> simulation_;
  std::mutex mtx_;
  std::optional<kubernetes_access> access_;
};

/// The Datadog base URL and auth headers of the configuration.
void configured_datadog(const agent_config& cfg, incident_endpoints& out);

} // namespace kfix
