#include "eval/workload_view.hpp"

#include <nlohmann/json.hpp>

namespace kfix::eval {

container_view* workload_view::container(const std::string& name) {
  for (auto& c : containers)
    if (c.name == name)
      return &c;
  return nullptr;
}

const container_view* workload_view::container(const std::string& name) const {
  for (const auto& c : containers)
    if (c.name == name)
      return &c;
  return nullptr;
}

namespace {

/// A JSON scalar as the text a plan parameter would carry.
std::string scalar_text(const nlohmann::json& v) {
  if (v.is_string())
    return v.get<std::string>();
  if (v.is_boolean())
    return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer())
    return std::to_string(v.get<int64_t>());
  if (v.is_number())
    return v.dump();
  return {};
}

const nlohmann::json* find_path(const nlohmann::json& j,
                                std::initializer_list<const char*> path) {
  const nlohmann::json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object())
      return nullptr;
    auto i = cur->find(key);
    if (i == cur->end())
      return nullptr;
    cur = &*i;
  }
  return cur;
}

std::string text_at(const nlohmann::json& j,
                    std::initializer_list<const char*> path) {
  const auto* v = find_path(j, path);
  return v ? scalar_text(*v) : std::string{};
}

/// The vocabulary's name of a resource ("ephemeral-storage" ->
/// "ephemeral_storage").
std::string resource_key(const std::string& resource) {
  std::string key = resource;
  for (auto& c : key)
    if (c == '-')
      c = '_';
  return key;
}

container_view parse_container(const nlohmann::json& c) {
  container_view view;
  view.name = text_at(c, {"name"});
  view.image = text_at(c, {"image"});
  for (const auto& [kind, suffix] :
       {std::pair{"requests", "_request"}, std::pair{"limits", "_limit"}})
    if (const auto* map = find_path(c, {"resources", kind});
        map && map->is_object())
      for (const auto& [resource, value] : map->items())
        view.resources[resource_key(resource) + suffix] = scalar_text(value);
  static const std::pair<const char*, const char*> probe_names[]
    = {{"livenessProbe", "liveness"},
       {"readinessProbe", "readiness"},
       {"startupProbe", "startup"}};
  static const std::pair<const char*, const char*> probe_fields[]
    = {{"initialDelaySeconds", "initial_delay_seconds"},
       {"periodSeconds", "period_seconds"},
       {"timeoutSeconds", "timeout_seconds"},
       {"failureThreshold", "failure_threshold"},
       {"successThreshold", "success_threshold"}};
  for (const auto& [field, name] : probe_names) {
    const auto* probe = find_path(c, {field});
    if (!probe || !probe->is_object())
      continue;
    auto& fields = view.probes[name];
    for (const auto& [api, key] : probe_fields)
      if (auto v = text_at(*probe, {api}); !v.empty())
        fields[key] = v;
  }
  if (const auto* env = find_path(c, {"env"}); env && env->is_array())
    for (const auto& e : *env)
      if (e.contains("value"))
        view.env[text_at(e, {"name"})] = text_at(e, {"value"});
  return view;
}

/// Whether an HPA's scaleTargetRef names the workload.
bool targets(const nlohmann::json& hpa, const workload_ref& ref) {
  return text_at(hpa, {"metadata", "namespace"}) == ref.ns
         && text_at(hpa, {"spec", "scaleTargetRef", "kind"}) == ref.kind
         && text_at(hpa, {"spec", "scaleTargetRef", "name"}) == ref.name;
}

std::map<std::string, std::string> parse_hpa(const nlohmann::json& hpa) {
  std::map<std::string, std::string> view;
  auto min = text_at(hpa, {"spec", "minReplicas"});
  view["min_replicas"] = min.empty() ? "1" : min;
  view["max_replicas"] = text_at(hpa, {"spec", "maxReplicas"});
  // autoscaling/v1
  if (auto cpu = text_at(hpa, {"spec", "targetCPUUtilizationPercentage"});
      !cpu.empty())
    view["target_cpu_utilization"] = cpu;
  // autoscaling/v2
  if (const auto* metrics = find_path(hpa, {"spec", "metrics"});
      metrics && metrics->is_array())
    for (const auto& m : *metrics) {
      if (text_at(m, {"type"}) != "Resource")
        continue;
      auto name = text_at(m, {"resource", "name"});
      auto target = text_at(m, {"resource", "target", "averageUtilization"});
      if (!target.empty() && (name == "cpu" || name == "memory"))
        view["target_" + name + "_utilization"] = target;
    }
  return view;
}

} // namespace

caf::expected<workload_view> view_of(const std::vector<nlohmann::json>& objects,
                                     const workload_ref& ref) {
  const nlohmann::json* workload = nullptr;
  for (const auto& o : objects)
    if (text_at(o, {"kind"}) == ref.kind
        && text_at(o, {"metadata", "name"}) == ref.name
        && text_at(o, {"metadata", "namespace"}) == ref.ns)
      workload = &o;
  if (workload == nullptr)
    return make_error(ec::not_found,
                      "state/kubernetes.yaml: no " + ref.display());
  workload_view view;
  view.ref = ref;
  if (auto replicas = find_path(*workload, {"spec", "replicas"});
      replicas && replicas->is_number_integer())
    view.replicas = replicas->get<int64_t>();
  if (const auto* containers
      = find_path(*workload, {"spec", "template", "spec", "containers"});
      containers && containers->is_array())
    for (const auto& c : *containers)
      view.containers.push_back(parse_container(c));
  for (const auto& o : objects)
    if (text_at(o, {"kind"}) == "HorizontalPodAutoscaler" && targets(o, ref))
      view.hpa = parse_hpa(o);
  return view;
}

std::map<std::string, std::vector<std::string>>
revision_memory_limits(const std::vector<nlohmann::json>& objects,
                       const workload_ref& ref) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& o : objects) {
    auto kind = text_at(o, {"kind"});
    if (kind != "ReplicaSet" && kind != "ControllerRevision")
      continue;
    if (text_at(o, {"metadata", "namespace"}) != ref.ns
        || text_at(o, {"metadata", "name"}).rfind(ref.name + "-", 0) != 0)
      continue;
    const auto* containers
      = kind == "ReplicaSet"
          ? find_path(o, {"spec", "template", "spec", "containers"})
          : find_path(o, {"data", "spec", "template", "spec", "containers"});
    if (containers == nullptr || !containers->is_array())
      continue;
    for (const auto& c : *containers)
      if (auto limit = text_at(c, {"resources", "limits", "memory"});
          !limit.empty())
        out[text_at(c, {"name"})].push_back(limit);
  }
  return out;
}

workload_view apply_plan(workload_view view, const plan& p) {
  for (const auto& a : p.actions) {
    auto* c = view.container(a.container);
    switch (a.type) {
      case action_type::set_resources:
        if (c != nullptr)
          for (const auto& [key, value] : a.params) {
            if (key.find("_request") == std::string::npos
                && key.find("_limit") == std::string::npos)
              continue;
            if (value == "unset")
              c->resources.erase(key);
            else
              c->resources[key] = value;
          }
        break;
      case action_type::scale_replicas:
        if (auto r = a.param("replicas"); !r.empty())
          view.replicas = std::strtoll(r.c_str(), nullptr, 10);
        break;
      case action_type::set_hpa:
        for (const auto& [key, value] : a.params)
          view.hpa[key] = value;
        break;
      case action_type::rollback:
      case action_type::set_image:
        if (c != nullptr && !a.param("image").empty())
          c->image = a.param("image");
        break;
      case action_type::set_probe: {
        if (c == nullptr || a.param("probe").empty())
          break;
        if (a.param("remove") == "true") {
          c->probes.erase(a.param("probe"));
          break;
        }
        auto& fields = c->probes[a.param("probe")];
        for (const auto& [key, value] : a.params)
          if (key != "probe" && key != "remove")
            fields[key] = value;
        break;
      }
      case action_type::set_env:
        if (c != nullptr && !a.param("name").empty())
          c->env[a.param("name")] = a.param("value");
        break;
      case action_type::restart:
      case action_type::escalate:
        break;
    }
  }
  return view;
}

} // namespace kfix::eval
