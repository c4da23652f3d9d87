#include "config/config.hpp"

#include "actors/common/quantity.hpp"
#include "config/defaults.hpp"
#include "messages/plan.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace kfix {

namespace {

// -- YAML reading with errors that name the file and field -------------------

struct reader {
  std::string file;

  caf::error fail(const std::string& field, const std::string& what) const {
    return make_error(ec::invalid_config, file + ": " + field + ": " + what);
  }

  caf::error check_keys(const YAML::Node& node, const std::string& where,
                        std::initializer_list<const char*> allowed) const {
    if (!node.IsMap())
      return fail(where.empty() ? "(top level)" : where, "must be a mapping");
    for (const auto& kv : node) {
      auto key = kv.first.as<std::string>();
      if (std::none_of(allowed.begin(), allowed.end(), [&](const char* k) {
            return key == k;
          })) {
        std::string list;
        for (auto k : allowed)
          list += (list.empty() ? "" : ", ") + std::string{k};
        return fail(where.empty() ? key : where + "." + key,
                    "unknown key (expected one of: " + list + ")");
      }
    }
    return caf::none;
  }

  template <class T>
  caf::error get(const YAML::Node& node, const std::string& field,
                 T& out) const {
    if (!node)
      return caf::none;
    try {
      out = node.as<T>();
    } catch (const YAML::Exception&) {
      return fail(field, "has the wrong type (line "
                           + std::to_string(node.Mark().line + 1) + ")");
    }
    return caf::none;
  }

  caf::error get_ms(const YAML::Node& node, const std::string& field,
                    std::chrono::milliseconds& out) const {
    int64_t value = out.count();
    if (auto err = get(node, field, value))
      return err;
    if (value <= 0)
      return fail(field, "must be positive");
    out = std::chrono::milliseconds{value};
    return caf::none;
  }

  caf::error get_bytes(const YAML::Node& node, const std::string& field,
                       int64_t& out) const {
    if (!node)
      return caf::none;
    std::string text;
    if (auto err = get(node, field, text))
      return err;
    auto q = parse_quantity(text);
    if (!q)
      return fail(field, "not a quantity: " + text);
    if (!is_valid_memory_quantity(text))
      return fail(field, "not a memory quantity (use Mi/Gi): " + text);
    out = q->bytes();
    return caf::none;
  }
};

#define KFIX_TRY(expr)                                                         \
  if (auto kfix_err_ = (expr))                                                 \
    return kfix_err_;

bool secret_looking(const std::string& key) {
  static const std::regex pattern{
    "(token|password|passwd|secret|api_key|app_key|apikey|webhook_url|"
    "database_url|dsn|private_key)",
    std::regex::icase};
  return std::regex_search(key, pattern);
}

caf::error reject_secrets(const reader& r, const YAML::Node& node,
                          const std::string& where) {
  if (!node.IsMap())
    return caf::none;
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    auto path = where.empty() ? key : where + "." + key;
    // `token_file` names a file and the LLM's token counts are sizes; none
    // is a secret itself.
    bool not_secret = key == "token_file" || key == "max_output_tokens"
                      || key == "prompt_token_budget";
    if (secret_looking(key) && !not_secret)
      return r.fail(path, "secrets are never read from the config file; set "
                          "the KFIX_* environment variable, the .env file or "
                          "a mounted secret file instead");
    KFIX_TRY(reject_secrets(r, kv.second, path));
  }
  return caf::none;
}

caf::error load_byte_map(const reader& r, const YAML::Node& node,
                         const std::string& field,
                         std::map<std::string, int64_t>& out) {
  if (!node)
    return caf::none;
  if (!node.IsMap())
    return r.fail(field, "must be a mapping");
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    int64_t bytes = 0;
    KFIX_TRY(r.get_bytes(kv.second, field + "." + key, bytes));
    out[key] = bytes;
  }
  return caf::none;
}

caf::error
load_action_lists(const reader& r, const YAML::Node& node,
                  const std::string& field,
                  std::map<std::string, std::vector<std::string>>& out) {
  if (!node)
    return caf::none;
  if (!node.IsMap())
    return r.fail(field, "must be a mapping");
  for (const auto& kv : node) {
    auto key = kv.first.as<std::string>();
    std::vector<std::string> actions;
    KFIX_TRY(r.get(kv.second, field + "." + key, actions));
    for (const auto& a : actions)
      if (!parse_action_type(a))
        return r.fail(field + "." + key, "unknown action " + a);
    out[key] = std::move(actions);
  }
  return caf::none;
}

caf::error load_policy_node(const reader& r, const YAML::Node& root,
                            policy_config& out) {
  KFIX_TRY(r.check_keys(root, "",
                        {"memory", "cpu", "replicas", "forbidden_actions",
                         "protected_namespaces", "require_dry_run",
                         "auto_merge_envs", "auto_merge", "circuit_breaker"}));
  if (auto mem = root["memory"]) {
    KFIX_TRY(r.check_keys(mem, "memory",
                          {"max_increase_factor", "max_limit",
                           "namespace_max_limit", "env_max_limit"}));
    KFIX_TRY(r.get(mem["max_increase_factor"], "memory.max_increase_factor",
                   out.max_memory_increase_factor));
    KFIX_TRY(
      r.get_bytes(mem["max_limit"], "memory.max_limit", out.max_memory_bytes));
    KFIX_TRY(load_byte_map(r, mem["namespace_max_limit"],
                           "memory.namespace_max_limit",
                           out.namespace_max_memory_bytes));
    KFIX_TRY(load_byte_map(r, mem["env_max_limit"], "memory.env_max_limit",
                           out.env_max_memory_bytes));
  }
  if (auto cpu = root["cpu"]) {
    KFIX_TRY(r.check_keys(cpu, "cpu", {"max_increase_factor", "max_limit"}));
    KFIX_TRY(r.get(cpu["max_increase_factor"], "cpu.max_increase_factor",
                   out.max_cpu_increase_factor));
    if (auto max = cpu["max_limit"]) {
      std::string text;
      KFIX_TRY(r.get(max, "cpu.max_limit", text));
      auto q = parse_quantity(text);
      if (!q || q->negative())
        return r.fail("cpu.max_limit", "not a CPU quantity: " + text);
      out.max_cpu_millis = q->millis();
    }
  }
  if (auto rep = root["replicas"]) {
    KFIX_TRY(r.check_keys(rep, "replicas", {"max", "max_scale_factor"}));
    KFIX_TRY(r.get(rep["max"], "replicas.max", out.max_replicas));
    KFIX_TRY(r.get(rep["max_scale_factor"], "replicas.max_scale_factor",
                   out.max_scale_factor));
  }
  if (auto fa = root["forbidden_actions"]) {
    KFIX_TRY(r.check_keys(fa, "forbidden_actions", {"envs", "namespaces"}));
    KFIX_TRY(load_action_lists(r, fa["envs"], "forbidden_actions.envs",
                               out.forbidden_actions_by_env));
    KFIX_TRY(load_action_lists(r, fa["namespaces"],
                               "forbidden_actions.namespaces",
                               out.forbidden_actions_by_namespace));
  }
  KFIX_TRY(r.get(root["protected_namespaces"], "protected_namespaces",
                 out.protected_namespaces));
  KFIX_TRY(
    r.get(root["require_dry_run"], "require_dry_run", out.require_dry_run));
  // `auto_merge_envs` is the older spelling of `auto_merge.envs`.
  KFIX_TRY(
    r.get(root["auto_merge_envs"], "auto_merge_envs", out.auto_merge.envs));
  if (auto am = root["auto_merge"]) {
    KFIX_TRY(r.check_keys(am, "auto_merge",
                          {"envs", "actions", "memory_raises_only",
                           "min_eval_top1_rate", "eval_report",
                           "min_similar_merged"}));
    KFIX_TRY(r.get(am["envs"], "auto_merge.envs", out.auto_merge.envs));
    KFIX_TRY(
      r.get(am["actions"], "auto_merge.actions", out.auto_merge.actions));
    for (const auto& a : out.auto_merge.actions)
      if (!parse_action_type(a))
        return r.fail("auto_merge.actions", "unknown action " + a);
    KFIX_TRY(r.get(am["memory_raises_only"], "auto_merge.memory_raises_only",
                   out.auto_merge.memory_raises_only));
    KFIX_TRY(r.get(am["min_eval_top1_rate"], "auto_merge.min_eval_top1_rate",
                   out.auto_merge.min_eval_top1_rate));
    KFIX_TRY(r.get(am["eval_report"], "auto_merge.eval_report",
                   out.auto_merge.eval_report));
    KFIX_TRY(r.get(am["min_similar_merged"], "auto_merge.min_similar_merged",
                   out.auto_merge.min_similar_merged));
  }
  if (auto cb = root["circuit_breaker"]) {
    KFIX_TRY(
      r.check_keys(cb, "circuit_breaker", {"max_mrs_per_namespace_per_hour"}));
    KFIX_TRY(r.get(cb["max_mrs_per_namespace_per_hour"],
                   "circuit_breaker.max_mrs_per_namespace_per_hour",
                   out.max_mrs_per_namespace_per_hour));
  }
  if (auto err = out.validate())
    return r.fail("policy", render(err));
  return caf::none;
}

/// The message of an error without its code ("llm.model: ...").
std::string message_of(const caf::error& err) {
  auto text = render(err);
  auto colon = text.find(": ");
  return colon == std::string::npos ? text : text.substr(colon + 2);
}

caf::error load_llm_node(const reader& r, const YAML::Node& node,
                         llm_config& out) {
  if (!node)
    return caf::none;
  KFIX_TRY(r.check_keys(node, "llm",
                        {"provider", "base_url", "model", "timeout_ms",
                         "max_attempts", "max_output_tokens", "temperature",
                         "prompt_file", "prompt_token_budget",
                         "price_input_per_mtok", "price_output_per_mtok"}));
  KFIX_TRY(r.get(node["provider"], "llm.provider", out.provider));
  KFIX_TRY(r.get(node["base_url"], "llm.base_url", out.base_url));
  KFIX_TRY(r.get(node["model"], "llm.model", out.model));
  KFIX_TRY(r.get_ms(node["timeout_ms"], "llm.timeout_ms", out.timeout));
  KFIX_TRY(r.get(node["max_attempts"], "llm.max_attempts", out.max_attempts));
  KFIX_TRY(r.get(node["max_output_tokens"], "llm.max_output_tokens",
                 out.max_output_tokens));
  KFIX_TRY(r.get(node["temperature"], "llm.temperature", out.temperature));
  KFIX_TRY(r.get(node["prompt_file"], "llm.prompt_file", out.prompt_file));
  KFIX_TRY(r.get(node["prompt_token_budget"], "llm.prompt_token_budget",
                 out.prompt_token_budget));
  KFIX_TRY(r.get(node["price_input_per_mtok"], "llm.price_input_per_mtok",
                 out.price_input_per_mtok));
  KFIX_TRY(r.get(node["price_output_per_mtok"], "llm.price_output_per_mtok",
                 out.price_output_per_mtok));
  if (auto err = out.validate())
    return make_error(ec::invalid_config, r.file + ": " + message_of(err));
  return caf::none;
}

caf::error load_agent_node(const reader& r, const YAML::Node& root,
                           agent_config& cfg) {
  KFIX_TRY(reject_secrets(r, root, ""));
  KFIX_TRY(
    r.check_keys(root, "",
                 {"server", "state_dir", "policy_file", "context_deadline_ms",
                  "incident_deadline_ms", "kubernetes", "datadog", "gitlab",
                  "slack", "simulation", "sizing", "reasoning", "llm"}));
  if (auto s = root["reasoning"]) {
    KFIX_TRY(r.check_keys(s, "reasoning", {"strategy", "playbooks"}));
    KFIX_TRY(
      r.get(s["strategy"], "reasoning.strategy", cfg.reasoning.strategy));
    KFIX_TRY(
      r.get(s["playbooks"], "reasoning.playbooks", cfg.reasoning.playbooks));
  }
  KFIX_TRY(load_llm_node(r, root["llm"], cfg.llm));
  if (auto s = root["server"]) {
    KFIX_TRY(
      r.check_keys(s, "server",
                   {"listen", "threads", "body_limit", "read_timeout_ms",
                    "max_connections", "auth_header", "queue_capacity"}));
    KFIX_TRY(r.get(s["listen"], "server.listen", cfg.server.listen));
    KFIX_TRY(
      r.get(s["auth_header"], "server.auth_header", cfg.server.auth_header));
    KFIX_TRY(r.get(s["queue_capacity"], "server.queue_capacity",
                   cfg.server.queue_capacity));
    KFIX_TRY(r.get(s["threads"], "server.threads", cfg.server.threads));
    KFIX_TRY(
      r.get(s["body_limit"], "server.body_limit", cfg.server.body_limit));
    KFIX_TRY(r.get_ms(s["read_timeout_ms"], "server.read_timeout_ms",
                      cfg.server.read_timeout));
    KFIX_TRY(r.get(s["max_connections"], "server.max_connections",
                   cfg.server.max_connections));
  }
  KFIX_TRY(r.get(root["state_dir"], "state_dir", cfg.state_dir));
  KFIX_TRY(r.get(root["policy_file"], "policy_file", cfg.policy_file));
  KFIX_TRY(r.get_ms(root["context_deadline_ms"], "context_deadline_ms",
                    cfg.context_deadline));
  KFIX_TRY(r.get_ms(root["incident_deadline_ms"], "incident_deadline_ms",
                    cfg.incident_deadline));
  if (auto k = root["kubernetes"]) {
    KFIX_TRY(r.check_keys(k, "kubernetes",
                          {"api_url", "ca_file", "insecure_skip_tls_verify",
                           "token_file", "kubeconfig", "context", "timeout_ms",
                           "max_pods", "max_events"}));
    KFIX_TRY(r.get(k["api_url"], "kubernetes.api_url", cfg.kubernetes.api_url));
    KFIX_TRY(r.get(k["ca_file"], "kubernetes.ca_file", cfg.kubernetes.ca_file));
    KFIX_TRY(r.get(k["insecure_skip_tls_verify"],
                   "kubernetes.insecure_skip_tls_verify",
                   cfg.kubernetes.insecure_skip_tls_verify));
    KFIX_TRY(r.get(k["token_file"], "kubernetes.token_file",
                   cfg.kubernetes.token_file));
    KFIX_TRY(r.get(k["kubeconfig"], "kubernetes.kubeconfig",
                   cfg.kubernetes.kubeconfig));
    KFIX_TRY(r.get(k["context"], "kubernetes.context", cfg.kubernetes.context));
    KFIX_TRY(r.get_ms(k["timeout_ms"], "kubernetes.timeout_ms",
                      cfg.kubernetes.timeout));
    KFIX_TRY(
      r.get(k["max_pods"], "kubernetes.max_pods", cfg.kubernetes.max_pods));
    KFIX_TRY(r.get(k["max_events"], "kubernetes.max_events",
                   cfg.kubernetes.max_events));
  }
  if (auto d = root["datadog"]) {
    KFIX_TRY(
      r.check_keys(d, "datadog",
                   {"site", "api_url", "sizing_window_hours",
                    "short_window_minutes", "max_log_events", "max_log_records",
                    "max_log_patterns", "apm_operations", "timeout_ms"}));
    KFIX_TRY(r.get(d["site"], "datadog.site", cfg.datadog.site));
    std::transform(cfg.datadog.site.begin(), cfg.datadog.site.end(),
                   cfg.datadog.site.begin(), [](unsigned char c) {
                     return static_cast<char>(std::tolower(c));
                   });
    KFIX_TRY(r.get(d["api_url"], "datadog.api_url", cfg.datadog.api_url));
    int64_t hours = cfg.datadog.sizing_window.count();
    KFIX_TRY(
      r.get(d["sizing_window_hours"], "datadog.sizing_window_hours", hours));
    cfg.datadog.sizing_window = std::chrono::hours{hours};
    int64_t minutes = cfg.datadog.short_window.count();
    KFIX_TRY(r.get(d["short_window_minutes"], "datadog.short_window_minutes",
                   minutes));
    cfg.datadog.short_window = std::chrono::minutes{minutes};
    KFIX_TRY(r.get(d["max_log_events"], "datadog.max_log_events",
                   cfg.datadog.max_log_events));
    KFIX_TRY(r.get(d["max_log_records"], "datadog.max_log_records",
                   cfg.datadog.max_log_records));
    KFIX_TRY(r.get(d["max_log_patterns"], "datadog.max_log_patterns",
                   cfg.datadog.max_log_patterns));
    KFIX_TRY(r.get(d["apm_operations"], "datadog.apm_operations",
                   cfg.datadog.apm_operations));
    KFIX_TRY(
      r.get_ms(d["timeout_ms"], "datadog.timeout_ms", cfg.datadog.timeout));
  }
  if (auto g = root["gitlab"]) {
    KFIX_TRY(r.check_keys(g, "gitlab",
                          {"url", "project", "target_branch", "manifests_path",
                           "labels", "timeout_ms"}));
    KFIX_TRY(r.get(g["url"], "gitlab.url", cfg.gitlab.url));
    KFIX_TRY(r.get(g["project"], "gitlab.project", cfg.gitlab.project));
    KFIX_TRY(r.get(g["target_branch"], "gitlab.target_branch",
                   cfg.gitlab.target_branch));
    KFIX_TRY(r.get(g["manifests_path"], "gitlab.manifests_path",
                   cfg.gitlab.manifests_path));
    KFIX_TRY(r.get(g["labels"], "gitlab.labels", cfg.gitlab.labels));
    KFIX_TRY(
      r.get_ms(g["timeout_ms"], "gitlab.timeout_ms", cfg.gitlab.timeout));
  }
  if (auto s = root["slack"]) {
    KFIX_TRY(r.check_keys(s, "slack", {"enabled"}));
    KFIX_TRY(r.get(s["enabled"], "slack.enabled", cfg.slack.enabled));
  }
  if (auto s = root["simulation"]) {
    KFIX_TRY(r.check_keys(s, "simulation", {"datasets", "incidents"}));
    KFIX_TRY(
      r.get(s["datasets"], "simulation.datasets", cfg.simulation.datasets));
    KFIX_TRY(
      r.get(s["incidents"], "simulation.incidents", cfg.simulation.incidents));
  }
  if (auto s = root["sizing"]) {
    KFIX_TRY(r.check_keys(s, "sizing",
                          {"oom_bump_ratio", "oom_min_bump", "peak_margin",
                           "pressure_target_utilization", "pressure_min_ratio",
                           "request_margin"}));
    KFIX_TRY(r.get(s["oom_bump_ratio"], "sizing.oom_bump_ratio",
                   cfg.sizing.oom_bump_ratio));
    KFIX_TRY(r.get_bytes(s["oom_min_bump"], "sizing.oom_min_bump",
                         cfg.sizing.oom_min_bump_bytes));
    KFIX_TRY(
      r.get(s["peak_margin"], "sizing.peak_margin", cfg.sizing.peak_margin));
    KFIX_TRY(r.get(s["pressure_target_utilization"],
                   "sizing.pressure_target_utilization",
                   cfg.sizing.pressure_target_utilization));
    KFIX_TRY(r.get(s["pressure_min_ratio"], "sizing.pressure_min_ratio",
                   cfg.sizing.pressure_min_ratio));
    KFIX_TRY(r.get(s["request_margin"], "sizing.request_margin",
                   cfg.sizing.request_margin));
  }
  return caf::none;
}

template <class Fn>
caf::error with_yaml_file(const std::string& path, Fn fn) {
  std::ifstream in{path};
  if (!in)
    return make_error(ec::invalid_config, path + ": cannot be read");
  std::stringstream buf;
  buf << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(buf.str());
  } catch (const YAML::ParserException& e) {
    return make_error(ec::invalid_config, path + ": line "
                                            + std::to_string(e.mark.line + 1)
                                            + ": " + e.msg);
  }
  if (root.IsNull())
    root = YAML::Node{YAML::NodeType::Map};
  try {
    return fn(reader{path}, root);
  } catch (const YAML::Exception& e) {
    return make_error(ec::invalid_config, path + ": " + e.what());
  }
}

// -- secrets ------------------------------------------------------------------

const std::vector<std::pair<const char*, std::string secrets::*>>&
secret_fields() {
  static const std::vector<std::pair<const char*, std::string secrets::*>>
    fields{
      {"KFIX_WEBHOOK_TOKEN", &secrets::webhook_token},
      {"KFIX_WEBHOOK_BEARER_TOKEN", &secrets::webhook_bearer_token},
      {"KFIX_WEBHOOK_BASIC_AUTH", &secrets::webhook_basic_auth},
      {"KFIX_DATABASE_URL", &secrets::database_url},
      {"KFIX_KUBERNETES_TOKEN", &secrets::kubernetes_token},
      {"KFIX_DATADOG_API_KEY", &secrets::datadog_api_key},
      {"KFIX_DATADOG_APP_KEY", &secrets::datadog_app_key},
      {"KFIX_GITLAB_TOKEN", &secrets::gitlab_token},
      {"KFIX_SLACK_WEBHOOK_URL", &secrets::slack_webhook_url},
      {"KFIX_LLM_API_KEY", &secrets::llm_api_key},
    };
  return fields;
}

std::string trim(std::string text) {
  auto not_space = [](unsigned char c) {
    return !std::isspace(c);
  };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(),
             text.end());
  return text;
}

std::string read_file_trimmed(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return {};
  std::stringstream buf;
  buf << in.rdbuf();
  return trim(buf.str());
}

std::map<std::string, std::string> read_dotenv(const std::string& path) {
  std::map<std::string, std::string> result;
  std::ifstream in{path};
  std::string line;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#')
      continue;
    if (line.rfind("export ", 0) == 0)
      line = trim(line.substr(7));
    auto eq = line.find('=');
    if (eq == std::string::npos)
      continue;
    auto key = trim(line.substr(0, eq));
    auto value = trim(line.substr(eq + 1));
    if (value.size() >= 2
        && ((value.front() == '"' && value.back() == '"')
            || (value.front() == '\'' && value.back() == '\'')))
      value = value.substr(1, value.size() - 2);
    result[key] = value;
  }
  return result;
}

/// KFIX_GITLAB_TOKEN -> gitlab-token (the file name in a Secret mount).
std::string mount_name(std::string_view var) {
  std::string result{var.substr(5)};
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) {
                   return c == '_' ? '-' : std::tolower(c);
                 });
  return result;
}

} // namespace

// -- validation ---------------------------------------------------------------

bool is_production_env(const std::string& env) {
  std::string lower = env;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) {
                   return std::tolower(c);
                 });
  return lower == "prod" || lower == "production";
}

caf::error policy_config::validate() const {
  if (max_memory_increase_factor < 1.0 || max_memory_increase_factor > 10.0)
    return make_error(ec::invalid_config,
                      "memory.max_increase_factor must be within [1, 10]");
  if (max_memory_bytes <= 0)
    return make_error(ec::invalid_config, "memory.max_limit must be positive");
  if (max_cpu_increase_factor < 1.0 || max_cpu_increase_factor > 20.0)
    return make_error(ec::invalid_config,
                      "cpu.max_increase_factor must be within [1, 20]");
  if (max_cpu_millis <= 0)
    return make_error(ec::invalid_config, "cpu.max_limit must be positive");
  if (max_replicas < 1)
    return make_error(ec::invalid_config, "replicas.max must be at least 1");
  if (max_scale_factor < 1.0)
    return make_error(ec::invalid_config,
                      "replicas.max_scale_factor must be at least 1");
  if (max_mrs_per_namespace_per_hour < 0)
    return make_error(ec::invalid_config,
                      "circuit_breaker.max_mrs_per_namespace_per_hour must "
                      "be 0 (off) or more");
  for (const auto& env : auto_merge.envs)
    if (is_production_env(env))
      return make_error(ec::invalid_config,
                        "auto_merge_envs: " + env
                          + " may never auto-merge (production merge "
                            "requests always need a person)");
  if (auto_merge.min_eval_top1_rate < 0 || auto_merge.min_eval_top1_rate > 1)
    return make_error(ec::invalid_config,
                      "auto_merge.min_eval_top1_rate must be within [0, 1]");
  if (auto_merge.min_similar_merged < 0)
    return make_error(ec::invalid_config,
                      "auto_merge.min_similar_merged must be >= 0");
  return caf::none;
}

int64_t policy_config::memory_cap_for(const std::string& ns,
                                      const std::string& env) const {
  auto cap = max_memory_bytes;
  if (auto i = namespace_max_memory_bytes.find(ns);
      i != namespace_max_memory_bytes.end())
    cap = i->second;
  if (auto i = env_max_memory_bytes.find(env);
      !env.empty() && i != env_max_memory_bytes.end())
    cap = std::min(cap, i->second);
  return cap;
}

caf::error sizing_config::validate() const {
  if (oom_bump_ratio < 1.0 || peak_margin < 1.0 || request_margin < 1.0
      || pressure_min_ratio < 1.0)
    return make_error(ec::invalid_config,
                      "sizing ratios and margins must be >= 1.0");
  if (pressure_target_utilization <= 0.1 || pressure_target_utilization > 1.0)
    return make_error(ec::invalid_config,
                      "sizing.pressure_target_utilization must be in (0.1, 1]");
  if (oom_min_bump_bytes < 0)
    return make_error(ec::invalid_config, "sizing.oom_min_bump must be >= 0");
  return caf::none;
}

bool agent_config::simulated_kubernetes() const {
  return kubernetes.api_url.empty() && kubernetes.token_file.empty()
         && kubernetes.kubeconfig.empty() && secret.kubernetes_token.empty()
         && std::getenv("KUBERNETES_SERVICE_HOST") == nullptr;
}

bool agent_config::simulated_datadog() const {
  return secret.datadog_api_key.empty() || secret.datadog_app_key.empty();
}

std::vector<std::string> playbook_paths(const reasoning_config& cfg) {
  static const std::string fallback
    = std::string{KFIX_SOURCE_DIR} + "/config/playbooks";
  std::error_code err;
  if (cfg.playbooks == std::vector<std::string>{"config/playbooks"}
      && !std::filesystem::exists(cfg.playbooks.front(), err)
      && std::filesystem::exists(fallback, err))
    return {fallback};
  return cfg.playbooks;
}

const std::vector<std::string>& reasoning_strategies() {
  static const std::vector<std::string> names{"rules", "llm", "hybrid"};
  return names;
}

std::string llm_config::prompt_path() const {
  std::error_code err;
  auto fallback = std::filesystem::path{KFIX_SOURCE_DIR} / prompt_file;
  if (std::filesystem::path{prompt_file}.is_relative()
      && !std::filesystem::exists(prompt_file, err)
      && std::filesystem::exists(fallback, err))
    return fallback.string();
  return prompt_file;
}

bool uses_llm(const std::string& strategy) {
  return strategy == "llm" || strategy == "hybrid";
}

caf::error llm_config::validate() const {
  auto fail = [](const std::string& field, const std::string& what) {
    return make_error(ec::invalid_config, "llm." + field + ": " + what);
  };
  if (provider != "openai" && provider != "anthropic")
    return fail("provider", "must be openai or anthropic, got " + provider);
  if (!base_url.empty() && base_url.rfind("http://", 0) != 0
      && base_url.rfind("https://", 0) != 0)
    return fail("base_url",
                "must start with http:// or https://, got " + base_url);
  if (!base_url.empty() && model.empty())
    return fail("model", "must be set when llm.base_url is");
  if (timeout.count() <= 0)
    return fail("timeout_ms", "must be positive");
  if (max_attempts < 1 || max_attempts > 5)
    return fail("max_attempts", "must be 1..5");
  if (max_output_tokens < 256 || max_output_tokens > 64'000)
    return fail("max_output_tokens", "must be 256..64000");
  if (temperature < 0 || temperature > 2)
    return fail("temperature", "must be within [0, 2]");
  if (prompt_file.empty())
    return fail("prompt_file", "must name the prompt template");
  if (prompt_token_budget < 2'000 || prompt_token_budget > 1'000'000)
    return fail("prompt_token_budget", "must be 2000..1000000");
  if (price_input_per_mtok < 0)
    return fail("price_input_per_mtok", "must not be negative");
  if (price_output_per_mtok < 0)
    return fail("price_output_per_mtok", "must not be negative");
  return caf::none;
}

caf::error agent_config::validate() const {
  const auto& strategies = reasoning_strategies();
  if (std::find(strategies.begin(), strategies.end(), reasoning.strategy)
      == strategies.end()) {
    std::string list;
    for (const auto& s : strategies)
      list += (list.empty() ? "" : ", ") + s;
    return make_error(ec::invalid_config, "reasoning.strategy must be one of "
                                            + list + ", got "
                                            + reasoning.strategy);
  }
  auto colon = server.listen.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return make_error(ec::invalid_config,
                      "server.listen must be ADDRESS:PORT, got "
                        + server.listen);
  auto port = std::atoi(server.listen.substr(colon + 1).c_str());
  if (port < 0 || port > 65535)
    return make_error(ec::invalid_config,
                      "server.listen: invalid port in " + server.listen);
  if (server.queue_capacity < 1)
    return make_error(ec::invalid_config,
                      "server.queue_capacity must be positive");
  if (!secret.webhook_basic_auth.empty()
      && secret.webhook_basic_auth.find(':') == std::string::npos)
    return make_error(ec::invalid_config,
                      "KFIX_WEBHOOK_BASIC_AUTH must be user:password");
  if (server.threads < 1 || server.threads > 64)
    return make_error(ec::invalid_config, "server.threads must be 1..64");
  static const std::set<std::string> sites{"us1", "us3", "us5", "eu",
                                           "ap1", "ap2", "gov"};
  if (datadog.api_url.empty() && sites.count(datadog.site) == 0)
    return make_error(ec::invalid_config,
                      "datadog.site must be one of us1, us3, us5, eu, ap1, "
                      "ap2, gov (or set datadog.api_url)");
  if (datadog.max_log_events < 0 || datadog.max_log_events > 10'000)
    return make_error(ec::invalid_config,
                      "datadog.max_log_events must be 0..10000");
  if (datadog.max_log_records < 0 || datadog.max_log_records > 1'000)
    return make_error(ec::invalid_config,
                      "datadog.max_log_records must be 0..1000");
  if (datadog.max_log_patterns < 0 || datadog.max_log_patterns > 1'000)
    return make_error(ec::invalid_config,
                      "datadog.max_log_patterns must be 0..1000");
  if (datadog.sizing_window.count() < 1 || datadog.short_window.count() < 1)
    return make_error(ec::invalid_config,
                      "datadog.sizing_window_hours and "
                      "datadog.short_window_minutes must be positive");
  for (const auto& op : datadog.apm_operations)
    if (op.empty() || op.find_first_of("{}:, ") != std::string::npos)
      return make_error(ec::invalid_config,
                        "datadog.apm_operations: \"" + op
                          + "\" is not a span name (like http.request)");
  if (kubernetes.max_pods < 1 || kubernetes.max_pods > 10'000)
    return make_error(ec::invalid_config,
                      "kubernetes.max_pods must be 1..10000");
  if (kubernetes.max_events < 1 || kubernetes.max_events > 10'000)
    return make_error(ec::invalid_config,
                      "kubernetes.max_events must be 1..10000");
  if (!gitlab.url.empty() && secret.gitlab_token.empty())
    return make_error(ec::invalid_config,
                      "gitlab.url is set but KFIX_GITLAB_TOKEN is not");
  if (auto err = llm.validate())
    return err;
  if (uses_llm(reasoning.strategy) && !llm.has_endpoint() && !llm.eval_replay)
    return make_error(ec::invalid_config,
                      "reasoning.strategy " + reasoning.strategy
                        + " needs an LLM endpoint: set llm.base_url and "
                          "llm.model (docs/llm.md)");
  std::error_code missing;
  if (uses_llm(reasoning.strategy)
      && !std::filesystem::is_regular_file(llm.prompt_path(), missing))
    return make_error(ec::invalid_config, "llm.prompt_file: " + llm.prompt_file
                                            + " does not exist");
  if (auto err = sizing.validate())
    return err;
  return policy.validate();
}

// -- loading ------------------------------------------------------------------

caf::expected<agent_config> load_config_file(const std::string& path,
                                             agent_config base) {
  auto err = with_yaml_file(path, [&](const reader& r, const YAML::Node& root) {
    return load_agent_node(r, root, base);
  });
  if (err)
    return err;
  return base;
}

caf::expected<policy_config> load_policy_file(const std::string& path) {
  policy_config result;
  auto err = with_yaml_file(path, [&](const reader& r, const YAML::Node& root) {
    return load_policy_node(r, root, result);
  });
  if (err)
    return err;
  return result;
}

secrets load_secrets(const std::string& dotenv_path,
                     const std::string& secrets_dir) {
  secrets result;
  auto dotenv = read_dotenv(dotenv_path);
  for (const auto& [var, member] : secret_fields()) {
    auto& slot = result.*member;
    if (const char* value = std::getenv(var); value && *value) {
      slot = value;
      continue;
    }
    auto file_var = std::string{var} + "_FILE";
    if (const char* file = std::getenv(file_var.c_str()); file && *file) {
      slot = read_file_trimmed(file);
      if (!slot.empty())
        continue;
    }
    if (auto i = dotenv.find(var); i != dotenv.end() && !i->second.empty()) {
      slot = i->second;
      continue;
    }
    auto mounted = std::filesystem::path{secrets_dir} / mount_name(var);
    std::error_code ec;
    if (std::filesystem::is_regular_file(mounted, ec))
      slot = read_file_trimmed(mounted.string());
  }
  return result;
}

} // namespace kfix
