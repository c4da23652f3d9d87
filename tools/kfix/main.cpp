// kfix: the K-Fix agent and its offline tools, one binary.
//
// Exit codes: 0 success, 1 failure, 2 bad usage.

#include "actors/common/log.hpp"
#include "actors/system/agent.hpp"
#include "actors/system/record.hpp"
#include "actors/system/replay.hpp"
#include "config/config.hpp"
#include "config/defaults.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pthread.h>

#include <csignal>
#include <filesystem>
#include <iostream>
#include <thread>

namespace {

using namespace kfix;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

struct common_flags {
  std::string config_file;
  std::string log_level = "info";
};

struct serve_flags {
  std::string listen;
  std::string database_url;
  std::string state_dir;
};

/// Built-in defaults, then the config file, then the policy file; secrets
/// from the environment, .env or mounted files only.
caf::expected<agent_config> build_config(const common_flags& flags) {
  agent_config cfg;
  if (!flags.config_file.empty()) {
    auto loaded = load_config_file(flags.config_file, cfg);
    if (!loaded)
      return loaded.error();
    cfg = std::move(*loaded);
  }
  std::error_code ec;
  if (std::filesystem::exists(cfg.policy_file, ec)) {
    auto policy = load_policy_file(cfg.policy_file);
    if (!policy)
      return policy.error();
    cfg.policy = std::move(*policy);
  } else if (cfg.policy_file != "config/policy.yaml") {
    return make_error(ec::invalid_config,
                      "policy_file " + cfg.policy_file + " does not exist");
  }
  cfg.secret = load_secrets(defaults::dotenv_file, defaults::secrets_dir);
  cfg.database_url = cfg.secret.database_url;
  return cfg;
}

int fail(const std::string& what) {
  log::error("kfix", "failed", {{"error", what}});
  std::cerr << "kfix: " << what << "\n";
  return exit_failure;
}

/// Waits for SIGINT/SIGTERM, or for the agent to stop on its own.
void wait_for_shutdown(agent& a) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  std::thread watcher{[&a] {
    a.wait();
    // The supervisor quit (a core actor died, or stop): wake the waiter.
    ::kill(::getpid(), SIGTERM);
  }};
  int received = 0;
  sigwait(&signals, &received);
  log::info("kfix", "shutdown", {{"signal", received}});
  a.stop();
  watcher.join();
}

int run_serve(const common_flags& common, const serve_flags& flags) {
  auto cfg = build_config(common);
  if (!cfg)
    return fail(render(cfg.error()));
  if (!flags.listen.empty())
    cfg->server.listen = flags.listen;
  if (!flags.database_url.empty())
    cfg->database_url = flags.database_url;
  if (!flags.state_dir.empty())
    cfg->state_dir = flags.state_dir;
  if (auto err = cfg->validate())
    return fail(render(err));
  if (cfg->database_url.empty())
    return fail("no database: pass --database-url, set KFIX_DATABASE_URL, "
                "or start with tools/run.sh (throwaway PostgreSQL)");
  // Signals go to sigwait only: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  auto a = start_agent(std::make_shared<const agent_config>(*cfg));
  if (!a)
    return fail(render(a.error()));
  wait_for_shutdown(**a);
  return exit_ok;
}

int run_replay(const common_flags& common, const std::string& dir,
               bool as_json) {
  auto cfg = build_config(common);
  if (!cfg)
    return fail(render(cfg.error()));
  auto outcome = replay_incident(dir, *cfg);
  if (!outcome)
    return fail(render(outcome.error()));
  if (as_json)
    std::cout << replay_json(*outcome).dump(2) << "\n";
  else
    std::cout << replay_text(*outcome);
  return outcome->result->stage == incident_stage::failed ? exit_failure
                                                          : exit_ok;
}

int run_record(const common_flags& common, const record_options& opts) {
  auto cfg = build_config(common);
  if (!cfg)
    return fail(render(cfg.error()));
  if (auto err = cfg->validate())
    return fail(render(err));
  auto outcome = record_incident(opts, *cfg);
  if (!outcome)
    return fail(render(outcome.error()));
  nlohmann::json summary{{"dir", outcome->dir},
                         {"id", outcome->id},
                         {"exchanges", outcome->exchanges},
                         {"kubernetes_objects", outcome->kubernetes_objects},
                         {"metric_series", outcome->metric_series},
                         {"log_events", outcome->log_events},
                         {"gitops_files", outcome->gitops_files},
                         {"sources", outcome->bundle.sources}};
  std::cout << summary.dump(2) << "\n";
  return exit_ok;
}

int run_config_check(const common_flags& common) {
  auto cfg = build_config(common);
  if (!cfg)
    return fail(render(cfg.error()));
  if (auto err = cfg->validate())
    return fail(render(err));
  nlohmann::json summary{
    {"config_file",
     common.config_file.empty() ? "(built-in defaults)" : common.config_file},
    {"listen", cfg->server.listen},
    {"state_dir", cfg->state_dir},
    {"policy_file", cfg->policy_file},
    {"database", cfg->database_url.empty() ? "not set" : "set"},
    {"webhook_auth",
     cfg->webhook_authenticated() ? "required" : "none (loopback only)"},
    {"kubernetes", cfg->simulated_kubernetes() ? "simulated" : "configured"},
    {"datadog", cfg->simulated_datadog() ? "simulated" : "configured"},
    {"publisher", cfg->gitlab.url.empty() ? "local-git" : "gitlab"},
    {"slack", cfg->secret.slack_webhook_url.empty() ? "off" : "on"},
    {"reasoning", "rules"}};
  std::cout << summary.dump(2) << "\n";
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"K-Fix: remediation agent for Kubernetes alerts from Datadog",
               "kfix"};
  app.require_subcommand(1);
  // `kfix serve --config FILE` and `kfix --config FILE serve` both work.
  app.fallthrough();
  common_flags common;
  app.add_option("--config", common.config_file, "YAML config file")
    ->check(CLI::ExistingFile);
  app.add_option("--log-level", common.log_level, "debug, info, warn or error")
    ->check(CLI::IsMember({"debug", "info", "warn", "error"}));

  serve_flags serve;
  auto* serve_cmd = app.add_subcommand(
    "serve", "Run the agent: webhook intake and the remediation pipeline");
  serve_cmd->add_option("--listen", serve.listen,
                        "ADDRESS:PORT to listen on (default 127.0.0.1:8080)");
  serve_cmd->add_option("--database-url", serve.database_url,
                        "PostgreSQL URL (else KFIX_DATABASE_URL)");
  serve_cmd->add_option("--state-dir", serve.state_dir,
                        "folder for local-git publishing and state");

  std::string incident_dir;
  bool as_json = false;
  auto* replay_cmd = app.add_subcommand(
    "replay", "Run one recorded incident through the pipeline offline");
  replay_cmd->add_option("INCIDENT_DIR", incident_dir, "incident folder")
    ->required()
    ->check(CLI::ExistingDirectory);
  replay_cmd->add_flag("--json", as_json,
                       "print the result as JSON (docs/replay.md)");

  record_options record;
  int64_t record_deadline_ms = record.deadline.count();
  auto* record_cmd = app.add_subcommand(
    "record", "Capture a live incident into the recorded-incident format");
  record_cmd
    ->add_option("--alert", record.alert_file,
                 "the webhook body Datadog sent (alert.json)")
    ->required()
    ->check(CLI::ExistingFile);
  record_cmd
    ->add_option("--out", record.out_dir,
                 "the incident folder to write (DIR/<incident-id>)")
    ->required();
  record_cmd->add_flag("--force", record.force,
                       "write into a folder that is not empty");
  record_cmd
    ->add_option("--deadline-ms", record_deadline_ms,
                 "time the fetchers have (default 30000)")
    ->check(CLI::PositiveNumber);

  auto* config_cmd = app.add_subcommand("config", "Configuration tools");
  config_cmd->require_subcommand(1);
  auto* check_cmd = config_cmd->add_subcommand(
    "check", "Validate the configuration, policy and secrets");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    auto code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  log::level lvl = log::level::info;
  log::parse_level(common.log_level, lvl);
  log::set_level(lvl);
  if (serve_cmd->parsed())
    return run_serve(common, serve);
  if (replay_cmd->parsed())
    return run_replay(common, incident_dir, as_json);
  if (check_cmd->parsed())
    return run_config_check(common);
  if (record_cmd->parsed()) {
    record.deadline = std::chrono::milliseconds{record_deadline_ms};
    return run_record(common, record);
  }
  return exit_usage;
}
