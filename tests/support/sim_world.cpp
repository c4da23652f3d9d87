#include "tests/support/sim_world.hpp"

#include <fstream>
#include <sstream>

namespace kfix::test {

namespace {

using json = nlohmann::json;

/// List items as objects: apiVersion and kind back, namespace `web`.
std::vector<json> items_of(const std::string& file, const std::string& kind,
                           const std::string& api_version) {
  std::vector<json> result;
  auto list = context_data(file);
  for (auto item : list["items"]) {
    item["apiVersion"] = api_version;
    item["kind"] = kind;
    if (kind != "Node")
      item["metadata"]["namespace"] = "web";
    result.push_back(std::move(item));
  }
  return result;
}

json event(const std::string& name, const std::string& kind,
           const std::string& object, const std::string& reason,
           const std::string& message, const std::string& type,
           const std::string& first, const std::string& last, int count,
           const std::string& component) {
  return json{{"apiVersion", "v1"},
              {"kind", "Event"},
              {"metadata", {{"name", name}, {"namespace", "web"}}},
              {"involvedObject",
               {{"kind", kind}, {"name", object}, {"namespace", "web"}}},
              {"reason", reason},
              {"message", message},
              {"type", type},
              {"firstTimestamp", first},
              {"lastTimestamp", last},
              {"count", count},
              {"source", {{"component", component}}}};
}

json config(const std::string& kind, const std::string& name,
            std::vector<std::string> keys) {
  json data = json::object();
  for (const auto& k : keys)
    data[k] = kind == "Secret" ? "c2VjcmV0" : "value";
  return json{{"apiVersion", "v1"},
              {"kind", kind},
              {"metadata", {{"name", name}, {"namespace", "web"}}},
              {"data", data}};
}

/// A series with one point a minute over the last `minutes` before the
/// alert, values from `value(i)`.
template <class F>
json series(const std::string& metric, std::vector<std::string> tags,
            const char* unit, int minutes, F value) {
  json points = json::array();
  for (int i = minutes; i >= 0; --i)
    points.push_back(json::array({rich_alert_time_s - i * 60, value(i)}));
  json s{{"metric", metric},
         {"tags", std::move(tags)},
         {"interval", 60},
         {"points", points}};
  if (unit != nullptr)
    s["unit"] = unit;
  return s;
}

json log_event(const std::string& id, const std::string& ts,
               const std::string& status, const std::string& message) {
  return json{
    {"id", id},
    {"type", "log"},
    {"attributes",
     {{"timestamp", ts},
      {"status", status},
      {"service", "api"},
      {"host", "node-a"},
      {"message", message},
      {"tags",
       {"kube_namespace:web", "kube_deployment:api", "pod_name:api-7f-fghij",
        "kube_container_name:app", "env:prod"}}}}};
}

} // namespace

json context_data(const std::string& file) {
  std::ifstream in{std::string{KFIX_SOURCE_DIR} + "/tests/data/context/"
                   + file};
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str());
}

sim_world::sim_world(int threads) {
  auto* host = &host_;
  http::server_config srv;
  srv.threads = threads;
  auto k8s = http::start_server(
    srv, http::sync_handler([host](const http::request& req) {
      return host->handle_kubernetes(req);
    }));
  auto dd = http::start_server(
    srv, http::sync_handler([host](const http::request& req) {
      return host->handle_datadog(req);
    }));
  if (k8s)
    k8s_ = std::move(*k8s);
  if (dd)
    dd_ = std::move(*dd);
}

sim_world::~sim_world() {
  if (k8s_)
    k8s_->stop();
  if (dd_)
    dd_->stop();
}

void sim_world::add(const std::string& id, const workload_ref& workload,
                    int64_t received_at_s, sim::cluster_state state) {
  sim::recorded_incident inc;
  inc.id = id;
  inc.workload = workload;
  inc.received_at_s = received_at_s;
  host_.add_incident(inc, std::move(state));
}

std::string sim_world::kubernetes_url(const std::string& id) const {
  return k8s_->base_url() + sim::simulator_host::base_path(id);
}

std::string sim_world::datadog_url(const std::string& id) const {
  return dd_->base_url() + sim::simulator_host::base_path(id);
}

context::api_endpoint
sim_world::kubernetes_endpoint(const std::string& id) const {
  return {kubernetes_url(id),
          {{"Authorization", "Bearer test-token"}},
          std::chrono::milliseconds{3000}};
}

context::api_endpoint sim_world::datadog_endpoint(const std::string& id) const {
  return {
    datadog_url(id),
    {{"DD-API-KEY", "test-api-key"}, {"DD-APPLICATION-KEY", "test-app-key"}},
    std::chrono::milliseconds{3000}};
}

std::unique_ptr<sim_world> rich_world(const std::string& id) {
  auto world = std::make_unique<sim_world>();
  world->add(id, {"Deployment", "web", "api"}, rich_alert_time_s, rich_state());
  return world;
}

context::fetch_scope rich_scope() {
  context::fetch_scope s;
  s.workload = {"Deployment", "web", "api"};
  s.service = "api";
  s.env = "prod";
  s.alert_time_s = rich_alert_time_s;
  return s;
}

sim::cluster_state rich_state() {
  sim::cluster_state state;
  auto& objects = state.objects;
  objects.push_back(context_data("deployment_probes.json"));
  for (auto& x : items_of("replicaset_list.json", "ReplicaSet", "apps/v1"))
    objects.push_back(std::move(x));
  for (auto& x : items_of("pod_pending.json", "Pod", "v1"))
    objects.push_back(std::move(x));
  for (auto& x :
       items_of("hpa_list.json", "HorizontalPodAutoscaler", "autoscaling/v2"))
    objects.push_back(std::move(x));
  for (auto& x : items_of("pdb_list.json", "PodDisruptionBudget", "policy/v1"))
    objects.push_back(std::move(x));
  for (auto& x : items_of("limit_range_list.json", "LimitRange", "v1"))
    objects.push_back(std::move(x));
  for (auto& x : items_of("quota_list.json", "ResourceQuota", "v1"))
    objects.push_back(std::move(x));
  for (auto& x : items_of("node_list.json", "Node", "v1"))
    objects.push_back(std::move(x));
  // Config objects: api-files, api-extra and api-ca are missing; api-tls
  // lacks tls.key; api-config lacks `features`.
  objects.push_back(config("Secret", "api-db", {"password", "user"}));
  objects.push_back(config("Secret", "api-tls", {"tls.crt"}));
  objects.push_back(config("Secret", "api-bundle", {"bundle.pem"}));
  objects.push_back(config("Secret", "registry-pull", {".dockerconfigjson"}));
  objects.push_back(config("ConfigMap", "api-config", {"settings.yaml"}));
  // Events: scheduling of the Pending pod, the crash loop, the rollout.
  objects.push_back(
    event("api-7f-abcde.1", "Pod", "api-7f-abcde", "FailedScheduling",
          "0/2 nodes are available: 1 Insufficient memory, 1 node(s) were "
          "unschedulable.",
          "Warning", "2026-01-02T03:10:00Z", "2026-01-02T03:14:30Z", 9,
          "default-scheduler"));
  objects.push_back(event("api-7f-fghij.1", "Pod", "api-7f-fghij", "BackOff",
                          "Back-off restarting failed container app", "Warning",
                          "2026-01-02T03:08:05Z", "2026-01-02T03:14:00Z", 12,
                          "kubelet"));
  objects.push_back(event("api.1", "Deployment", "api", "ScalingReplicaSet",
                          "Scaled up replica set api-7f to 4", "Normal",
                          "2026-01-02T03:04:06Z", "2026-01-02T03:04:06Z", 1,
                          "deployment-controller"));
  objects.push_back(event("other.1", "Pod", "other-6d5f-zzzzz", "Pulled",
                          "pulled", "Normal", "2026-01-02T03:00:00Z",
                          "2026-01-02T03:00:00Z", 1, "kubelet"));
  // Metrics: app throttled half the time, APM errors rising.
  std::vector<std::string> app_tags{"kube_namespace:web", "kube_deployment:api",
                                    "pod_name:api-7f-fghij",
                                    "kube_container_name:app"};
  state.metric_series.push_back(
    series("kubernetes.cpu.cfs.periods", app_tags, nullptr, 120, [](int) {
      return 10.0;
    }));
  state.metric_series.push_back(series("kubernetes.cpu.cfs.throttled.periods",
                                       app_tags, nullptr, 120, [](int i) {
                                         return i % 2 == 0 ? 8.0 : 2.0;
                                       }));
  state.metric_series.push_back(
    series("kubernetes.cpu.usage.total", app_tags, "nanocore", 120, [](int) {
      return 9.5e8;
    }));
  state.metric_series.push_back(
    series("kubernetes.cpu.limits", app_tags, "core", 120, [](int) {
      return 1.0;
    }));
  state.metric_series.push_back(
    series("kubernetes.memory.working_set", app_tags, "byte", 120, [](int i) {
      return 3e8 + i * 1e5;
    }));
  std::vector<std::string> apm_tags{"service:api", "env:prod",
                                    "resource:get_/orders"};
  state.metric_series.push_back(
    series("trace.http.request.hits", apm_tags, nullptr, 120, [](int) {
      return 100.0;
    }));
  state.metric_series.push_back(
    series("trace.http.request.errors", apm_tags, nullptr, 120, [](int i) {
      return i < 30 ? 20.0 : 1.0;
    }));
  state.metric_series.push_back(
    series("trace.http.request", apm_tags, "second", 120, [](int i) {
      return i < 30 ? 1.2 : 0.2;
    }));
  // Logs: the same failure many times, and one with a secret.
  for (int i = 0; i < 12; ++i)
    state.logs.push_back(log_event("log-" + std::to_string(i),
                                   "2026-01-02T03:" + std::to_string(10 + i % 5)
                                     + ":0" + std::to_string(i % 10) + "Z",
                                   "error",
                                   "upstream timeout after "
                                     + std::to_string(1000 + i) + "ms calling "
                                     + "orders-db"));
  state.logs.push_back(log_event("log-secret", "2026-01-02T03:14:59Z", "error",
                                 "login failed for ops@example.com with "
                                 "password=hunter2"));
  state.logs.push_back(
    log_event("log-info", "2026-01-02T03:14:58Z", "info", "healthy"));
  return state;
}

} // namespace kfix::test
