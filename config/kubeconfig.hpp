#pragma once

#include "messages/error.hpp"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kfix {

/// A kubeconfig user's `exec` credential plugin
/// (client.authentication.k8s.io).
struct kube_exec_config {
  std::string api_version;
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  /// Never | IfAvailable | Always.
  std::string interactive_mode;
  bool provide_cluster_info = false;
};

/// The cluster and user of one kubeconfig context (client-go field names),
/// with relative file paths resolved against the kubeconfig's folder.
/// `*_data` fields stay base64 as written.
struct kubeconfig_access {
  std::string file;
  std::string context;
  std::string server;
  std::string ca_file;
  std::string ca_data;
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  std::string proxy_url;
  std::string token;
  std::string token_file;
  std::string client_cert_file;
  std::string client_cert_data;
  std::string client_key_file;
  std::string client_key_data;
  std::optional<kube_exec_config> exec;
  /// The context's namespace.
  std::string ns;
};

/// Parses kubeconfig text and picks `context` (empty: `current-context`).
/// Errors name `file` and the field: an unknown context (listing the known
/// ones), a context without cluster or user, a cluster without `server`,
/// both a file and inline data for one credential, and the authentication
/// K-Fix refuses: `auth-provider` (removed from kubectl in 1.26: use an exec
/// plugin), `username`/`password` (basic auth, removed in 1.19) and
/// `exec` with `interactiveMode: Always`.
[[nodiscard]] caf::expected<kubeconfig_access>
parse_kubeconfig(const std::string& text, const std::string& file,
                 const std::string& context);

/// Reads `path` and parses it (`parse_kubeconfig`).
[[nodiscard]] caf::expected<kubeconfig_access>
load_kubeconfig(const std::string& path, const std::string& context);

} // namespace kfix
