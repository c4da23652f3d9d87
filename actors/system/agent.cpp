#include "actors/system/agent.hpp"

#include "actors/actors.hpp"
#include "actors/common/http_server.hpp"
#include "actors/common/log.hpp"
#include "actors/common/metrics.hpp"
#include "actors/intake/webhook_handler.hpp"
#include "actors/publish/gitlab_gitops_source.hpp"
#include "actors/publish/gitlab_publisher.hpp"
#include "actors/publish/local_git_publisher.hpp"
#include "actors/system/endpoints.hpp"
#include "actors/system/supervisor.hpp"
#include "eval/sim/simulator_host.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <mutex>

namespace kfix {

bool is_loopback_address(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]"
         || host.rfind("127.", 0) == 0;
}

namespace {

/// Splits "ADDRESS:PORT".
std::pair<std::string, uint16_t> split_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  auto host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return {host, static_cast<uint16_t>(std::stoi(listen.substr(colon + 1)))};
}

/// Loads the simulation datasets and serves them on two loopback ports.
caf::expected<std::shared_ptr<simulation_endpoints>>
start_simulation(const agent_config& cfg, const agent_overrides& overrides,
                 std::vector<std::unique_ptr<http::server>>& servers) {
  auto sim = std::make_shared<simulation_endpoints>();
  sim->host = overrides.simulator ? overrides.simulator
                                  : std::make_shared<sim::simulator_host>();
  for (const auto& inc : overrides.simulated_incidents)
    sim->incidents.emplace(inc.id, inc);
  for (const auto& dir : cfg.simulation.incidents) {
    auto inc = sim::load_incident(dir);
    if (!inc)
      return inc.error();
    if (auto err = sim->host->add_incident(*inc))
      return err;
    auto id = inc->id;
    sim->incidents.emplace(id, std::move(*inc));
  }
  for (const auto& dir : cfg.simulation.datasets) {
    auto loaded = sim::load_dataset_lenient(dir);
    if (!loaded) {
      log::warn("simulation", "dataset-not-loaded",
                {{"dir", dir}, {"error", render(loaded.error())}});
      continue;
    }
    for (const auto& failure : loaded->failures)
      log::warn(
        "simulation", "incident-not-loaded",
        {{"dir", failure.dir.string()}, {"error", render(failure.error)}});
    for (auto& inc : loaded->incidents) {
      if (auto err = sim->host->add_incident(inc)) {
        log::warn("simulation", "incident-not-simulated",
                  {{"incident", inc.id}, {"error", render(err)}});
        continue;
      }
      sim->incidents.emplace(inc.id, std::move(inc));
    }
  }
  if (sim->incidents.empty())
    return make_error(ec::invalid_config,
                      "no Kubernetes/Datadog credentials configured and no "
                      "incident could be loaded from simulation.datasets");
  auto host = sim->host;
  http::server_config scfg;
  auto k8s = http::start_server(
    scfg, http::sync_handler([host](const http::request& r) {
      return host->handle_kubernetes(r);
    }));
  if (!k8s)
    return k8s.error();
  auto dd = http::start_server(
    scfg, http::sync_handler([host](const http::request& r) {
      return host->handle_datadog(r);
    }));
  if (!dd)
    return dd.error();
  sim->kubernetes_base = (*k8s)->base_url();
  sim->datadog_base = (*dd)->base_url();
  servers.push_back(std::move(*k8s));
  servers.push_back(std::move(*dd));
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& [id, inc] : sim->incidents)
    ids.push_back(id);
  log::info("simulation", "simulated-apis-started",
            {{"kubernetes", sim->kubernetes_base},
             {"datadog", sim->datadog_base},
             {"incidents", ids}});
  return sim;
}

/// A store shared by the HTTP threads for incident lookups.
class locked_store {
public:
  explicit locked_store(std::unique_ptr<store::incident_store> db)
    : db_(std::move(db)) {}
  caf::expected<std::string> incident_json(int64_t id) {
    std::lock_guard<std::mutex> guard{mtx_};
    return db_->incident_json(id);
  }
  caf::error ping() {
    std::lock_guard<std::mutex> guard{mtx_};
    return db_->ping();
  }

private:
  std::mutex mtx_;
  std::unique_ptr<store::incident_store> db_;
};

class agent_impl : public agent {
public:
  ~agent_impl() override {
    stop();
  }

  caf::error start(std::shared_ptr<const agent_config> cfg,
                   agent_overrides overrides) {
    cfg_ = cfg;
    auto [host, port] = split_listen(cfg->server.listen);
    if (!overrides.without_server && !cfg->webhook_authenticated()) {
      if (!is_loopback_address(host))
        return make_error(ec::refused,
                          "refusing to listen on " + cfg->server.listen
                            + " without webhook authentication: set "
                              "KFIX_WEBHOOK_TOKEN (or "
                              "KFIX_WEBHOOK_BEARER_TOKEN / "
                              "KFIX_WEBHOOK_BASIC_AUTH), or listen on "
                              "127.0.0.1");
      log::warn("agent", "webhook-unauthenticated",
                {{"listen", cfg->server.listen},
                 {"hint", "set KFIX_WEBHOOK_TOKEN to require X-KFix-Token"}});
    }
    // -- services ---------------------------------------------------------
    auto services = std::make_shared<pipeline_services>();
    services->cfg = cfg;
    auto playbooks = reasoning::load_playbooks(playbook_paths(cfg->reasoning));
    if (!playbooks)
      return playbooks.error();
    services->playbooks
      = std::make_shared<const reasoning::playbook_set>(std::move(*playbooks));
    services->http = http::make_curl_client();
    // The Kubernetes API's own client: its CA, client certificate, proxy.
    std::optional<kubernetes_access> k8s_access;
    if (!cfg->simulated_kubernetes()) {
      auto access = resolve_kubernetes_access(*cfg);
      if (!access)
        return access.error();
      log::info("agent", "kubernetes-api",
                {{"url", log::redact_url(access->base_url)},
                 {"auth", access->description}});
      k8s_access = std::move(*access);
    }
    services->kubernetes_http = http::make_curl_client(
      k8s_access ? k8s_access->tls : http::client_config{});
    std::shared_ptr<simulation_endpoints> simulation;
    if (cfg->simulated_kubernetes() || cfg->simulated_datadog()) {
      auto started = start_simulation(*cfg, overrides, sim_servers_);
      if (!started)
        return started.error();
      simulation = *started;
    }
    resolver_ = std::make_shared<agent_resolver>(cfg, simulation,
                                                 std::move(k8s_access));
    services->resolver = resolver_;
    if (!cfg->gitlab.url.empty()) {
      services->gitops = std::make_shared<publish::gitlab_gitops_source>(
        services->http, cfg->gitlab, cfg->secret.gitlab_token);
      services->publisher = std::make_shared<publish::gitlab_publisher>(
        services->http, cfg->gitlab, cfg->secret.gitlab_token);
    } else {
      services->publisher
        = std::make_shared<publish::local_git_publisher>(cfg->state_dir);
    }
    if (overrides.publisher)
      services->publisher = overrides.publisher;
    else if (cfg->gitlab.url.empty())
      log::info("agent", "local-git-publisher",
                {{"repositories",
                  (std::filesystem::path{cfg->state_dir} / "gitops").string()},
                 {"merge_requests",
                  (std::filesystem::path{cfg->state_dir} / "merge-requests")
                    .string()}});
    if (overrides.make_store) {
      services->make_store = overrides.make_store;
    } else {
      if (cfg->database_url.empty())
        return make_error(ec::invalid_config,
                          "no database: pass --database-url or set "
                          "KFIX_DATABASE_URL");
      if (auto err = store::migrate(cfg->database_url))
        return err;
      auto dsn = cfg->database_url;
      services->make_store = [dsn] {
        return store::make_pg_store(dsn);
      };
    }
    // -- actors -----------------------------------------------------------
    caf_cfg_.set("scheduler.max-threads", size_t{2});
    caf_cfg_.set("logger.verbosity", caf::atom("quiet"));
    system_ = std::make_unique<caf::actor_system>(caf_cfg_);
    supervisor_ = system_->spawn(supervisor, services_ptr{services});
    caf::scoped_actor self{*system_};
    caf::error failed;
    self->request(supervisor_, std::chrono::seconds{10}, atom::status::value)
      .receive(
        [&](const intake_actor& h) {
          intake_ = h;
        },
        [&](caf::error& err) {
          failed = err;
        });
    if (!failed)
      self->request(supervisor_, std::chrono::seconds{10}, atom::process::value)
        .receive(
          [&](const coordinator_actor& h) {
            coordinator_ = h;
          },
          [&](caf::error& err) {
            failed = err;
          });
    if (failed)
      return make_error(ec::unspecified,
                        "actors did not start: " + render(failed));
    // -- intake server ----------------------------------------------------
    if (overrides.without_server)
      return caf::none;
    lookup_store_ = std::make_shared<locked_store>(services->make_store());
    auto lookup = lookup_store_;
    // A weak handle: the server must not keep INTAKE alive at shutdown.
    auto intake = caf::actor_cast<caf::actor_addr>(intake_);
    intake::webhook_auth auth;
    auth.header = cfg->server.auth_header;
    std::transform(auth.header.begin(), auth.header.end(), auth.header.begin(),
                   [](unsigned char c) {
                     return std::tolower(c);
                   });
    auth.token = cfg->secret.webhook_token;
    auth.bearer = cfg->secret.webhook_bearer_token;
    auth.basic = cfg->secret.webhook_basic_auth;
    admission_.capacity = cfg->server.queue_capacity;
    auto depth = admission_.in_flight;
    metrics::default_registry().gauge_callback(
      "kfix_intake_queue_depth",
      "Alerts accepted by the webhook and not yet committed", [depth] {
        return static_cast<double>(depth->load());
      });
    auto handler = intake::make_webhook_handler(
      auth, admission_,
      [intake](submission_ptr sub) {
        if (auto h = caf::actor_cast<intake_actor>(intake))
          caf::anon_send(h, sub);
        else
          sub->respond(503,
                       R"({"error":{"status":503,"message":"shutting down"}})");
      },
      [lookup](int64_t id) {
        return lookup->incident_json(id);
      },
      [lookup]() {
        return lookup->ping();
      });
    http::server_config scfg;
    scfg.address = host;
    scfg.port = port;
    scfg.threads = cfg->server.threads;
    scfg.body_limit = cfg->server.body_limit;
    scfg.read_timeout = cfg->server.read_timeout;
    scfg.max_connections = cfg->server.max_connections;
    auto server = http::start_server(scfg, std::move(handler));
    if (!server)
      return server.error();
    server_ = std::move(*server);
    log::info(
      "agent", "listening",
      {{"address", host},
       {"port", server_->port()},
       {"webhook", "POST /datadog-webhook"},
       {"auth", cfg->secret.webhook_token.empty() ? "none" : "X-KFix-Token"}});
    return caf::none;
  }

  /// Whether the supervisor answers (its core actors are up).
  caf::error actors_up() {
    caf::scoped_actor self{*system_};
    caf::error result;
    self->request(supervisor_, std::chrono::seconds{1}, atom::status::value)
      .receive([](const intake_actor&) {},
               [&](caf::error& err) {
                 result = make_error(ec::unavailable,
                                     "actors not responding: " + render(err));
               });
    return result;
  }

  uint16_t port() const override {
    return server_ ? server_->port() : 0;
  }

  void process(job_ptr job) override {
    caf::anon_send(coordinator_, atom::process::value, std::move(job));
  }

  caf::expected<endpoints_ptr> resolve(const enriched_alert& alert) override {
    return resolver_->resolve(alert);
  }

  caf::expected<endpoints_ptr>
  resolve_simulated(const std::string& incident_id) override {
    return resolver_->resolve_simulated(incident_id);
  }

  void kill_stage(const std::string& role) override {
    caf::scoped_actor self{*system_};
    self
      ->request(supervisor_, std::chrono::seconds{5}, atom::stage::value, role)
      .receive(
        [&](const caf::actor& h) {
          caf::anon_send_exit(h, caf::exit_reason::kill);
        },
        [&](caf::error&) {});
  }

  void wait() override {
    caf::scoped_actor self{*system_};
    self->wait_for(supervisor_);
  }

  void stop() override {
    if (stopped_ || !system_)
      return;
    stopped_ = true;
    // Intake first: no new alert is accepted while the rest drains.
    if (server_)
      server_->stop();
    metrics::default_registry().remove_gauge_callback(
      "kfix_intake_queue_depth");
    caf::anon_send_exit(supervisor_, caf::exit_reason::user_shutdown);
    {
      caf::scoped_actor self{*system_};
      self->wait_for(supervisor_);
    }
    supervisor_ = nullptr;
    intake_ = nullptr;
    coordinator_ = nullptr;
    system_.reset();
    for (auto& s : sim_servers_)
      s->stop();
    log::info("agent", "stopped");
  }

private:
  std::shared_ptr<const agent_config> cfg_;
  std::vector<std::unique_ptr<http::server>> sim_servers_;
  std::shared_ptr<agent_resolver> resolver_;
  caf::actor_system_config caf_cfg_;
  std::unique_ptr<caf::actor_system> system_;
  caf::actor supervisor_;
  intake_actor intake_;
  coordinator_actor coordinator_;
  std::shared_ptr<locked_store> lookup_store_;
  intake::admission_control admission_;
  std::unique_ptr<http::server> server_;
  bool stopped_ = false;
};

} // namespace

caf::expected<std::unique_ptr<agent>>
start_agent(std::shared_ptr<const agent_config> cfg,
            agent_overrides overrides) {
  auto result = std::make_unique<agent_impl>();
  if (auto err = result->start(std::move(cfg), std::move(overrides)))
    return err;
  return std::unique_ptr<agent>{std::move(result)};
}

} // namespace kfix
