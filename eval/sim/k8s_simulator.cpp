#include "eval/sim/k8s_simulator.hpp"

#include "eval/sim/faults.hpp"
#include "eval/sim/k8s_patch.hpp"
#include "eval/sim/k8s_selectors.hpp"
#include "eval/sim/quantity.hpp"
#include "eval/sim/util.hpp"
#include "eval/sim/yaml_json.hpp"

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace kfix::sim {

namespace {

using json = nlohmann::json;

constexpr const char* service_account = "system:serviceaccount:k-fix:k-fix";

// -- resources ----------------------------------------------------------------

struct resource_info {
  std::string group;
  std::string version;
  std::string resource;
  std::string singular;
  std::string kind;
  bool namespaced = true;
  std::vector<std::string> short_names;

  std::string group_version() const {
    return group.empty() ? version : group + "/" + version;
  }
  /// "deployments.apps", "pods".
  std::string qualified() const {
    return group.empty() ? resource : resource + "." + group;
  }
  /// "Deployment.apps", "Pod".
  std::string qualified_kind() const {
    return group.empty() ? kind : kind + "." + group;
  }
  std::string store_key() const {
    return group_version() + "/" + resource;
  }
};

std::vector<resource_info> builtin_resources() {
  auto r = [](std::string group, std::string version, std::string resource,
              std::string kind, bool namespaced,
              std::vector<std::string> short_names = {}) {
    resource_info info;
    info.group = std::move(group);
    info.version = std::move(version);
    info.resource = std::move(resource);
    info.kind = std::move(kind);
    info.singular = to_lower(info.kind);
    info.namespaced = namespaced;
    info.short_names = std::move(short_names);
    return info;
  };
  return {
    r("", "v1", "pods", "Pod", true, {"po"}),
    r("", "v1", "events", "Event", true, {"ev"}),
    r("", "v1", "services", "Service", true, {"svc"}),
    r("", "v1", "endpoints", "Endpoints", true, {"ep"}),
    r("", "v1", "configmaps", "ConfigMap", true, {"cm"}),
    r("", "v1", "secrets", "Secret", true),
    r("", "v1", "serviceaccounts", "ServiceAccount", true, {"sa"}),
    r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true,
      {"pvc"}),
    r("", "v1", "resourcequotas", "ResourceQuota", true, {"quota"}),
    r("", "v1", "limitranges", "LimitRange", true, {"limits"}),
    r("", "v1", "replicationcontrollers", "ReplicationController", true,
      {"rc"}),
    r("", "v1", "podtemplates", "PodTemplate", true),
    r("", "v1", "nodes", "Node", false, {"no"}),
    r("", "v1", "namespaces", "Namespace", false, {"ns"}),
    r("", "v1", "persistentvolumes", "PersistentVolume", false, {"pv"}),
    r("apps", "v1", "deployments", "Deployment", true, {"deploy"}),
    r("apps", "v1", "replicasets", "ReplicaSet", true, {"rs"}),
    r("apps", "v1", "statefulsets", "StatefulSet", true, {"sts"}),
    r("apps", "v1", "daemonsets", "DaemonSet", true, {"ds"}),
    r("apps", "v1", "controllerrevisions", "ControllerRevision", true),
    r("autoscaling", "v2", "horizontalpodautoscalers",
      "HorizontalPodAutoscaler", true, {"hpa"}),
    r("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true,
      {"pdb"}),
    r("events.k8s.io", "v1", "events", "Event", true, {"ev"}),
    r("batch", "v1", "jobs", "Job", true),
    r("batch", "v1", "cronjobs", "CronJob", true, {"cj"}),
    r("networking.k8s.io", "v1", "ingresses", "Ingress", true, {"ing"}),
    r("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true,
      {"netpol"}),
    r("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, {"sc"}),
    r("metrics.k8s.io", "v1beta1", "pods", "PodMetrics", true),
    r("metrics.k8s.io", "v1beta1", "nodes", "NodeMetrics", false),
  };
}

std::string plural_of(const std::string& kind) {
  auto lower = to_lower(kind);
  if (ends_with(lower, "y") && lower.size() > 1
      && std::string_view{"aeiou"}.find(lower[lower.size() - 2])
           == std::string_view::npos)
    return lower.substr(0, lower.size() - 1) + "ies";
  if (ends_with(lower, "s") || ends_with(lower, "x") || ends_with(lower, "ch")
      || ends_with(lower, "sh"))
    return lower + "es";
  return lower + "s";
}

std::pair<std::string, std::string> split_api_version(const std::string& av) {
  auto slash = av.find('/');
  if (slash == std::string::npos)
    return {"", av};
  return {av.substr(0, slash), av.substr(slash + 1)};
}

std::string str_at(const json& obj, const char* a, const char* b = nullptr) {
  if (!obj.is_object() || !obj.contains(a))
    return {};
  const auto& x = obj[a];
  if (b == nullptr)
    return x.is_string() ? x.get<std::string>() : std::string{};
  if (!x.is_object() || !x.contains(b) || !x[b].is_string())
    return {};
  return x[b].get<std::string>();
}

std::string ns_of(const json& obj) {
  return str_at(obj, "metadata", "namespace");
}

std::string name_of(const json& obj) {
  return str_at(obj, "metadata", "name");
}

std::string sort_key(const json& obj) {
  return ns_of(obj) + "/" + name_of(obj);
}

// -- event conversion ---------------------------------------------------------

void copy_if(const json& from, const char* from_key, json& to,
             const char* to_key) {
  if (from.contains(from_key))
    to[to_key] = from[from_key];
}

json core_to_events_v1(const json& ev) {
  json out = json::object();
  out["apiVersion"] = "events.k8s.io/v1";
  out["kind"] = "Event";
  copy_if(ev, "metadata", out, "metadata");
  out["eventTime"] = ev.contains("eventTime") ? ev["eventTime"] : json{};
  if (ev.contains("series") && ev["series"].is_object()) {
    json series = json::object();
    copy_if(ev["series"], "count", series, "count");
    copy_if(ev["series"], "lastObservedTime", series, "lastObservedTime");
    out["series"] = series;
  }
  copy_if(ev, "reportingComponent", out, "reportingController");
  copy_if(ev, "reportingInstance", out, "reportingInstance");
  copy_if(ev, "action", out, "action");
  copy_if(ev, "reason", out, "reason");
  copy_if(ev, "involvedObject", out, "regarding");
  copy_if(ev, "related", out, "related");
  copy_if(ev, "message", out, "note");
  copy_if(ev, "type", out, "type");
  copy_if(ev, "source", out, "deprecatedSource");
  copy_if(ev, "firstTimestamp", out, "deprecatedFirstTimestamp");
  copy_if(ev, "lastTimestamp", out, "deprecatedLastTimestamp");
  copy_if(ev, "count", out, "deprecatedCount");
  return out;
}

json events_v1_to_core(const json& ev) {
  json out = json::object();
  out["apiVersion"] = "v1";
  out["kind"] = "Event";
  copy_if(ev, "metadata", out, "metadata");
  copy_if(ev, "regarding", out, "involvedObject");
  copy_if(ev, "related", out, "related");
  copy_if(ev, "note", out, "message");
  copy_if(ev, "reason", out, "reason");
  copy_if(ev, "type", out, "type");
  copy_if(ev, "action", out, "action");
  copy_if(ev, "deprecatedSource", out, "source");
  copy_if(ev, "deprecatedFirstTimestamp", out, "firstTimestamp");
  copy_if(ev, "deprecatedLastTimestamp", out, "lastTimestamp");
  copy_if(ev, "deprecatedCount", out, "count");
  out["eventTime"] = ev.contains("eventTime") ? ev["eventTime"] : json{};
  if (ev.contains("series") && ev["series"].is_object()) {
    json series = json::object();
    copy_if(ev["series"], "count", series, "count");
    copy_if(ev["series"], "lastObservedTime", series, "lastObservedTime");
    out["series"] = series;
  }
  copy_if(ev, "reportingController", out, "reportingComponent");
  copy_if(ev, "reportingInstance", out, "reportingInstance");
  return out;
}

// -- Status ------------------------------------------------------------------

std::string reason_for(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "Unknown";
  }
}

json resource_details(const resource_info& res, const std::string& name) {
  json details = json::object();
  if (!name.empty())
    details["name"] = name;
  if (!res.group.empty())
    details["group"] = res.group;
  details["kind"] = res.resource;
  return details;
}

// `deployments.apps "checkout"` or `pods` when there is no name.
std::string subject(const resource_info& res, const std::string& name) {
  return name.empty() ? res.qualified() : res.qualified() + " \"" + name + "\"";
}

constexpr const char* expired_message
  = "The provided continue parameter is too old to display a consistent "
    "list result. You can start a new list without the continue parameter, "
    "or use the continue token in this response to retrieve the remainder of "
    "the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted "
    "between the time the first chunk was returned and now may show up in "
    "the list.";

constexpr const char* unsupported_media_message
  = "the body of the request was in an unknown format - accepted media types "
    "include: application/json-patch+json, application/merge-patch+json, "
    "application/apply-patch+yaml, application/strategic-merge-patch+json";

// -- pod specs and quantities -------------------------------------------------

// The pod spec path inside an object of `kind`, empty when it has none.
std::vector<std::string> pod_spec_path(const std::string& kind) {
  if (kind == "Pod")
    return {"spec"};
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet"
      || kind == "ReplicaSet" || kind == "ReplicationController"
      || kind == "Job")
    return {"spec", "template", "spec"};
  if (kind == "CronJob")
    return {"spec", "jobTemplate", "spec", "template", "spec"};
  if (kind == "PodTemplate")
    return {"template", "spec"};
  return {};
}

json* pod_spec_of(json& obj, const std::string& kind) {
  auto path = pod_spec_path(kind);
  if (path.empty())
    return nullptr;
  json* cur = &obj;
  for (const auto& key : path) {
    if (!cur->is_object() || !cur->contains(key))
      return nullptr;
    cur = &(*cur)[key];
  }
  return cur->is_object() ? cur : nullptr;
}

std::string joined(const std::vector<std::string>& parts, const char* sep) {
  std::string result;
  for (const auto& p : parts) {
    if (!result.empty())
      result += sep;
    result += p;
  }
  return result;
}

std::string quantity_text(const json& value) {
  if (value.is_string())
    return value.get<std::string>();
  if (value.is_number_integer())
    return std::to_string(value.get<int64_t>());
  if (value.is_number())
    return value.dump();
  return value.dump();
}

// Rewrites requests/limits of every container to canonical quantity strings,
// as the API server returns them.
void canonicalize_resources(json& obj, const std::string& kind) {
  auto* spec = pod_spec_of(obj, kind);
  if (spec == nullptr)
    return;
  for (auto list : {"containers", "initContainers"}) {
    if (!spec->contains(list) || !(*spec)[list].is_array())
      continue;
    for (auto& c : (*spec)[list]) {
      if (!c.is_object() || !c.contains("resources")
          || !c["resources"].is_object())
        continue;
      for (auto part : {"requests", "limits"}) {
        auto& res = c["resources"];
        if (!res.contains(part) || !res[part].is_object())
          continue;
        for (auto& [name, value] : res[part].items())
          value = canonical_quantity(quantity_text(value));
      }
    }
  }
}

struct field_error {
  std::string field;
  std::string detail; // "Invalid value: \"2Gi\": must be ..."
};

// Validation of the pod spec's resources, as the API server does it.
// Returns a 400 message for malformed quantities, or the field errors.
std::optional<std::string> validate_pod_spec(const json& obj,
                                             const std::string& kind,
                                             std::vector<field_error>& errors) {
  auto path = pod_spec_path(kind);
  if (path.empty())
    return std::nullopt;
  const json* spec = &obj;
  for (const auto& key : path) {
    if (!spec->is_object() || !spec->contains(key))
      return std::nullopt;
    spec = &(*spec)[key];
  }
  auto prefix = joined(path, ".");
  for (auto list : {"containers", "initContainers"}) {
    if (!spec->contains(list) || !(*spec)[list].is_array())
      continue;
    const auto& containers = (*spec)[list];
    for (size_t i = 0; i < containers.size(); ++i) {
      const auto& c = containers[i];
      if (!c.is_object() || !c.contains("resources"))
        continue;
      const auto& res = c["resources"];
      auto base = prefix + "." + list + "[" + std::to_string(i) + "].resources";
      std::map<std::string, std::pair<std::string, quantity>> requests;
      std::map<std::string, std::pair<std::string, quantity>> limits;
      for (auto [part, target] : {std::make_pair("requests", &requests),
                                  std::make_pair("limits", &limits)}) {
        if (!res.is_object() || !res.contains(part) || res[part].is_null())
          continue;
        if (!res[part].is_object())
          return std::string{"json: cannot unmarshal into Go struct field "
                             "ResourceRequirements."}
                 + part + " of type v1.ResourceList";
        for (auto& [name, value] : res[part].items()) {
          auto text = quantity_text(value);
          auto q = parse_quantity(text);
          if (!q || value.is_null() || value.is_boolean())
            return std::string{
              "quantities must match the regular expression "
              "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"};
          if (q->nanos < 0)
            errors.push_back(field_error{base + "." + part + "[" + name + "]",
                                         "Invalid value: \"" + to_string(*q)
                                           + "\": must be greater than or "
                                             "equal to 0"});
          target->emplace(name, std::make_pair(text, *q));
        }
      }
      for (auto& [name, req] : requests) {
        if (name != "cpu" && name != "memory" && name != "ephemeral-storage")
          continue;
        auto lim = limits.find(name);
        if (lim == limits.end())
          continue;
        if (compare(req.second, lim->second.second) > 0)
          errors.push_back(
            field_error{base + ".requests",
                        "Invalid value: \"" + to_string(req.second)
                          + "\": must be less than or equal to " + name
                          + " limit of " + to_string(lim->second.second)});
      }
    }
  }
  return std::nullopt;
}

// The 422 Status for field errors.
http::response invalid_response(const resource_info& res,
                                const std::string& name,
                                const std::vector<field_error>& errors) {
  std::vector<std::string> parts;
  json causes = json::array();
  for (const auto& e : errors) {
    parts.push_back(e.field + ": " + e.detail);
    causes.push_back(json{{"reason", "FieldValueInvalid"},
                          {"message", e.detail},
                          {"field", e.field}});
  }
  auto aggregated
    = parts.size() == 1 ? parts.front() : "[" + joined(parts, ", ") + "]";
  json details = json::object();
  details["name"] = name;
  if (!res.group.empty())
    details["group"] = res.group;
  details["kind"] = res.kind;
  details["causes"] = causes;
  return k8s_simulator::status_response(422, "Invalid",
                                        res.qualified_kind() + " \"" + name
                                          + "\" is invalid: " + aggregated,
                                        details);
}

// Sums of the pod's effective requests and limits: max(sum of containers,
// largest init container), per resource name.
struct pod_usage {
  std::map<std::string, quantity> requests;
  std::map<std::string, quantity> limits;
  // Resources some container does not specify.
  std::set<std::string> missing_requests;
  std::set<std::string> missing_limits;
};

void add_to(std::map<std::string, quantity>& sums, const std::string& name,
            const quantity& q) {
  auto i = sums.find(name);
  if (i == sums.end())
    sums.emplace(name, q);
  else
    i->second.nanos += q.nanos;
}

pod_usage usage_of(const json& spec) {
  pod_usage result;
  static const std::vector<std::string> tracked{"cpu", "memory",
                                                "ephemeral-storage"};
  auto read = [](const json& c, const char* part) {
    std::map<std::string, quantity> out;
    if (c.contains("resources") && c["resources"].is_object()
        && c["resources"].contains(part) && c["resources"][part].is_object())
      for (auto& [name, value] : c["resources"][part].items())
        if (auto q = parse_quantity(quantity_text(value)))
          out.emplace(name, *q);
    return out;
  };
  if (spec.contains("containers") && spec["containers"].is_array()) {
    for (const auto& c : spec["containers"]) {
      auto req = read(c, "requests");
      auto lim = read(c, "limits");
      for (auto& [n, q] : req)
        add_to(result.requests, n, q);
      for (auto& [n, q] : lim)
        add_to(result.limits, n, q);
      for (const auto& n : tracked) {
        if (req.count(n) == 0)
          result.missing_requests.insert(n);
        if (lim.count(n) == 0)
          result.missing_limits.insert(n);
      }
    }
  }
  if (spec.contains("initContainers") && spec["initContainers"].is_array()) {
    for (const auto& c : spec["initContainers"]) {
      for (auto [part, sums] : {std::make_pair("requests", &result.requests),
                                std::make_pair("limits", &result.limits)}) {
        for (auto& [n, q] : read(c, part)) {
          auto i = sums->find(n);
          if (i == sums->end())
            sums->emplace(n, q);
          else if (compare(q, i->second) > 0)
            i->second = q;
        }
      }
    }
  }
  return result;
}

// -- continue tokens ----------------------------------------------------------

std::string make_continue(const std::string& rv, const std::string& start) {
  json token{{"v", "meta.k8s.io/v1"},
             {"rv", parse_int(rv).value_or(0)},
             {"start", start + std::string(1, '\0')}};
  return base64url_encode(token.dump());
}

std::optional<std::string> read_continue(const std::string& token,
                                         const std::string& rv) {
  auto bytes = base64_decode(token);
  if (!bytes)
    return std::nullopt;
  auto doc = json::parse(*bytes, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()
      || doc.value("v", "") != "meta.k8s.io/v1" || !doc.contains("rv")
      || !doc["rv"].is_number_integer() || !doc.contains("start")
      || !doc["start"].is_string())
    return std::nullopt;
  if (doc["rv"].get<int64_t>() != parse_int(rv).value_or(0))
    return std::nullopt;
  return doc["start"].get<std::string>();
}

// -- routes -------------------------------------------------------------------

struct route {
  const resource_info* res = nullptr;
  std::string ns;
  std::string name;
  std::string subresource;
};

std::string media_type(const std::string& content_type) {
  auto semi = content_type.find(';');
  return to_lower(trim(std::string_view{content_type}.substr(0, semi)));
}

} // namespace

// -- impl ---------------------------------------------------------------------

struct k8s_simulator::impl {
  std::vector<resource_info> resources;
  // store_key() -> objects sorted by namespace and name.
  std::map<std::string, std::vector<json>> store;
  std::string resource_version = "1";
  std::vector<json> logs;

  fault_injector faults;
  mutable std::mutex token_mtx;
  std::string required_token;

  explicit impl(cluster_state state);

  const resource_info* find_resource(const std::string& group,
                                     const std::string& version,
                                     const std::string& resource) const {
    for (const auto& r : resources)
      if (r.group == group && r.version == version && r.resource == resource)
        return &r;
    return nullptr;
  }

  bool known_group_version(const std::string& group,
                           const std::string& version) const {
    for (const auto& r : resources)
      if (r.group == group && r.version == version)
        return true;
    return false;
  }

  const std::vector<json>& objects_of(const resource_info& res) const {
    static const std::vector<json> none;
    auto i = store.find(res.store_key());
    return i == store.end() ? none : i->second;
  }

  const json* find_object(const resource_info& res, const std::string& ns,
                          const std::string& name) const {
    for (const auto& obj : objects_of(res))
      if (name_of(obj) == name && (!res.namespaced || ns_of(obj) == ns))
        return &obj;
    return nullptr;
  }

  http::response serve(const http::request& req) const;
  http::response discovery(const std::vector<std::string>& segs) const;
  http::response resource_list(const std::string& group,
                               const std::string& version) const;
  http::response get(const route& r,
                     const std::multimap<std::string, std::string>& q) const;
  http::response list(const route& r,
                      const std::multimap<std::string, std::string>& q) const;
  http::response patch(const route& r, const http::request& req,
                       const std::multimap<std::string, std::string>& q) const;
  http::response create(const route& r, const http::request& req,
                        const std::multimap<std::string, std::string>& q) const;
  http::response
  pod_log(const route& r, const json& pod,
          const std::multimap<std::string, std::string>& q) const;
  void default_pod_resources(json& pod, const std::string& ns) const;
  std::optional<http::response> admit_pod(const json& pod,
                                          const std::string& ns) const;
  http::response fault_response(int status, const http::request& req) const;
  std::optional<route> parse_route(const std::vector<std::string>& segs,
                                   bool& is_discovery) const;
};

k8s_simulator::impl::impl(cluster_state state) : logs(std::move(state.logs)) {
  resources = builtin_resources();
  int64_t max_rv = 0;
  std::set<std::string> namespaces_seen;
  std::set<std::string> namespace_objects;
  for (auto& obj : state.objects) {
    if (!obj.is_object())
      continue;
    auto api_version = str_at(obj, "apiVersion");
    auto kind = str_at(obj, "kind");
    auto [group, version] = split_api_version(api_version);
    if (auto rv = parse_int(str_at(obj, "metadata", "resourceVersion")))
      max_rv = std::max(max_rv, *rv);
    const resource_info* res = nullptr;
    for (const auto& r : resources)
      if (r.group == group && r.version == version && r.kind == kind)
        res = &r;
    if (res == nullptr) {
      // A kind the simulator does not know (a CRD): serve it under its
      // conventional plural.
      resource_info info;
      info.group = group;
      info.version = version;
      info.kind = kind;
      info.resource = plural_of(kind);
      info.singular = to_lower(kind);
      info.namespaced = !ns_of(obj).empty();
      resources.push_back(info);
      res = &resources.back();
    }
    if (res->namespaced) {
      if (ns_of(obj).empty())
        obj["metadata"]["namespace"] = "default";
      namespaces_seen.insert(ns_of(obj));
    }
    if (res->group.empty() && res->resource == "namespaces")
      namespace_objects.insert(name_of(obj));
    store[res->store_key()].push_back(std::move(obj));
  }
  if (max_rv > 0)
    resource_version = std::to_string(max_rv);
  // Both event APIs serve the same events.
  auto& core = store["v1/events"];
  auto& modern = store["events.k8s.io/v1/events"];
  std::set<std::string> core_keys;
  std::set<std::string> modern_keys;
  for (const auto& ev : core)
    core_keys.insert(sort_key(ev));
  for (const auto& ev : modern)
    modern_keys.insert(sort_key(ev));
  auto core_size = core.size();
  for (const auto& ev : modern)
    if (core_keys.count(sort_key(ev)) == 0)
      core.push_back(events_v1_to_core(ev));
  for (size_t i = 0; i < core_size; ++i)
    if (modern_keys.count(sort_key(core[i])) == 0)
      modern.push_back(core_to_events_v1(core[i]));
  // Every namespace that holds objects exists.
  for (const auto& ns : namespaces_seen) {
    if (namespace_objects.count(ns) != 0)
      continue;
    store["v1/namespaces"].push_back(
      json{{"apiVersion", "v1"},
           {"kind", "Namespace"},
           {"metadata",
            {{"name", ns}, {"labels", {{"kubernetes.io/metadata.name", ns}}}}},
           {"spec", {{"finalizers", {"kubernetes"}}}},
           {"status", {{"phase", "Active"}}}});
  }
  for (auto& [key, objects] : store)
    std::stable_sort(objects.begin(), objects.end(),
                     [](const json& x, const json& y) {
                       return sort_key(x) < sort_key(y);
                     });
}

std::optional<route>
k8s_simulator::impl::parse_route(const std::vector<std::string>& segs,
                                 bool& is_discovery) const {
  is_discovery = false;
  std::string group;
  std::string version;
  size_t base = 0;
  if (segs.size() >= 2 && segs[0] == "api") {
    version = segs[1];
    base = 2;
  } else if (segs.size() >= 3 && segs[0] == "apis") {
    group = segs[1];
    version = segs[2];
    base = 3;
  } else {
    is_discovery = true;
    return std::nullopt;
  }
  if (!known_group_version(group, version))
    return std::nullopt;
  std::vector<std::string> rest(segs.begin() + static_cast<long>(base),
                                segs.end());
  if (rest.empty()) {
    is_discovery = true;
    return std::nullopt;
  }
  route r;
  if (rest[0] == "namespaces" && rest.size() >= 3) {
    auto* res = find_resource(group, version, rest[2]);
    if (res != nullptr && res->namespaced) {
      if (rest.size() > 5)
        return std::nullopt;
      r.res = res;
      r.ns = rest[1];
      if (rest.size() >= 4)
        r.name = rest[3];
      if (rest.size() == 5)
        r.subresource = rest[4];
      return r;
    }
    if (group.empty() && rest.size() == 3
        && (rest[2] == "status" || rest[2] == "finalize")) {
      r.res = find_resource("", "v1", "namespaces");
      r.name = rest[1];
      r.subresource = rest[2];
      return r;
    }
    return std::nullopt;
  }
  auto* res = find_resource(group, version, rest[0]);
  if (res == nullptr || rest.size() > 3)
    return std::nullopt;
  r.res = res;
  if (rest.size() >= 2) {
    if (res->namespaced)
      return std::nullopt; // a namespaced resource needs its namespace
    r.name = rest[1];
  }
  if (rest.size() == 3)
    r.subresource = rest[2];
  return r;
}

http::response
k8s_simulator::impl::fault_response(int status,
                                    const http::request& req) const {
  auto segs = std::vector<std::string>{};
  for (auto& s : split(request_path(req), '/'))
    if (!s.empty())
      segs.push_back(s);
  bool is_discovery = false;
  auto r = parse_route(segs, is_discovery);
  const auto& method = req.method;
  if (status == 403) {
    if (!r) {
      auto verb = to_lower(method.empty() ? "GET" : method);
      return status_response(403, "Forbidden",
                             "forbidden: User \"" + std::string{service_account}
                               + "\" cannot " + verb + " path \""
                               + request_path(req) + "\"",
                             json::object());
    }
    std::string verb = "get";
    if (method == "PATCH")
      verb = "patch";
    else if (method == "POST")
      verb = "create";
    else if (method == "PUT")
      verb = "update";
    else if (method == "DELETE")
      verb = "delete";
    else if (r->name.empty())
      verb = "list";
    auto message = subject(*r->res, r->name) + " is forbidden: User \""
                   + service_account + "\" cannot " + verb + " resource \""
                   + r->res->resource
                   + (r->subresource.empty() ? "" : "/" + r->subresource)
                   + "\" in API group \"" + r->res->group + "\"";
    if (!r->ns.empty())
      message += " in the namespace \"" + r->ns + "\"";
    else
      message += " at the cluster scope";
    return status_response(403, "Forbidden", message,
                           resource_details(*r->res, r->name));
  }
  if (status == 429) {
    auto resp = status_response(429, "TooManyRequests",
                                "Too many requests, please try again later.",
                                json{{"retryAfterSeconds", 1}});
    resp.header("Retry-After", "1");
    return resp;
  }
  if (status == 404 && r && !r->name.empty())
    return status_response(404, "NotFound",
                           subject(*r->res, r->name) + " not found",
                           resource_details(*r->res, r->name));
  if (status == 404)
    return unknown_path_response();
  if (status == 409 && r && !r->name.empty())
    return status_response(
      409, "Conflict",
      "Operation cannot be fulfilled on " + subject(*r->res, r->name)
        + ": the object has been modified; please apply your changes to the "
          "latest version and try again",
      resource_details(*r->res, r->name));
  if (status == 410)
    return status_response(410, "Expired", expired_message, json{});
  if (status == 401)
    return status_response(401, "Unauthorized", "Unauthorized", json{});
  if (status == 500)
    return status_response(500, "InternalError",
                           "Internal error occurred: injected fault",
                           json{{"causes", {{{"message", "injected fault"}}}}});
  if (status == 503)
    return status_response(503, "ServiceUnavailable",
                           "the server is currently unable to handle the "
                           "request",
                           json::object());
  if (status == 504)
    return status_response(504, "Timeout",
                           "the server was unable to return a response in "
                           "the time allotted, but may still be processing "
                           "the request",
                           json::object());
  return status_response(status, reason_for(status),
                         "injected fault (" + std::to_string(status) + ")",
                         json::object());
}

http::response k8s_simulator::impl::serve(const http::request& req) const {
  auto path = request_path(req);
  auto query = request_query(req);
  std::vector<std::string> segs;
  for (auto& s : split(path, '/'))
    if (!s.empty())
      segs.push_back(s);
  auto method = req.method.empty() ? std::string{"GET"} : req.method;
  bool is_discovery = false;
  auto r = parse_route(segs, is_discovery);
  if (!r) {
    if (is_discovery && (method == "GET" || method == "HEAD"))
      return discovery(segs);
    return unknown_path_response();
  }
  if (method == "GET" || method == "HEAD") {
    if (r->name.empty())
      return list(*r, query);
    return get(*r, query);
  }
  if (method == "PATCH") {
    if (r->name.empty())
      return status_response(405, "MethodNotAllowed",
                             "the server does not allow this method on the "
                             "requested resource",
                             json::object());
    return patch(*r, req, query);
  }
  if (method == "POST" && r->name.empty() && r->res->namespaced
      && !r->ns.empty())
    return create(*r, req, query);
  if (method == "POST" || method == "PUT" || method == "DELETE") {
    if (method == "POST" && !r->name.empty())
      return status_response(405, "MethodNotAllowed",
                             "the server does not allow this method on the "
                             "requested resource",
                             json::object());
    return status_response(403, "Forbidden",
                           subject(*r->res, r->name)
                             + " is forbidden: the simulated cluster is "
                               "read-only; use dryRun=All",
                           resource_details(*r->res, r->name));
  }
  return status_response(405, "MethodNotAllowed",
                         "the server does not allow this method on the "
                         "requested resource",
                         json::object());
}

http::response
k8s_simulator::impl::discovery(const std::vector<std::string>& segs) const {
  if (segs.empty()) {
    json paths = json::array({"/api", "/api/v1", "/apis", "/healthz", "/livez",
                              "/readyz", "/version"});
    std::set<std::string> gvs;
    for (const auto& r : resources)
      if (!r.group.empty()) {
        gvs.insert("/apis/" + r.group);
        gvs.insert("/apis/" + r.group_version());
      }
    for (const auto& p : gvs)
      paths.push_back(p);
    return make_json_response(200, json{{"paths", paths}});
  }
  if (segs.size() == 1
      && (segs[0] == "healthz" || segs[0] == "livez" || segs[0] == "readyz")) {
    http::response resp;
    resp.status = 200;
    resp.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    resp.body = "ok";
    return resp;
  }
  if (segs.size() == 1 && segs[0] == "version")
    return make_json_response(
      200, json{{"major", "1"},
                {"minor", "29"},
                {"gitVersion", "v1.29.4"},
                {"gitCommit", "55019c83b0fd51ef4ced8c29eec2c4847f896e74"},
                {"gitTreeState", "clean"},
                {"buildDate", "2024-04-16T15:07:00Z"},
                {"goVersion", "go1.21.9"},
                {"compiler", "gc"},
                {"platform", "linux/amd64"}});
  if (segs.size() == 1 && segs[0] == "api")
    return make_json_response(200,
                              json{{"kind", "APIVersions"},
                                   {"versions", {"v1"}},
                                   {"serverAddressByClientCIDRs",
                                    {{{"clientCIDR", "0.0.0.0/0"},
                                      {"serverAddress", "10.0.0.1:6443"}}}}});
  if (segs.size() == 2 && segs[0] == "api" && segs[1] == "v1")
    return resource_list("", "v1");
  auto group_json = [&](const std::string& group) {
    json versions = json::array();
    std::set<std::string> seen;
    for (const auto& r : resources)
      if (r.group == group && seen.insert(r.version).second)
        versions.push_back(
          json{{"groupVersion", r.group_version()}, {"version", r.version}});
    return json{{"name", group},
                {"versions", versions},
                {"preferredVersion", versions.empty() ? json{} : versions[0]}};
  };
  if (segs.size() == 1 && segs[0] == "apis") {
    json groups = json::array();
    std::set<std::string> seen;
    for (const auto& r : resources)
      if (!r.group.empty() && seen.insert(r.group).second)
        groups.push_back(group_json(r.group));
    return make_json_response(
      200,
      json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}});
  }
  if (segs.size() == 2 && segs[0] == "apis") {
    for (const auto& r : resources)
      if (r.group == segs[1]) {
        auto g = group_json(segs[1]);
        g["kind"] = "APIGroup";
        g["apiVersion"] = "v1";
        return make_json_response(200, g);
      }
  }
  if (segs.size() == 3 && segs[0] == "apis"
      && known_group_version(segs[1], segs[2]))
    return resource_list(segs[1], segs[2]);
  return unknown_path_response();
}

http::response
k8s_simulator::impl::resource_list(const std::string& group,
                                   const std::string& version) const {
  json list = json::array();
  for (const auto& r : resources) {
    if (r.group != group || r.version != version)
      continue;
    json entry{{"name", r.resource},
               {"singularName", r.singular},
               {"namespaced", r.namespaced},
               {"kind", r.kind},
               {"verbs",
                {"create", "delete", "deletecollection", "get", "list", "patch",
                 "update", "watch"}}};
    if (!r.short_names.empty())
      entry["shortNames"] = r.short_names;
    list.push_back(entry);
    if (r.resource == "pods" && r.group.empty()) {
      list.push_back(json{{"name", "pods/log"},
                          {"singularName", ""},
                          {"namespaced", true},
                          {"kind", "Pod"},
                          {"verbs", {"get"}}});
      list.push_back(json{{"name", "pods/status"},
                          {"singularName", ""},
                          {"namespaced", true},
                          {"kind", "Pod"},
                          {"verbs", {"get", "patch", "update"}}});
    }
  }
  return make_json_response(
    200, json{{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version},
              {"resources", list}});
}

http::response k8s_simulator::impl::get(
  const route& r, const std::multimap<std::string, std::string>& q) const {
  const auto* obj = find_object(*r.res, r.ns, r.name);
  if (obj == nullptr)
    return status_response(404, "NotFound",
                           subject(*r.res, r.name) + " not found",
                           resource_details(*r.res, r.name));
  if (r.subresource.empty() || r.subresource == "status")
    return make_json_response(200, *obj);
  if (r.subresource == "log" && r.res->resource == "pods"
      && r.res->group.empty())
    return pod_log(r, *obj, q);
  if (r.subresource == "scale"
      && (r.res->kind == "Deployment" || r.res->kind == "StatefulSet"
          || r.res->kind == "ReplicaSet")) {
    json md = json::object();
    for (auto key :
         {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
      if ((*obj)["metadata"].contains(key))
        md[key] = (*obj)["metadata"][key];
    std::vector<std::string> selector;
    if (obj->contains("spec") && (*obj)["spec"].contains("selector")
        && (*obj)["spec"]["selector"].contains("matchLabels"))
      for (auto& [k, v] : (*obj)["spec"]["selector"]["matchLabels"].items())
        selector.push_back(k + "="
                           + (v.is_string() ? v.get<std::string>() : v.dump()));
    json scale{
      {"kind", "Scale"},
      {"apiVersion", "autoscaling/v1"},
      {"metadata", md},
      {"spec",
       {{"replicas",
         obj->contains("spec") ? (*obj)["spec"].value("replicas", 1) : 1}}},
      {"status",
       {{"replicas",
         obj->contains("status") ? (*obj)["status"].value("replicas", 0) : 0},
        {"selector", joined(selector, ",")}}}};
    return make_json_response(200, scale);
  }
  return unknown_path_response();
}

http::response k8s_simulator::impl::list(
  const route& r, const std::multimap<std::string, std::string>& q) const {
  if (!r.subresource.empty())
    return unknown_path_response();
  std::vector<label_requirement> labels;
  std::vector<field_requirement> fields;
  if (auto text = query_value(q, "labelSelector")) {
    auto parsed = parse_label_selector(*text);
    if (!parsed)
      return status_response(400, "BadRequest", error_message(parsed.error()),
                             json::object());
    labels = std::move(*parsed);
  }
  if (auto text = query_value(q, "fieldSelector")) {
    auto parsed = parse_field_selector(*text);
    if (!parsed)
      return status_response(400, "BadRequest", error_message(parsed.error()),
                             json::object());
    fields = std::move(*parsed);
    for (const auto& f : fields)
      if (!field_value(r.res->group, r.res->resource, json::object(), f.field))
        return status_response(400, "BadRequest",
                               "field label not supported: " + f.field,
                               json::object());
  }
  size_t limit = 0;
  if (auto text = query_value(q, "limit"); text && !text->empty()) {
    auto n = parse_int(*text);
    if (!n || *n < 0)
      return status_response(400, "BadRequest",
                             "limit: Invalid value: \"" + *text
                               + "\": must be a non-negative integer",
                             json::object());
    limit = static_cast<size_t>(*n);
  }
  std::string start;
  if (auto token = query_value(q, "continue"); token && !token->empty()) {
    auto decoded = read_continue(*token, resource_version);
    if (!decoded)
      return status_response(410, "Expired", expired_message, json{});
    start = *decoded;
  }
  json items = json::array();
  std::string last_key;
  size_t remaining = 0;
  bool more = false;
  for (const auto& obj : objects_of(*r.res)) {
    if (r.res->namespaced && !r.ns.empty() && ns_of(obj) != r.ns)
      continue;
    auto key = sort_key(obj);
    if (!start.empty() && key < start)
      continue;
    const auto& md = obj["metadata"];
    if (!matches(labels, md.contains("labels") ? md["labels"] : json{}))
      continue;
    bool ok = true;
    for (const auto& f : fields) {
      auto value
        = field_value(r.res->group, r.res->resource, obj, f.field).value_or("");
      if ((value == f.value) == f.negated) {
        ok = false;
        break;
      }
    }
    if (!ok)
      continue;
    if (limit > 0 && items.size() == limit) {
      more = true;
      ++remaining;
      continue;
    }
    auto item = obj;
    item.erase("apiVersion");
    item.erase("kind");
    items.push_back(std::move(item));
    last_key = key;
  }
  json metadata{{"resourceVersion", resource_version}};
  if (more) {
    metadata["continue"] = make_continue(resource_version, last_key);
    if (labels.empty() && fields.empty())
      metadata["remainingItemCount"] = remaining;
  }
  return make_json_response(200, json{{"kind", r.res->kind + "List"},
                                      {"apiVersion", r.res->group_version()},
                                      {"metadata", metadata},
                                      {"items", items}});
}

http::response k8s_simulator::impl::patch(
  const route& r, const http::request& req,
  const std::multimap<std::string, std::string>& q) const {
  auto dry_run = query_value(q, "dryRun");
  if (!dry_run || dry_run->empty())
    return status_response(403, "Forbidden",
                           subject(*r.res, r.name)
                             + " is forbidden: the simulated cluster is "
                               "read-only; use dryRun=All",
                           resource_details(*r.res, r.name));
  if (*dry_run != "All")
    return status_response(400, "BadRequest",
                           "dryRun: Unsupported value: \"" + *dry_run
                             + "\": supported values: \"All\"",
                           json::object());
  auto type = media_type(header_value(req, "content-type").value_or(""));
  if (type != "application/strategic-merge-patch+json"
      && type != "application/merge-patch+json"
      && type != "application/json-patch+json"
      && type != "application/apply-patch+yaml")
    return status_response(415, "UnsupportedMediaType",
                           unsupported_media_message, json::object());
  if (type == "application/apply-patch+yaml"
      && query_value(q, "fieldManager").value_or("").empty())
    return status_response(
      422, "Invalid",
      "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required "
      "value: is required for apply patch",
      json{{"group", "meta.k8s.io"},
           {"kind", "PatchOptions"},
           {"causes",
            {{{"reason", "FieldValueRequired"},
              {"message", "Required value: is required for apply patch"},
              {"field", "fieldManager"}}}}});
  const auto* stored = find_object(*r.res, r.ns, r.name);
  if (stored == nullptr)
    return status_response(404, "NotFound",
                           subject(*r.res, r.name) + " not found",
                           resource_details(*r.res, r.name));
  if (!r.subresource.empty() && r.subresource != "status")
    return status_response(405, "MethodNotAllowed",
                           "the server does not allow this method on the "
                           "requested resource",
                           json::object());
  // Parse the patch document.
  json body;
  if (type == "application/apply-patch+yaml") {
    auto parsed = parse_yaml(req.body, "body");
    if (!parsed)
      return status_response(400, "BadRequest",
                             "error decoding YAML: "
                               + error_message(parsed.error()),
                             json::object());
    body = std::move(*parsed);
  } else {
    body = json::parse(req.body, nullptr, false);
    if (body.is_discarded())
      return status_response(400, "BadRequest",
                             "error decoding patch: invalid JSON",
                             json::object());
  }
  patch_outcome outcome;
  if (type == "application/strategic-merge-patch+json"
      || type == "application/apply-patch+yaml")
    outcome = strategic_merge_patch(*stored, body, r.res->kind);
  else if (type == "application/merge-patch+json")
    outcome = json_merge_patch(*stored, body);
  else
    outcome = json_patch(*stored, body);
  if (!outcome.value)
    return status_response(
      outcome.status, reason_for(outcome.status), outcome.message,
      outcome.status == 422 ? json{{"causes",
                                    {{{"reason", "FieldValueInvalid"},
                                      {"message", outcome.message},
                                      {"field", "patch"}}}}}
                            : json::object());
  auto& patched = *outcome.value;
  if (!patched.is_object())
    return status_response(400, "BadRequest",
                           "the patched object is not a JSON object",
                           json::object());
  // Identity must not change.
  if (str_at(patched, "apiVersion") != str_at(*stored, "apiVersion")
      || str_at(patched, "kind") != str_at(*stored, "kind"))
    return status_response(400, "BadRequest",
                           "the API version or kind in the patched object "
                           "does not match the stored object",
                           json::object());
  if (name_of(patched) != r.name)
    return status_response(400, "BadRequest",
                           "the name of the object (" + name_of(patched)
                             + ") does not match the name on the URL (" + r.name
                             + ")",
                           json::object());
  if (r.res->namespaced && ns_of(patched) != r.ns)
    return status_response(400, "BadRequest",
                           "the namespace of the object (" + ns_of(patched)
                             + ") does not match the namespace on the URL ("
                             + r.ns + ")",
                           json::object());
  std::vector<field_error> errors;
  if (auto bad = validate_pod_spec(patched, r.res->kind, errors))
    return status_response(400, "BadRequest", *bad, json::object());
  if (patched.contains("spec") && patched["spec"].is_object()
      && patched["spec"].contains("replicas")) {
    const auto& replicas = patched["spec"]["replicas"];
    if (!replicas.is_number_integer())
      return status_response(400, "BadRequest",
                             "json: cannot unmarshal " + replicas.dump()
                               + " into Go struct field spec.replicas of "
                                 "type int32",
                             json::object());
    if (replicas.get<int64_t>() < 0)
      errors.push_back(field_error{"spec.replicas",
                                   "Invalid value: " + replicas.dump()
                                     + ": must be greater than or equal to 0"});
  }
  if (!errors.empty())
    return invalid_response(*r.res, r.name, errors);
  canonicalize_resources(patched, r.res->kind);
  auto& md = patched["metadata"];
  if (md.contains("generation") && md["generation"].is_number_integer()
      && stored->contains("spec") && patched.contains("spec")
      && (*stored)["spec"] != patched["spec"])
    md["generation"] = md["generation"].get<int64_t>() + 1;
  return make_json_response(200, patched);
}

void k8s_simulator::impl::default_pod_resources(json& pod,
                                                const std::string& ns) const {
  auto& spec = pod["spec"];
  if (!spec.is_object())
    return;
  // LimitRange defaults (type Container), then requests default to limits.
  json defaults = json::object();
  json default_requests = json::object();
  for (const auto& lr : objects_of(*find_resource("", "v1", "limitranges"))) {
    if (ns_of(lr) != ns || !lr.contains("spec")
        || !lr["spec"].contains("limits"))
      continue;
    for (const auto& item : lr["spec"]["limits"]) {
      if (item.value("type", "") != "Container")
        continue;
      if (item.contains("default") && item["default"].is_object())
        defaults.update(item["default"]);
      if (item.contains("defaultRequest") && item["defaultRequest"].is_object())
        default_requests.update(item["defaultRequest"]);
    }
  }
  for (auto list : {"containers", "initContainers"}) {
    if (!spec.contains(list) || !spec[list].is_array())
      continue;
    for (auto& c : spec[list]) {
      if (!c.is_object())
        continue;
      if (!c.contains("resources") || !c["resources"].is_object())
        c["resources"] = json::object();
      auto& res = c["resources"];
      for (auto part : {"requests", "limits"})
        if (!res.contains(part) || !res[part].is_object())
          res[part] = json::object();
      for (auto& [name, value] : defaults.items())
        if (!res["limits"].contains(name))
          res["limits"][name] = value;
      for (auto& [name, value] : res["limits"].items())
        if (!res["requests"].contains(name))
          res["requests"][name]
            = default_requests.contains(name) ? default_requests[name] : value;
      for (auto& [name, value] : default_requests.items())
        if (!res["requests"].contains(name))
          res["requests"][name] = value;
      for (auto part : {"requests", "limits"})
        if (res[part].empty())
          res.erase(part);
    }
  }
}

std::optional<http::response>
k8s_simulator::impl::admit_pod(const json& pod, const std::string& ns) const {
  const auto* pods = find_resource("", "v1", "pods");
  auto name = name_of(pod);
  auto forbidden = [&](const std::string& why) {
    return status_response(403, "Forbidden",
                           subject(*pods, name) + " is forbidden: " + why,
                           resource_details(*pods, name));
  };
  const auto& spec = pod["spec"];
  // LimitRange (type Container: min / max per container).
  std::vector<std::string> violations;
  for (const auto& lr : objects_of(*find_resource("", "v1", "limitranges"))) {
    if (ns_of(lr) != ns || !lr.contains("spec")
        || !lr["spec"].contains("limits"))
      continue;
    for (const auto& item : lr["spec"]["limits"]) {
      if (item.value("type", "") != "Container")
        continue;
      for (auto list : {"containers", "initContainers"}) {
        if (!spec.contains(list) || !spec[list].is_array())
          continue;
        for (const auto& c : spec[list]) {
          auto value_of
            = [&](const char* part,
                  const std::string& res) -> std::optional<quantity> {
            if (!c.contains("resources") || !c["resources"].contains(part)
                || !c["resources"][part].contains(res))
              return std::nullopt;
            return parse_quantity(quantity_text(c["resources"][part][res]));
          };
          for (auto bound : {"min", "max"}) {
            if (!item.contains(bound) || !item[bound].is_object())
              continue;
            for (auto& [res, text] : item[bound].items()) {
              auto limit_q = parse_quantity(quantity_text(text));
              if (!limit_q)
                continue;
              auto shown = to_string(*limit_q);
              if (std::string_view{bound} == "max") {
                auto lim = value_of("limits", res);
                if (!lim)
                  violations.push_back("maximum " + res
                                       + " usage per Container is " + shown
                                       + ".  No limit is specified");
                else if (compare(*lim, *limit_q) > 0)
                  violations.push_back("maximum " + res
                                       + " usage per Container is " + shown
                                       + ", but limit is " + to_string(*lim));
              } else {
                auto req = value_of("requests", res);
                if (!req)
                  violations.push_back("minimum " + res
                                       + " usage per Container is " + shown
                                       + ".  No request is specified");
                else if (compare(*req, *limit_q) < 0)
                  violations.push_back("minimum " + res
                                       + " usage per Container is " + shown
                                       + ", but request is " + to_string(*req));
              }
            }
          }
        }
      }
    }
  }
  if (!violations.empty())
    return forbidden(violations.size() == 1
                       ? violations.front()
                       : "[" + joined(violations, ", ") + "]");
  // ResourceQuota.
  auto usage = usage_of(spec);
  for (const auto& rq :
       objects_of(*find_resource("", "v1", "resourcequotas"))) {
    if (ns_of(rq) != ns)
      continue;
    if (rq.contains("spec")
        && (rq["spec"].contains("scopes")
            || rq["spec"].contains("scopeSelector")))
      continue; // scoped quotas are not simulated
    json hard = json::object();
    if (rq.contains("status") && rq["status"].contains("hard"))
      hard = rq["status"]["hard"];
    else if (rq.contains("spec") && rq["spec"].contains("hard"))
      hard = rq["spec"]["hard"];
    json used = rq.contains("status") && rq["status"].contains("used")
                  ? rq["status"]["used"]
                  : json::object();
    std::set<std::string> must_specify;
    std::map<std::string, quantity> requested;
    for (auto& [key, value] : hard.items()) {
      std::optional<quantity> amount;
      std::string res;
      if (key == "pods" || key == "count/pods") {
        amount = parse_quantity("1");
      } else if (starts_with(key, "requests.") || key == "cpu"
                 || key == "memory" || key == "ephemeral-storage") {
        res = starts_with(key, "requests.") ? key.substr(9) : key;
        if (usage.missing_requests.count(res) != 0)
          must_specify.insert(key);
        auto i = usage.requests.find(res);
        if (i != usage.requests.end())
          amount = i->second;
      } else if (starts_with(key, "limits.")) {
        res = key.substr(7);
        if (usage.missing_limits.count(res) != 0)
          must_specify.insert(key);
        auto i = usage.limits.find(res);
        if (i != usage.limits.end())
          amount = i->second;
      }
      (void)value;
      if (amount)
        requested.emplace(key, *amount);
    }
    auto quota_name = name_of(rq);
    if (!must_specify.empty())
      return forbidden(
        "failed quota: " + quota_name + ": must specify "
        + joined({must_specify.begin(), must_specify.end()}, ","));
    std::vector<std::string> req_parts;
    std::vector<std::string> used_parts;
    std::vector<std::string> hard_parts;
    for (auto& [key, amount] : requested) {
      auto hard_q = parse_quantity(quantity_text(hard[key]));
      if (!hard_q)
        continue;
      quantity used_q;
      if (used.contains(key))
        if (auto u = parse_quantity(quantity_text(used[key])))
          used_q = *u;
      quantity total = amount;
      total.nanos += used_q.nanos;
      if (compare(total, *hard_q) > 0) {
        req_parts.push_back(key + "=" + to_string(amount));
        used_parts.push_back(key + "=" + to_string(used_q));
        hard_parts.push_back(key + "=" + to_string(*hard_q));
      }
    }
    if (!req_parts.empty())
      return forbidden("exceeded quota: " + quota_name
                       + ", requested: " + joined(req_parts, ",")
                       + ", used: " + joined(used_parts, ",")
                       + ", limited: " + joined(hard_parts, ","));
  }
  return std::nullopt;
}

http::response k8s_simulator::impl::create(
  const route& r, const http::request& req,
  const std::multimap<std::string, std::string>& q) const {
  auto dry_run = query_value(q, "dryRun");
  if (!dry_run || dry_run->empty())
    return status_response(403, "Forbidden",
                           subject(*r.res, "")
                             + " is forbidden: the simulated cluster is "
                               "read-only; use dryRun=All",
                           resource_details(*r.res, ""));
  if (*dry_run != "All")
    return status_response(400, "BadRequest",
                           "dryRun: Unsupported value: \"" + *dry_run
                             + "\": supported values: \"All\"",
                           json::object());
  auto type = media_type(
    header_value(req, "content-type").value_or("application/json"));
  json body;
  if (type == "application/json") {
    body = json::parse(req.body, nullptr, false);
  } else if (type == "application/yaml") {
    auto parsed = parse_yaml(req.body, "body");
    body = parsed ? *parsed : json(json::value_t::discarded);
  } else {
    return status_response(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format "
                           "- accepted media types include: "
                           "application/json, application/yaml",
                           json::object());
  }
  if (body.is_discarded() || !body.is_object())
    return status_response(400, "BadRequest",
                           "the body of the request must be an object",
                           json::object());
  auto kind = str_at(body, "kind");
  auto api_version = str_at(body, "apiVersion");
  if ((!kind.empty() && kind != r.res->kind)
      || (!api_version.empty() && api_version != r.res->group_version()))
    return status_response(400, "BadRequest",
                           "the API version in the data (" + api_version
                             + ") does not match the expected API version ("
                             + r.res->group_version() + ")",
                           json::object());
  body["kind"] = r.res->kind;
  body["apiVersion"] = r.res->group_version();
  if (!body.contains("metadata") || !body["metadata"].is_object())
    body["metadata"] = json::object();
  auto& md = body["metadata"];
  if (!ns_of(body).empty() && ns_of(body) != r.ns)
    return status_response(400, "BadRequest",
                           "the namespace of the provided object does not "
                           "match the namespace sent on the request",
                           json::object());
  md["namespace"] = r.ns;
  if (name_of(body).empty()) {
    auto generate = str_at(body, "metadata", "generateName");
    if (generate.empty())
      return invalid_response(
        *r.res, "",
        {field_error{"metadata.name",
                     "Required value: name or generateName is required"}});
    md["name"] = generate + "dryrn";
  }
  auto name = name_of(body);
  if (find_object(*r.res, r.ns, name) != nullptr)
    return status_response(409, "AlreadyExists",
                           subject(*r.res, name) + " already exists",
                           resource_details(*r.res, name));
  std::vector<field_error> errors;
  if (auto bad = validate_pod_spec(body, r.res->kind, errors))
    return status_response(400, "BadRequest", *bad, json::object());
  if (!errors.empty())
    return invalid_response(*r.res, name, errors);
  if (r.res->kind == "Pod" && r.res->group.empty() && body.contains("spec")) {
    default_pod_resources(body, r.ns);
    if (auto denied = admit_pod(body, r.ns))
      return *denied;
  }
  canonicalize_resources(body, r.res->kind);
  return make_json_response(201, body);
}

http::response k8s_simulator::impl::pod_log(
  const route& r, const json& pod,
  const std::multimap<std::string, std::string>& q) const {
  std::vector<std::string> containers;
  if (pod.contains("spec") && pod["spec"].contains("containers"))
    for (const auto& c : pod["spec"]["containers"])
      containers.push_back(c.value("name", ""));
  auto container = query_value(q, "container").value_or("");
  if (container.empty()) {
    if (containers.size() > 1)
      return status_response(400, "BadRequest",
                             "a container name must be specified for pod "
                               + r.name + ", choose one of: ["
                               + joined(containers, " ") + "]",
                             json::object());
    if (!containers.empty())
      container = containers.front();
  } else if (std::find(containers.begin(), containers.end(), container)
             == containers.end()) {
    return status_response(400, "BadRequest",
                           "container " + container + " is not valid for pod "
                             + r.name,
                           json::object());
  }
  struct line {
    int64_t ms;
    std::string text;
  };
  std::vector<line> lines;
  for (const auto& ev : logs) {
    const auto& attrs = ev["attributes"];
    if (!attrs.contains("tags") || !attrs["tags"].is_array())
      continue;
    bool pod_match = false;
    bool has_container = false;
    bool container_match = false;
    for (const auto& t : attrs["tags"]) {
      if (!t.is_string())
        continue;
      auto tag = t.get<std::string>();
      if (tag == "pod_name:" + r.name)
        pod_match = true;
      if (starts_with(tag, "kube_container_name:")) {
        has_container = true;
        if (tag == "kube_container_name:" + container)
          container_match = true;
      }
    }
    if (!pod_match || (has_container && !container_match))
      continue;
    int64_t ms = 0;
    if (attrs["timestamp"].is_number())
      ms = attrs["timestamp"].get<int64_t>();
    else if (auto t = parse_rfc3339_ms(attrs["timestamp"].get<std::string>()))
      ms = *t;
    lines.push_back(line{ms, attrs.value("message", "")});
  }
  std::stable_sort(lines.begin(), lines.end(),
                   [](const line& x, const line& y) {
                     return x.ms < y.ms;
                   });
  if (auto since = query_value(q, "sinceSeconds")) {
    if (auto s = parse_int(*since); s && !lines.empty()) {
      auto cutoff = lines.back().ms - *s * 1000;
      lines.erase(std::remove_if(lines.begin(), lines.end(),
                                 [&](const line& l) {
                                   return l.ms < cutoff;
                                 }),
                  lines.end());
    }
  }
  if (auto tail = query_value(q, "tailLines")) {
    if (auto n = parse_int(*tail);
        n && *n >= 0 && static_cast<size_t>(*n) < lines.size())
      lines.erase(lines.begin(), lines.end() - static_cast<std::ptrdiff_t>(*n));
  }
  bool timestamps = query_value(q, "timestamps").value_or("") == "true";
  std::string body;
  for (const auto& l : lines) {
    if (timestamps)
      body += format_rfc3339_ms(l.ms) + " ";
    body += l.text;
    body += '\n';
  }
  if (auto limit = query_value(q, "limitBytes")) {
    if (auto n = parse_int(*limit);
        n && *n > 0 && static_cast<size_t>(*n) < body.size())
      body.resize(static_cast<size_t>(*n));
  }
  http::response resp;
  resp.status = 200;
  resp.headers.emplace_back("Content-Type", "text/plain");
  resp.body = std::move(body);
  return resp;
}

// -- k8s_simulator ------------------------------------------------------------

k8s_simulator::k8s_simulator(cluster_state state)
  : impl_(std::make_unique<impl>(std::move(state))) {}

k8s_simulator::~k8s_simulator() = default;

http::response k8s_simulator::handle(const http::request& req) const {
  auto path = request_path(req);
  auto [wait, failure] = impl_->faults.on_request(path);
  if (wait.count() > 0)
    std::this_thread::sleep_for(wait);
  std::string required;
  {
    std::lock_guard<std::mutex> guard{impl_->token_mtx};
    required = impl_->required_token;
  }
  if (!required.empty()
      && header_value(req, "authorization").value_or("")
           != "Bearer " + required)
    return status_response(401, "Unauthorized", "Unauthorized", json{});
  auto resp
    = failure ? impl_->fault_response(*failure, req) : impl_->serve(req);
  if (resp.status == 404
      && resp.body.find("the server could not find the requested resource")
           != std::string::npos) {
    impl_->faults.record_unknown((req.method.empty() ? "GET" : req.method) + " "
                                 + path);
  }
  if (req.method == "HEAD")
    resp.body.clear();
  return resp;
}

void k8s_simulator::fail_path(std::string path_prefix, int status, int times) {
  impl_->faults.fail_path(std::move(path_prefix), status, times);
}

void k8s_simulator::delay_path(std::string path_prefix,
                               std::chrono::milliseconds delay) {
  impl_->faults.delay_path(std::move(path_prefix), delay);
}

void k8s_simulator::clear_faults() {
  impl_->faults.clear();
}

void k8s_simulator::require_token(std::string token) {
  std::lock_guard<std::mutex> guard{impl_->token_mtx};
  impl_->required_token = std::move(token);
}

size_t k8s_simulator::request_count() const {
  return impl_->faults.request_count();
}

std::vector<std::string> k8s_simulator::unknown_requests() const {
  return impl_->faults.unknown_requests();
}

http::response k8s_simulator::status_response(int code,
                                              const std::string& reason,
                                              const std::string& message,
                                              const json& details) {
  json body{{"kind", "Status"},           {"apiVersion", "v1"},
            {"metadata", json::object()}, {"status", "Failure"},
            {"message", message},         {"reason", reason}};
  if (!details.is_null())
    body["details"] = details;
  body["code"] = code;
  return make_json_response(code, body);
}

http::response k8s_simulator::unknown_path_response() {
  return status_response(404, "NotFound",
                         "the server could not find the requested resource",
                         json::object());
}

} // namespace kfix::sim
