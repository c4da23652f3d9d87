#include "actors/system/endpoints.hpp"

#include "actors/common/log.hpp"
#include "actors/common/time_text.hpp"
#include "actors/context/context_parse.hpp"
#include "actors/context/json_dom.hpp"
#include "actors/publish/base64.hpp"
#include "eval/sim/simulator_host.hpp"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>

extern char** environ;

namespace kfix {

namespace {

using steady = std::chrono::steady_clock;

std::string trimmed(std::string text) {
  while (!text.empty()
         && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  return text;
}

// -- token sources ------------------------------------------------------------

class static_token_source : public token_source {
public:
  explicit static_token_source(std::string token) : token_(std::move(token)) {}

  caf::expected<std::string> token() override {
    return token_;
  }

private:
  std::string token_;
};

class file_token_source : public token_source {
public:
  explicit file_token_source(std::string path) : path_(std::move(path)) {}

  caf::expected<std::string> token() override {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0)
      return make_error(ec::invalid_config, "cannot read the Kubernetes token "
                                            "file "
                                              + path_ + ": "
                                              + std::strerror(errno));
    std::lock_guard<std::mutex> guard{mtx_};
    auto changed = st.st_mtim.tv_sec != mtime_.tv_sec
                   || st.st_mtim.tv_nsec != mtime_.tv_nsec
                   || st.st_size != size_ || !loaded_;
    if (changed) {
      std::ifstream in{path_};
      if (!in)
        return make_error(ec::invalid_config,
                          "cannot read the Kubernetes token file " + path_);
      std::stringstream buf;
      buf << in.rdbuf();
      token_ = trimmed(buf.str());
      mtime_ = st.st_mtim;
      size_ = st.st_size;
      if (loaded_)
        log::info("kubernetes-auth", "token-reloaded", {{"file", path_}});
      loaded_ = true;
    }
    return token_;
  }

private:
  std::string path_;
  std::mutex mtx_;
  std::string token_;
  timespec mtime_{};
  off_t size_ = -1;
  bool loaded_ = false;
};

class exec_token_source : public token_source {
public:
  exec_token_source(kube_exec_config exec, std::string server,
                    exec_credential first)
    : exec_(std::move(exec)), server_(std::move(server)) {
    store(std::move(first));
  }

  caf::expected<std::string> token() override {
    std::lock_guard<std::mutex> guard{mtx_};
    if (steady::now() < valid_until_)
      return token_;
    auto fresh = run_exec_plugin(exec_, server_);
    if (!fresh)
      return fresh.error();
    store(std::move(*fresh));
    return token_;
  }

private:
  void store(exec_credential cred) {
    token_ = std::move(cred.token);
    auto lifetime = std::chrono::milliseconds{5 * 60 * 1000};
    if (cred.expires_ms > 0) {
      auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
      lifetime = std::chrono::milliseconds{
        std::max<int64_t>(0, cred.expires_ms - now_ms - 30'000)};
    }
    valid_until_ = steady::now() + lifetime;
  }

  kube_exec_config exec_;
  std::string server_;
  std::mutex mtx_;
  std::string token_;
  steady::time_point valid_until_;
};

// -- exec plugins -------------------------------------------------------------

/// Reads both pipes until the child closes them or the time is up.
/// Returns false on timeout.
bool drain(int out_fd, int err_fd, std::string& out, std::string& err,
           steady::time_point until) {
  constexpr size_t max_output = 1u << 20;
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  auto open = 2;
  char buf[4096];
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  until - steady::now())
                  .count();
    if (left <= 0)
      return false;
    auto n = ::poll(fds, 2, static_cast<int>(left));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n == 0 ? false : true;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
        continue;
      auto got = ::read(fds[i].fd, buf, sizeof(buf));
      if (got <= 0) {
        fds[i].fd = -1;
        --open;
        continue;
      }
      auto& sink = i == 0 ? out : err;
      if (sink.size() < max_output)
        sink.append(buf, static_cast<size_t>(got));
    }
  }
  return true;
}

caf::expected<exec_credential> parse_exec_credential(const std::string& text,
                                                     const std::string& what) {
  namespace jd = context::json_dom;
  jd::dom::parser parser;
  jd::dom::element doc;
  if (auto err = jd::parse_doc(parser, text, doc, what))
    return err;
  if (jd::text_of(doc["kind"]) != "ExecCredential")
    return make_error(ec::invalid_input,
                      what + ": the output is no ExecCredential");
  auto status = doc["status"];
  exec_credential result;
  result.token = jd::text_of(status["token"]);
  result.client_certificate_data = jd::text_of(status["clientCertificateData"]);
  result.client_key_data = jd::text_of(status["clientKeyData"]);
  auto expiry = jd::text_of(status["expirationTimestamp"]);
  if (!expiry.empty())
    result.expires_ms = parse_rfc3339_ms(expiry).value_or(0);
  if (result.token.empty() && result.client_certificate_data.empty())
    return make_error(ec::invalid_input, what
                                           + ": status has neither token nor "
                                             "clientCertificateData");
  return result;
}

/// Base64 of a kubeconfig `*-data` field, decoded; `field` names it in
/// errors.
caf::expected<std::string> decode_data(const std::string& data,
                                       const std::string& file,
                                       const std::string& field) {
  auto decoded = publish::base64_decode(data);
  if (!decoded)
    return make_error(ec::invalid_config, file + ": " + field + ": not base64: "
                                            + render(decoded.error()));
  return decoded;
}

caf::expected<kubernetes_access>
from_kubeconfig(const agent_config& cfg, const std::string& token_override) {
  auto kc = load_kubeconfig(cfg.kubernetes.kubeconfig, cfg.kubernetes.context);
  if (!kc)
    return kc.error();
  const auto& file = kc->file;
  if (!kc->tls_server_name.empty())
    return make_error(ec::invalid_config,
                      file
                        + ": tls-server-name: not supported; point server "
                          "at a name the API server's certificate covers");
  kubernetes_access result;
  result.base_url = kc->server;
  result.description = "kubeconfig " + file + " (context " + kc->context + ")";
  result.default_namespace = kc->ns;
  auto& tls = result.tls;
  tls.ca_file = kc->ca_file;
  if (!kc->ca_data.empty()) {
    auto pem = decode_data(kc->ca_data, file, "certificate-authority-data");
    if (!pem)
      return pem.error();
    tls.ca_pem = std::move(*pem);
  }
  tls.insecure_skip_verify
    = kc->insecure_skip_tls_verify || cfg.kubernetes.insecure_skip_tls_verify;
  tls.proxy_url = kc->proxy_url;
  tls.client_cert_file = kc->client_cert_file;
  tls.client_key_file = kc->client_key_file;
  if (!kc->client_cert_data.empty()) {
    auto pem
      = decode_data(kc->client_cert_data, file, "client-certificate-data");
    if (!pem)
      return pem.error();
    tls.client_cert_pem = std::move(*pem);
  }
  if (!kc->client_key_data.empty()) {
    auto pem = decode_data(kc->client_key_data, file, "client-key-data");
    if (!pem)
      return pem.error();
    tls.client_key_pem = std::move(*pem);
  }
  if (!token_override.empty()) {
    result.token = make_static_token_source(token_override);
  } else if (!kc->token.empty()) {
    result.token = make_static_token_source(kc->token);
  } else if (!kc->token_file.empty()) {
    result.token = make_file_token_source(kc->token_file);
    if (auto t = result.token->token(); !t)
      return t.error();
  } else if (kc->exec) {
    auto cred = run_exec_plugin(*kc->exec, kc->server);
    if (!cred)
      return make_error(ec::invalid_config,
                        file + ": exec plugin: " + render(cred.error()));
    if (!cred->client_certificate_data.empty()) {
      tls.client_cert_pem = cred->client_certificate_data;
      tls.client_key_pem = cred->client_key_data;
    }
    if (!cred->token.empty())
      result.token
        = make_exec_token_source(*kc->exec, kc->server, std::move(*cred));
  }
  return result;
}

caf::expected<kubernetes_access> in_cluster(const agent_config& cfg,
                                            const std::string& sa_dir,
                                            const std::string& token_override) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0')
    return make_error(ec::invalid_config,
                      "no Kubernetes API configured: set kubernetes.api_url "
                      "or kubernetes.kubeconfig, or run in a pod");
  std::string h{host};
  if (h.find(':') != std::string::npos && h.front() != '[')
    h = "[" + h + "]"; // IPv6
  kubernetes_access result;
  result.base_url
    = "https://" + h + ":" + std::string{port && *port ? port : "443"};
  result.description = "in-cluster (service account)";
  auto ca = cfg.kubernetes.ca_file.empty() ? sa_dir + "/ca.crt"
                                           : cfg.kubernetes.ca_file;
  if (::access(ca.c_str(), R_OK) == 0)
    result.tls.ca_file = ca;
  else if (!cfg.kubernetes.ca_file.empty())
    return make_error(ec::invalid_config,
                      "kubernetes.ca_file: cannot read " + ca);
  result.tls.insecure_skip_verify = cfg.kubernetes.insecure_skip_tls_verify;
  std::ifstream ns{sa_dir + "/namespace"};
  std::getline(ns, result.default_namespace);
  if (!token_override.empty()) {
    result.token = make_static_token_source(token_override);
  } else {
    auto file = cfg.kubernetes.token_file.empty() ? sa_dir + "/token"
                                                  : cfg.kubernetes.token_file;
    result.token = make_file_token_source(file);
    if (auto t = result.token->token(); !t)
      return t.error();
  }
  return result;
}

} // namespace

std::shared_ptr<token_source> make_static_token_source(std::string token) {
  return std::make_shared<static_token_source>(std::move(token));
}

std::shared_ptr<token_source> make_file_token_source(std::string path) {
  return std::make_shared<file_token_source>(std::move(path));
}

std::shared_ptr<token_source> make_exec_token_source(kube_exec_config exec,
                                                     std::string server,
                                                     exec_credential first) {
  return std::make_shared<exec_token_source>(std::move(exec), std::move(server),
                                             std::move(first));
}

caf::expected<exec_credential>
run_exec_plugin(const kube_exec_config& exec, const std::string& server,
                std::chrono::milliseconds timeout) {
  auto what = "exec plugin " + exec.command;
  // KUBERNETES_EXEC_INFO: no terminal, the cluster when asked for.
  auto api_version = exec.api_version.empty()
                       ? std::string{"client.authentication.k8s.io/v1"}
                       : exec.api_version;
  nlohmann::json info{{"apiVersion", api_version},
                      {"kind", "ExecCredential"},
                      {"spec", {{"interactive", false}}}};
  if (exec.provide_cluster_info)
    info["spec"]["cluster"] = {{"server", server}};
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    env.emplace_back(*e);
  for (const auto& [name, value] : exec.env)
    env.push_back(name + "=" + value);
  env.push_back("KUBERNETES_EXEC_INFO=" + info.dump());
  std::vector<char*> envp;
  for (auto& e : env)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> args{exec.command};
  args.insert(args.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe(out_pipe) != 0)
    return make_error(ec::unavailable,
                      what + ": pipe: " + std::strerror(errno));
  if (::pipe(err_pipe) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return make_error(ec::unavailable,
                      what + ": pipe: " + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  posix_spawn_file_actions_addclose(&actions, out_pipe[0]);
  posix_spawn_file_actions_addclose(&actions, err_pipe[0]);
  pid_t pid = 0;
  auto rc = ::posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr,
                           argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return make_error(ec::invalid_config,
                      what + ": cannot run it: " + std::strerror(rc));
  }
  std::string out;
  std::string err;
  auto finished
    = drain(out_pipe[0], err_pipe[0], out, err, steady::now() + timeout);
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (!finished)
    ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!finished)
    return make_error(ec::timeout, what + ": no answer within "
                                     + std::to_string(timeout.count()) + " ms");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    auto code = WIFEXITED(status)
                  ? "exit code " + std::to_string(WEXITSTATUS(status))
                  : std::string{"killed by a signal"};
    auto detail = trimmed(err.substr(0, 300));
    return make_error(ec::unavailable,
                      what + ": " + code
                        + (detail.empty() ? std::string{} : ": " + detail));
  }
  return parse_exec_credential(out, what);
}

caf::expected<kubernetes_access>
resolve_kubernetes_access(const agent_config& cfg,
                          const std::string& service_account_dir) {
  const auto& k = cfg.kubernetes;
  const auto& token_override = cfg.secret.kubernetes_token;
  if (!k.api_url.empty()) {
    kubernetes_access result;
    result.base_url = k.api_url;
    result.description = "kubernetes.api_url";
    result.tls.ca_file = k.ca_file;
    result.tls.insecure_skip_verify = k.insecure_skip_tls_verify;
    if (!token_override.empty()) {
      result.token = make_static_token_source(token_override);
    } else if (!k.token_file.empty()) {
      result.token = make_file_token_source(k.token_file);
      if (auto t = result.token->token(); !t)
        return t.error();
    }
    return result;
  }
  if (!k.kubeconfig.empty())
    return from_kubeconfig(cfg, token_override);
  return in_cluster(cfg, service_account_dir, token_override);
}

// -- incident endpoints -------------------------------------------------------

agent_resolver::agent_resolver(std::shared_ptr<const agent_config> cfg,
                               std::shared_ptr<simulation_endpoints> sim,
                               std::optional<kubernetes_access> access)
  : cfg_(std::move(cfg)), simulation_(std::move(sim)),
    access_(std::move(access)) {}

void configured_datadog(const agent_config& cfg, incident_endpoints& out) {
  out.datadog_url = context::datadog_base_url(cfg.datadog);
  out.datadog_headers = {{"DD-API-KEY", cfg.secret.datadog_api_key},
                         {"DD-APPLICATION-KEY", cfg.secret.datadog_app_key}};
}

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
    std::shared_ptr<token_source> tokens;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (!access_) {
        auto access = resolve_kubernetes_access(cfg);
        if (!access)
          return access.error();
        access_ = std::move(*access);
      }
      result->kubernetes_url = access_->base_url;
      tokens = access_->token;
    }
    // Asked on every incident: file tokens rotate, exec tokens expire.
    if (tokens) {
      auto token = tokens->token();
      if (!token)
        return token.error();
      if (!token->empty())
        result->kubernetes_headers.emplace_back("Authorization",
                                                "Bearer " + *token);
    }
  }
  if (!sim_dd)
    configured_datadog(cfg, *result);
  return endpoints_ptr{std::move(result)};
}

} // namespace kfix
