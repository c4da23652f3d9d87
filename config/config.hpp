#pragma once

#include "messages/error.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kfix {

/// When a merge request may be merged without a person (staging, dev):
/// conditions measured by the eval and by past merges, never the model's
/// own confidence.
struct auto_merge_policy {
  /// Envs where auto-merge may happen; prod and production never can.
  std::vector<std::string> envs;
  /// Only plans whose every action is one of these.
  std::vector<std::string> actions{"set_resources"};
  /// Only raises of memory (no CPU, no lowering, no other resource).
  bool memory_raises_only = true;
  /// The eval's top-1 correct rate for the incident's alert type must reach
  /// this, from `eval_report` (a report.json or baseline file).
  double min_eval_top1_rate = 0.95;
  std::string eval_report;
  /// Fixes of the same kind merged before (the incident memory).
  int64_t min_similar_merged = 3;
};

/// Caps and rules applied to every plan (config/policy.yaml).
struct policy_config {
  /// New memory limit at most this factor of the current one.
  double max_memory_increase_factor = 2.0;
  /// Absolute cap on a container's memory limit, in bytes.
  int64_t max_memory_bytes = 16LL << 30;
  /// Per-namespace and per-env overrides of the absolute cap, in bytes (the
  /// smaller applies).
  std::map<std::string, int64_t> namespace_max_memory_bytes;
  std::map<std::string, int64_t> env_max_memory_bytes;
  /// New CPU request or limit at most this factor of the current one, and
  /// an absolute cap in milli-cores.
  double max_cpu_increase_factor = 3.0;
  int64_t max_cpu_millis = 16'000;
  /// Replicas (scale_replicas, HPA maxReplicas) at most this many, and at
  /// most this factor of the current count.
  int32_t max_replicas = 50;
  double max_scale_factor = 2.0;
  /// Actions never proposed, by env and by namespace.
  std::map<std::string, std::vector<std::string>> forbidden_actions_by_env;
  std::map<std::string, std::vector<std::string>>
    forbidden_actions_by_namespace;
  /// Namespaces K-Fix never changes (kube-system and others).
  std::vector<std::string> protected_namespaces{"kube-system"};
  /// Server-side dry-run is mandatory when a cluster is configured.
  bool require_dry_run = true;
  auto_merge_policy auto_merge;
  /// Merge requests K-Fix opens per namespace per hour; 0 disables the
  /// circuit breaker.
  int32_t max_mrs_per_namespace_per_hour = 3;

  [[nodiscard]] caf::error validate() const;
  /// The memory cap for a namespace (and env, when given).
  int64_t memory_cap_for(const std::string& ns,
                         const std::string& env = {}) const;
};

/// Whether an env is production ("prod", "production", any case): never
/// auto-merged.
bool is_production_env(const std::string& env);

/// Sizing parameters of the memory rules (VPA/KRR-derived).
struct sizing_config {
  /// Limit bump after an OOM kill: max(limit * ratio, limit + min_bump,
  /// peak * peak_margin).
  double oom_bump_ratio = 1.25;
  int64_t oom_min_bump_bytes = 100LL << 20;
  double peak_margin = 1.15;
  /// Memory pressure: size so the observed peak sits at this utilisation.
  double pressure_target_utilization = 0.75;
  /// Minimum raise of the limit under memory pressure.
  double pressure_min_ratio = 1.2;
  /// Request for the burstable plan: p95 of the sizing window * margin.
  double request_margin = 1.15;

  [[nodiscard]] caf::error validate() const;
};

/// How REASONING decides.
struct reasoning_config {
  /// One of `reasoning_strategies()`.
  std::string strategy = "rules";
  /// Playbook files and folders (every *.yaml in a folder), in order.
  std::vector<std::string> playbooks{"config/playbooks"};
};

/// The strategies this build's decision engine offers.
const std::vector<std::string>& reasoning_strategies();

/// The playbook paths to load: `reasoning.playbooks`, except that the
/// default `config/playbooks`, when the working directory has none, falls
/// back to the playbooks of the source tree the binary was built from.
std::vector<std::string> playbook_paths(const reasoning_config& cfg);

/// Whether a strategy asks an LLM (`llm`, `hybrid`).
bool uses_llm(const std::string& strategy);

/// The LLM behind the `llm` and `hybrid` strategies (docs/llm.md). The API
/// key comes from KFIX_LLM_API_KEY (secrets), never from the file.
struct llm_config {
  /// `openai`: chat completions (OpenAI, Mistral, Ollama, vLLM, llama.cpp
  /// server); `anthropic`: the Messages API.
  std::string provider = "openai";
  /// The API root including its version: https://api.openai.com/v1,
  /// http://localhost:11434/v1, https://api.anthropic.com/v1. Empty: no
  /// endpoint.
  std::string base_url;
  std::string model;
  /// Per attempt; cut further so that the rules' plans are used before the
  /// incident deadline.
  std::chrono::milliseconds timeout{20'000};
  /// Attempts per call for retryable failures (network, 408, 429, 5xx).
  int max_attempts = 2;
  int max_output_tokens = 2'000;
  double temperature = 0.1;
  /// The versioned prompt template (config/prompts/).
  std::string prompt_file = "config/prompts/plan-v1.txt";
  /// Estimated tokens of the whole prompt; logs and events are cut by
  /// relevance to fit.
  int prompt_token_budget = 24'000;
  /// USD per million input and output tokens (decision.usage, audit).
  double price_input_per_mtok = 0;
  double price_output_per_mtok = 0;
  /// Set by the eval, never read from the file: the incidents' recorded
  /// exchanges (cassette.jsonl) may stand in for the endpoint.
  bool eval_replay = false;
  /// Set by the eval: incident id -> its folder, whose cassette.jsonl is
  /// replayed and recorded.
  std::map<std::string, std::string> incident_dirs;

  bool has_endpoint() const {
    return !base_url.empty();
  }

  /// The prompt file to load: `prompt_file`, except that a relative one
  /// missing from the working directory falls back to the source tree the
  /// binary was built from (as the playbooks do).
  std::string prompt_path() const;

  /// Errors start with the field: "llm.provider: must be ...".
  [[nodiscard]] caf::error validate() const;
};

struct kubernetes_config {
  /// API server URL; empty: kubeconfig, in-cluster, or simulated.
  std::string api_url;
  /// CA bundle for `api_url` (in-cluster: the service account's ca.crt).
  std::string ca_file;
  bool insecure_skip_tls_verify = false;
  /// File with the bearer token, re-read when it changes (rotation).
  std::string token_file;
  /// A kubeconfig file (cluster, user and context as kubectl reads them);
  /// used when `api_url` is empty.
  std::string kubeconfig;
  /// The kubeconfig context; empty: its `current-context`.
  std::string context;
  std::chrono::milliseconds timeout{5'000};
  /// Caps that bound the calls and memory of one incident's fetch.
  int max_pods = 500;
  int max_events = 500;
};

struct datadog_config {
  /// us1 | us3 | us5 | eu | ap1 | ap2 | gov, or a full URL in `api_url`.
  std::string site = "us1";
  std::string api_url;
  /// Sizing window for percentiles, and the short window.
  std::chrono::hours sizing_window{24 * 7};
  std::chrono::minutes short_window{60};
  /// Log events read (and grouped into patterns) at most.
  int max_log_events = 1000;
  /// Recent log messages kept in the bundle at most.
  int max_log_records = 100;
  /// Log patterns kept in the bundle at most.
  int max_log_patterns = 50;
  /// APM operations (span names) whose trace.* metrics are read for the
  /// service: `trace.<op>.hits`, `.errors` and the latency `trace.<op>`.
  std::vector<std::string> apm_operations{"http.request"};
  std::chrono::milliseconds timeout{5'000};
};

struct gitlab_config {
  /// e.g. https://gitlab.example.com; empty: the local-git publisher.
  std::string url;
  /// Default project when an incident names none.
  std::string project;
  std::string target_branch = "main";
  /// Where manifests live inside the project ("" = the whole tree).
  std::string manifests_path;
  std::vector<std::string> labels{"k-fix"};
  std::chrono::milliseconds timeout{10'000};
};

struct slack_config {
  bool enabled = true; // effective only with KFIX_SLACK_WEBHOOK_URL
};

struct simulation_config {
  /// Datasets whose incidents' state/ answer the Kubernetes and Datadog
  /// APIs when neither is configured.
  std::vector<std::string> datasets{"datasets/samples"};
  /// Single incident folders to simulate as well (replay).
  std::vector<std::string> incidents;
};

/// Secrets, read only from KFIX_* variables, a .env file or mounted files.
struct secrets {
  /// Shared secret in the webhook's custom header (server.auth_header).
  std::string webhook_token;
  /// Alternatively `Authorization: Bearer <token>`.
  std::string webhook_bearer_token;
  /// Alternatively HTTP basic auth, as "user:password".
  std::string webhook_basic_auth;
  std::string database_url;
  std::string kubernetes_token;
  std::string datadog_api_key;
  std::string datadog_app_key;
  std::string gitlab_token;
  std::string slack_webhook_url;
  /// The LLM provider's API key (KFIX_LLM_API_KEY); empty for servers
  /// without auth (Ollama, vLLM without --api-key).
  std::string llm_api_key;
};

struct server_settings {
  std::string listen = "127.0.0.1:8080";
  /// The custom header carrying KFIX_WEBHOOK_TOKEN.
  std::string auth_header = "X-KFix-Token";
  /// Alerts accepted but not yet committed; beyond it, 503 + Retry-After.
  int queue_capacity = 20'000;
  int threads = 2;
  uint64_t body_limit = 1 << 20;
  std::chrono::milliseconds read_timeout{10'000};
  int max_connections = 512;
};

/// The whole agent configuration, after defaults, file and flags.
struct agent_config {
  server_settings server;
  std::string database_url; // from flags or secrets only
  std::string state_dir = "state";
  std::string policy_file = "config/policy.yaml";
  /// Per-incident deadline for gathering context.
  std::chrono::milliseconds context_deadline{8'000};
  /// Deadline for one incident through the whole pipeline.
  std::chrono::milliseconds incident_deadline{60'000};
  kubernetes_config kubernetes;
  datadog_config datadog;
  gitlab_config gitlab;
  slack_config slack;
  simulation_config simulation;
  sizing_config sizing;
  reasoning_config reasoning;
  llm_config llm;
  policy_config policy;
  secrets secret;

  /// Whether any webhook authentication is configured.
  bool webhook_authenticated() const {
    return !secret.webhook_token.empty() || !secret.webhook_bearer_token.empty()
           || !secret.webhook_basic_auth.empty();
  }

  /// Whether the Kubernetes and Datadog APIs are simulated.
  bool simulated_kubernetes() const;
  bool simulated_datadog() const;

  [[nodiscard]] caf::error validate() const;
};

/// Loads a YAML config file over the defaults. The error names the file and
/// the field; a secret-looking key in the file is an error.
[[nodiscard]] caf::expected<agent_config>
load_config_file(const std::string& path, agent_config base = {});

/// Loads config/policy.yaml-style files into `policy_config`.
[[nodiscard]] caf::expected<policy_config>
load_policy_file(const std::string& path);

/// Reads secrets from the environment (KFIX_*), then a `.env` file in the
/// working directory (not overriding the environment), then files in
/// `secrets_dir` (Kubernetes Secret mounts: file `gitlab-token` for
/// KFIX_GITLAB_TOKEN), and `KFIX_*_FILE` variables naming files.
secrets load_secrets(const std::string& dotenv_path = ".env",
                     const std::string& secrets_dir = "/var/run/secrets/kfix");

} // namespace kfix
