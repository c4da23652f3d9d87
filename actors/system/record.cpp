#include "actors/system/record.hpp"

#include "actors/common/log.hpp"
#include "actors/common/time_text.hpp"
#include "actors/context/context_parse.hpp"
#include "actors/context/datadog_source.hpp"
#include "actors/context/k8s_source.hpp"
#include "actors/context/recording.hpp"
#include "actors/intake/alert_parser.hpp"
#include "actors/patch/manifest_edit.hpp"
#include "actors/publish/gitlab_gitops_source.hpp"
#include "actors/system/endpoints.hpp"
#include "eval/sim/state.hpp"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>

namespace kfix {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

/// Writes each exchange to cassette.jsonl as it happens and feeds the state
/// recorder. Thread-safe: the fetchers record concurrently.
class recorder {
public:
  recorder(const fs::path& cassette, std::map<std::string, std::string> bases)
    : out_(cassette), bases_(std::move(bases)) {}

  bool ok() const {
    return static_cast<bool>(out_);
  }

  void observe(const http::outgoing& req, const http::incoming& res) {
    auto base = bases_.count(req.service) ? bases_.at(req.service) : "";
    auto line = context::cassette_entry(req, res, base).dump();
    std::lock_guard<std::mutex> guard{mtx_};
    out_ << line << '\n';
    state_.add(req, res);
  }

  /// The recorded state; call after every fetch has finished.
  const context::state_recorder& state() {
    std::lock_guard<std::mutex> guard{mtx_};
    out_.flush();
    return state_;
  }

private:
  std::mutex mtx_;
  std::ofstream out_;
  std::map<std::string, std::string> bases_;
  context::state_recorder state_;
};

caf::error write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  std::ofstream out{path, std::ios::binary};
  out << text;
  out.close();
  if (!out)
    return make_error(ec::unavailable, "cannot write " + path.string());
  return caf::none;
}

caf::expected<std::string> read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return make_error(ec::invalid_input, "cannot read " + path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

caf::error check_out_dir(const fs::path& dir, const std::string& id,
                         bool force) {
  static const std::regex id_pattern{"[a-z0-9][a-z0-9-]*"};
  if (!std::regex_match(id, id_pattern))
    return make_error(ec::invalid_input,
                      "--out: the folder name \"" + id
                        + "\" is the incident id and must match "
                          "[a-z0-9][a-z0-9-]*");
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec) && !force)
    return make_error(ec::refused, "--out: " + dir.string()
                                     + " is not empty (use --force to write "
                                       "into it)");
  fs::create_directories(dir / "state", ec);
  if (ec)
    return make_error(ec::unavailable, "--out: cannot create "
                                         + (dir / "state").string() + ": "
                                         + ec.message());
  return caf::none;
}

/// incident.yaml: the metadata, an empty `expected` section to fill in, and
/// notes on what the recording could not read.
std::string incident_yaml(const std::string& id, const enriched_alert& alert,
                          const context_bundle& bundle,
                          const gitops_target& gitops,
                          const std::string& k8s_description,
                          const std::string& datadog_base) {
  auto workload = bundle.workload_found ? bundle.workload.ref : alert.workload;
  std::string notes
    = "Recorded by kfix record at " + format_rfc3339_s(std::time(nullptr))
      + " from " + k8s_description + " and Datadog " + datadog_base + ".\n";
  for (const auto& s : bundle.sources)
    if (s.status != source_status::ok)
      notes += s.source + ": " + std::string{to_string(s.status)}
               + (s.reason.empty() ? "" : " (" + s.reason + ")") + "\n";
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "format" << YAML::Value << "kfix-incident/v1";
  out << YAML::Key << "id" << YAML::Value << id;
  out << YAML::Key << "title" << YAML::Value
      << (alert.title.empty()
            ? std::string{to_string(alert.type)} + " on " + workload.display()
            : alert.title);
  out << YAML::Key << "alert_type" << YAML::Value
      << std::string{to_string(alert.type)};
  out << YAML::Key << "env" << YAML::Value
      << (alert.env.empty() ? std::string{"unknown"} : alert.env);
  if (!alert.cluster.empty())
    out << YAML::Key << "cluster" << YAML::Value << alert.cluster;
  out << YAML::Key << "received_at" << YAML::Value << YAML::DoubleQuoted
      << format_rfc3339_s(alert.date_ms / 1000);
  if (!gitops.project.empty()) {
    out << YAML::Key << "gitops" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "project" << YAML::Value << gitops.project;
    out << YAML::Key << "target_branch" << YAML::Value << gitops.target_branch;
    out << YAML::EndMap;
  }
  out << YAML::Key << "workload" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "kind" << YAML::Value << workload.kind;
  out << YAML::Key << "namespace" << YAML::Value << workload.ns;
  out << YAML::Key << "name" << YAML::Value << workload.name;
  out << YAML::EndMap;
  out << YAML::Key << "expected" << YAML::Value
      << YAML::Comment("to fill in: decision fix | escalate | no_action, and "
                       "the accept / reject entries")
      << YAML::BeginMap;
  out << YAML::Key << "decision" << YAML::Value << YAML::Null;
  out << YAML::Key << "accept" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << YAML::EndSeq;
  out << YAML::Key << "reject" << YAML::Value << YAML::Flow << YAML::BeginSeq
      << YAML::EndSeq;
  out << YAML::EndMap;
  out << YAML::Key << "source" << YAML::Value << "recorded";
  out << YAML::Key << "notes" << YAML::Value << YAML::Literal << notes;
  out << YAML::EndMap;
  return std::string{out.c_str()} + "\n";
}

/// The GitOps files of the folder holding the workload's manifest.
std::vector<repo_file> gitops_files(const agent_config& cfg,
                                    std::shared_ptr<http::client> client,
                                    const gitops_target& target,
                                    const workload_ref& workload,
                                    std::string& warning) {
  publish::gitlab_gitops_source source{std::move(client), cfg.gitlab,
                                       cfg.secret.gitlab_token};
  auto files = source.list_manifests(target, cfg.gitlab.manifests_path);
  if (!files) {
    warning = "gitops: " + render(files.error());
    return {};
  }
  auto where = patching::find_workload_manifest(*files, workload);
  if (!where) {
    warning = "gitops: " + render(where.error());
    return {};
  }
  auto folder = fs::path{where->path}.parent_path();
  std::vector<repo_file> result;
  for (auto& f : *files)
    if (fs::path{f.path}.parent_path() == folder)
      result.push_back(std::move(f));
  return result;
}

} // namespace

caf::expected<record_outcome> record_incident(const record_options& opts,
                                              const agent_config& cfg) {
  if (cfg.simulated_kubernetes() || cfg.simulated_datadog())
    return make_error(ec::invalid_config,
                      "kfix record captures a live incident: configure the "
                      "Kubernetes API (kubernetes.api_url, "
                      "kubernetes.kubeconfig or in-cluster) and "
                      "KFIX_DATADOG_API_KEY / KFIX_DATADOG_APP_KEY");
  auto raw = read_file(opts.alert_file);
  if (!raw)
    return make_error(ec::invalid_input, "--alert: " + render(raw.error()));
  auto alert = intake::parse_alert(*raw);
  if (!alert)
    return make_error(ec::invalid_input, "--alert " + opts.alert_file + ": "
                                           + render(alert.error()));
  if (alert->workload.ns.empty()
      || (alert->workload.name.empty() && alert->pod.empty()))
    return make_error(ec::invalid_input,
                      "--alert " + opts.alert_file
                        + ": the alert names no workload (kube_namespace and "
                          "kube_deployment / kube_stateful_set / "
                          "kube_daemon_set, or pod_name)");
  if (alert->date_ms == 0)
    alert->date_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
  fs::path dir{opts.out_dir};
  auto id = dir.lexically_normal().filename().string();
  if (id.empty())
    id = dir.lexically_normal().parent_path().filename().string();
  if (auto err = check_out_dir(dir, id, opts.force))
    return err;
  auto access = resolve_kubernetes_access(cfg);
  if (!access)
    return access.error();
  incident_endpoints endpoints;
  configured_datadog(cfg, endpoints);
  std::vector<std::pair<std::string, std::string>> k8s_headers;
  if (access->token) {
    auto token = access->token->token();
    if (!token)
      return token.error();
    if (!token->empty())
      k8s_headers.emplace_back("Authorization", "Bearer " + *token);
  }
  // Every client records into the same cassette.
  auto rec = std::make_shared<recorder>(
    dir / "cassette.jsonl",
    std::map<std::string, std::string>{{"kubernetes", access->base_url},
                                       {"datadog", endpoints.datadog_url},
                                       {"gitlab", cfg.gitlab.url}});
  if (!rec->ok())
    return make_error(ec::unavailable,
                      "cannot write " + (dir / "cassette.jsonl").string());
  auto observe = [rec](const http::outgoing& req, const http::incoming& res) {
    rec->observe(req, res);
  };
  auto k8s_cfg = access->tls;
  k8s_cfg.observer = observe;
  http::client_config other_cfg;
  other_cfg.observer = observe;
  auto k8s_client = http::make_curl_client(k8s_cfg);
  auto client = http::make_curl_client(other_cfg);
  // The three fetchers, concurrently, as the agent runs them.
  auto scope = context::make_fetch_scope(*alert);
  auto deadline = std::chrono::steady_clock::now() + opts.deadline;
  context::api_endpoint k8s_api{access->base_url, k8s_headers,
                                cfg.kubernetes.timeout};
  context::api_endpoint dd_api{endpoints.datadog_url, endpoints.datadog_headers,
                               cfg.datadog.timeout};
  std::vector<context::context_part> parts(3);
  context::k8s_limits limits;
  limits.max_pods = static_cast<size_t>(cfg.kubernetes.max_pods);
  limits.max_events = static_cast<size_t>(cfg.kubernetes.max_events);
  {
    std::thread metrics{[&] {
      parts[1] = context::fetch_datadog_metrics(*client, dd_api, scope,
                                                cfg.datadog, deadline);
    }};
    std::thread logs{[&] {
      parts[2] = context::fetch_datadog_logs(*client, dd_api, scope,
                                             cfg.datadog, deadline);
    }};
    parts[0] = context::fetch_kubernetes(*k8s_client, k8s_api, scope, deadline,
                                         limits);
    metrics.join();
    logs.join();
  }
  record_outcome result;
  result.dir = dir.string();
  result.id = id;
  result.bundle = context::merge_context(std::move(parts));
  // GitOps files, when GitLab is configured.
  gitops_target gitops{cfg.gitlab.project, cfg.gitlab.target_branch};
  std::string gitops_warning;
  if (!cfg.gitlab.url.empty() && !gitops.project.empty()) {
    auto workload = result.bundle.workload_found ? result.bundle.workload.ref
                                                 : alert->workload;
    for (auto& f :
         gitops_files(cfg, client, gitops, workload, gitops_warning)) {
      if (auto err = write_file(dir / "gitops" / f.path, f.content))
        return err;
      result.gitops_files.push_back(f.path);
    }
    if (!gitops_warning.empty())
      log::warn("record", "gitops-not-recorded", {{"why", gitops_warning}});
  }
  // state/ from the responses.
  const auto& state = rec->state();
  auto objects = state.kubernetes_objects();
  auto metrics = state.metrics();
  auto logs = state.logs();
  result.exchanges = state.exchanges();
  result.kubernetes_objects = objects.size();
  result.metric_series = metrics["series"].size();
  result.log_events = logs.size();
  std::string log_lines;
  for (const auto& e : logs)
    log_lines += e.dump() + "\n";
  for (auto err :
       {write_file(dir / "alert.json", *raw),
        write_file(dir / "state" / "kubernetes.json",
                   json(objects).dump(1) + "\n"),
        write_file(dir / "state" / "metrics.json", metrics.dump() + "\n"),
        write_file(dir / "state" / "logs.jsonl", log_lines),
        write_file(dir / "incident.yaml",
                   incident_yaml(id, *alert, result.bundle, gitops,
                                 access->description, endpoints.datadog_url))})
    if (err)
      return err;
  // What was written must load again.
  if (auto loaded = sim::load_state(dir / "state"); !loaded)
    return make_error(ec::unspecified, "the recorded state does not load: "
                                         + render(loaded.error()));
  return result;
}

} // namespace kfix
