#pragma once

/// Built-in defaults that are not plain member initialisers of the config
/// structs: the places K-Fix looks for things.
namespace kfix::defaults {

/// Where Kubernetes mounts Secret files for the agent.
constexpr const char* secrets_dir = "/var/run/secrets/kfix";
/// Where the service-account token and CA of the pod live.
constexpr const char* service_account_dir
  = "/var/run/secrets/kubernetes.io/serviceaccount";
/// The local-run secrets file.
constexpr const char* dotenv_file = ".env";
constexpr const char* config_file = "config/kfix.yaml";

} // namespace kfix::defaults
