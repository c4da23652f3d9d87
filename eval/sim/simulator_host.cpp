#include "eval/sim/simulator_host.hpp"

#include "eval/sim/util.hpp"

#include <algorithm>
#include <mutex>

namespace kfix::sim {

simulator_host::simulator_host() = default;

simulator_host::~simulator_host() = default;

caf::error simulator_host::add_incident(const recorded_incident& incident) {
  auto state = load_state(incident.dir / "state");
  if (!state)
    return make_error(ec::invalid_input,
                      incident.id + ": " + error_message(state.error()));
  add_incident(incident, std::move(*state));
  return {};
}

void simulator_host::add_incident(const recorded_incident& incident,
                                  cluster_state state) {
  auto e = std::make_shared<entry>();
  e->id = incident.id;
  e->workload = incident.workload;
  e->received_at_s = incident.received_at_s;
  // The Kubernetes side needs the objects (and the logs, for pods/log), the
  // Datadog side the series and the logs.
  cluster_state k8s_part;
  k8s_part.objects = std::move(state.objects);
  k8s_part.logs = state.logs;
  e->kubernetes = std::make_unique<k8s_simulator>(std::move(k8s_part));
  e->datadog = std::make_unique<datadog_simulator>(std::move(state));
  // Relative log times ("now-15m") count from the alert, or from the newest
  // log when logs were recorded after it.
  e->datadog->set_now(
    std::max(e->datadog->now(), incident.received_at_s * 1000));
  std::unique_lock<std::shared_mutex> guard{mtx_};
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(),
                                [&](const auto& x) {
                                  return x->id == incident.id;
                                }),
                 entries_.end());
  entries_.push_back(std::move(e));
  std::sort(entries_.begin(), entries_.end(), [](const auto& x, const auto& y) {
    return x->id < y->id;
  });
}

std::shared_ptr<const simulator_host::entry>
simulator_host::route(const http::request& req, http::request& stripped) const {
  auto path = request_path(req);
  if (!starts_with(path, "/i/"))
    return nullptr;
  auto slash = path.find('/', 3);
  auto id = path.substr(3, slash == std::string::npos ? std::string::npos
                                                      : slash - 3);
  if (id.empty())
    return nullptr;
  std::shared_ptr<const entry> found;
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    for (const auto& e : entries_)
      if (e->id == id)
        found = e;
  }
  if (found != nullptr)
    stripped = strip_prefix(req, base_path(id));
  return found;
}

http::response
simulator_host::handle_kubernetes(const http::request& req) const {
  http::request stripped;
  auto e = route(req, stripped);
  if (e == nullptr)
    return k8s_simulator::unknown_path_response();
  return e->kubernetes->handle(stripped);
}

http::response simulator_host::handle_datadog(const http::request& req) const {
  http::request stripped;
  auto e = route(req, stripped);
  if (e == nullptr)
    return datadog_simulator::error_response(404, "Not found");
  return e->datadog->handle(stripped);
}

std::optional<std::string>
simulator_host::find_incident(const workload_ref& w) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  const entry* best = nullptr;
  for (const auto& e : entries_) {
    if (e->workload.ns != w.ns || e->workload.name != w.name)
      continue;
    if (!w.kind.empty() && e->workload.kind != w.kind)
      continue;
    if (best == nullptr || e->received_at_s > best->received_at_s
        || (e->received_at_s == best->received_at_s && e->id > best->id))
      best = e.get();
  }
  if (best == nullptr)
    return std::nullopt;
  return best->id;
}

std::vector<std::string> simulator_host::incident_ids() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  std::vector<std::string> ids;
  for (const auto& e : entries_)
    ids.push_back(e->id);
  return ids;
}

k8s_simulator* simulator_host::kubernetes(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  for (const auto& e : entries_)
    if (e->id == id)
      return e->kubernetes.get();
  return nullptr;
}

datadog_simulator* simulator_host::datadog(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  for (const auto& e : entries_)
    if (e->id == id)
      return e->datadog.get();
  return nullptr;
}

std::string simulator_host::base_path(const std::string& id) {
  return "/i/" + id;
}

} // namespace kfix::sim
