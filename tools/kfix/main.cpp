// kfix: the K-Fix agent and its offline tools, one binary.
//
// Exit codes: 0 success, 1 failure, 2 bad usage.

#include "actors/common/log.hpp"
#include "actors/reasoning/playbook.hpp"
#include "actors/system/agent.hpp"
#include "actors/system/eval_strategy.hpp"
#include "actors/system/record.hpp"
#include "actors/system/replay.hpp"
#include "config/config.hpp"
#include "config/defaults.hpp"
#include "eval/harness.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <pthread.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
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

struct eval_flags {
  std::string dataset;
  std::vector<std::string> strategies;
  std::string report_dir;
  int jobs = 0;
  std::string baseline;
  std::string write_baseline;
  std::string diff_old;
  std::string diff_new;
};

caf::expected<nlohmann::json> read_json_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return make_error(ec::io_error, path + ": cannot read");
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded())
    return make_error(ec::invalid_input, path + ": not JSON");
  return j;
}

caf::error write_text_file(const std::filesystem::path& path,
                           const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
  out.close();
  if (!out)
    return make_error(ec::io_error, path.string() + ": cannot write");
  return caf::none;
}

/// A progress bar on stderr when it is a terminal.
eval::progress_fn progress_bar(const std::string& label) {
  if (!::isatty(STDERR_FILENO))
    return {};
  return [label](size_t done, size_t total) {
    const size_t width = 30;
    size_t filled = total == 0 ? width : done * width / total;
    std::cerr << "\r" << label << " [" << std::string(filled, '#')
              << std::string(width - filled, ' ') << "] " << done << "/"
              << total << (done == total ? "\n" : "") << std::flush;
  };
}

int run_eval_diff(const eval_flags& flags) {
  auto before = read_json_file(flags.diff_old);
  if (!before)
    return fail(render(before.error()));
  auto after = read_json_file(flags.diff_new);
  if (!after)
    return fail(render(after.error()));
  auto d = eval::diff_reports(*before, *after);
  if (!d)
    return fail(render(d.error()));
  std::cout << eval::render_diff(*d);
  return d->regressions() > 0 ? exit_failure : exit_ok;
}

int run_eval(const common_flags& common, eval_flags flags) {
  auto cfg = build_config(common);
  if (!cfg)
    return fail(render(cfg.error()));
  if (flags.strategies.empty())
    flags.strategies = {"rules"};
  const auto& known = reasoning_strategies();
  for (const auto& name : flags.strategies)
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (const auto& k : known)
        list += (list.empty() ? "" : ", ") + k;
      std::cerr << "kfix: --strategy " << name
                << ": unknown (available: " << list << ")\n";
      return exit_usage;
    }
  int jobs
    = flags.jobs > 0
        ? flags.jobs
        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  auto data = eval::load_for_eval(flags.dataset);
  if (!data)
    return fail(render(data.error()));
  for (const auto& p : data->problems)
    std::cerr << "kfix: not loaded: " << p.dir << ": " << p.reason << "\n";
  std::vector<std::unique_ptr<pipeline_strategy>> owned;
  std::vector<eval::strategy*> strategies;
  for (const auto& name : flags.strategies) {
    owned.push_back(std::make_unique<pipeline_strategy>(name, *cfg));
    owned.back()->use_recordings_of(data->incidents);
    strategies.push_back(owned.back().get());
  }
  eval::eval_policy policy;
  policy.protected_namespaces = cfg->policy.protected_namespaces;
  policy.max_memory_increase_factor = cfg->policy.max_memory_increase_factor;
  auto report
    = eval::evaluate(std::filesystem::path{flags.dataset}.filename().string(),
                     *data, strategies, jobs, policy, progress_bar("eval"));
  auto json = eval::report_json(report);
  auto markdown = eval::report_markdown(report);
  if (!flags.report_dir.empty()) {
    std::error_code err;
    std::filesystem::create_directories(flags.report_dir, err);
    std::filesystem::path dir{flags.report_dir};
    for (const auto& [name, text] :
         {std::pair<std::string, std::string>{"report.json",
                                              json.dump(2) + "\n"},
          {"report.md", markdown},
          {"report.html", eval::report_html(report)}})
      if (auto e = write_text_file(dir / name, text))
        return fail(render(e));
  }
  std::cout << markdown;
  if (!flags.write_baseline.empty())
    if (auto e = write_text_file(flags.write_baseline,
                                 eval::baseline_of(json).dump(2) + "\n"))
      return fail(render(e));
  nlohmann::json baseline = {{"strategies", nlohmann::json::object()}};
  if (!flags.baseline.empty()) {
    auto loaded = read_json_file(flags.baseline);
    if (!loaded)
      return fail(render(loaded.error()));
    baseline = std::move(*loaded);
  }
  auto failures = eval::gate_failures(json, baseline);
  for (const auto& f : failures)
    std::cerr << "kfix: eval gate: " << f << "\n";
  return failures.empty() ? exit_ok : exit_failure;
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
  auto playbooks = reasoning::load_playbooks(playbook_paths(cfg->reasoning));
  if (!playbooks)
    return fail(render(playbooks.error()));
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
    {"reasoning", cfg->reasoning.strategy},
    {"playbooks", playbooks->playbooks.size()},
    {"playbook_files", playbooks->files}};
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
  auto* log_level_opt
    = app
        .add_option("--log-level", common.log_level,
                    "debug, info, warn or error (eval: default warn)")
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

  eval_flags eval;
  auto* eval_cmd = app.add_subcommand(
    "eval", "Score decision strategies on a dataset of recorded incidents");
  eval_cmd->add_option("--dataset", eval.dataset, "dataset folder")
    ->check(CLI::ExistingDirectory);
  eval_cmd->add_option("--strategy", eval.strategies,
                       "strategy to score (repeatable; default rules)");
  eval_cmd->add_option("--report", eval.report_dir,
                       "folder for report.json, report.md and report.html");
  eval_cmd
    ->add_option("--jobs", eval.jobs,
                 "incidents in flight (default: the core count)")
    ->check(CLI::Range(1, 256));
  eval_cmd
    ->add_option("--baseline", eval.baseline,
                 "fail when a summary figure falls below this "
                 "baseline (or report.json)")
    ->check(CLI::ExistingFile);
  eval_cmd->add_option("--write-baseline", eval.write_baseline,
                       "write this run's summaries as a baseline file");
  auto* diff_cmd = eval_cmd->add_subcommand(
    "diff", "Compare two report.json files, incident by incident");
  diff_cmd->add_option("OLD", eval.diff_old, "earlier report.json")
    ->required()
    ->check(CLI::ExistingFile);
  diff_cmd->add_option("NEW", eval.diff_new, "later report.json")
    ->required()
    ->check(CLI::ExistingFile);

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
  // The eval runs every incident of a dataset: its per-stage lines would
  // drown the report, so it logs warnings only unless asked.
  if (eval_cmd->parsed() && log_level_opt->count() == 0)
    common.log_level = "warn";
  log::level lvl = log::level::info;
  log::parse_level(common.log_level, lvl);
  log::set_level(lvl);
  if (serve_cmd->parsed())
    return run_serve(common, serve);
  if (replay_cmd->parsed())
    return run_replay(common, incident_dir, as_json);
  if (check_cmd->parsed())
    return run_config_check(common);
  if (diff_cmd->parsed())
    return run_eval_diff(eval);
  if (eval_cmd->parsed()) {
    if (eval.dataset.empty()) {
      std::cerr << "kfix eval: --dataset is required\n";
      return exit_usage;
    }
    return run_eval(common, eval);
  }
  if (record_cmd->parsed()) {
    record.deadline = std::chrono::milliseconds{record_deadline_ms};
    return run_record(common, record);
  }
  return exit_usage;
}
