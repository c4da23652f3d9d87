#include "actors/context/k8s_objects.hpp"

#include "actors/common/quantity.hpp"
#include "actors/common/time_text.hpp"
#include "actors/context/json_dom.hpp"
#include "actors/context/log_redaction.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

namespace kfix::context {

namespace {

using namespace json_dom;
using simdjson::SUCCESS;

// -- shared pieces ------------------------------------------------------------

std::vector<condition_state> parse_conditions(element_result x) {
  std::vector<condition_state> result;
  dom::array arr;
  if (x.get_array().get(arr) != SUCCESS)
    return result;
  for (auto c : arr) {
    condition_state cs;
    cs.type = text_of(c["type"]);
    cs.status = text_of(c["status"]);
    cs.reason = text_of(c["reason"]);
    cs.message = text_of(c["message"]);
    cs.last_transition = text_of(c["lastTransitionTime"]);
    result.push_back(std::move(cs));
  }
  return result;
}

/// The controller ownerReference of an object: kind, name and uid.
std::tuple<std::string, std::string, std::string>
controller_of(dom::element x) {
  dom::array refs;
  if (x["metadata"]["ownerReferences"].get_array().get(refs) != SUCCESS)
    return {};
  for (auto r : refs)
    if (bool_of(r["controller"]))
      return {text_of(r["kind"]), text_of(r["name"]), text_of(r["uid"])};
  return {};
}

std::string join(const std::vector<std::string>& parts, const char* sep) {
  std::string result;
  for (const auto& p : parts) {
    if (!result.empty())
      result += sep;
    result += p;
  }
  return result;
}

/// A label selector element (`matchLabels`, `matchExpressions`) in query
/// syntax. `ok` is false for an unknown operator.
std::string selector_text(element_result selector, bool& ok) {
  ok = true;
  std::vector<std::string> terms;
  for (const auto& [key, value] : string_map(selector["matchLabels"]))
    terms.push_back(key + "=" + value);
  dom::array exprs;
  if (selector["matchExpressions"].get_array().get(exprs) == SUCCESS) {
    for (auto x : exprs) {
      auto key = text_of(x["key"]);
      auto op = text_of(x["operator"]);
      auto values = join(string_list(x["values"]), ",");
      if (op == "In")
        terms.push_back(key + " in (" + values + ")");
      else if (op == "NotIn")
        terms.push_back(key + " notin (" + values + ")");
      else if (op == "Exists")
        terms.push_back(key);
      else if (op == "DoesNotExist")
        terms.push_back("!" + key);
      else
        ok = false;
    }
  }
  return join(terms, ",");
}

// -- containers ---------------------------------------------------------------

std::string probe_handler(dom::element p) {
  auto port = [](element_result x) {
    auto text = text_of(x["port"]);
    return text.empty() ? std::string{} : ":" + text;
  };
  if (has(p["httpGet"])) {
    auto g = p["httpGet"];
    auto scheme = text_of(g["scheme"]);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) {
                     return static_cast<char>(std::tolower(c));
                   });
    return "httpGet " + (scheme.empty() ? std::string{"http"} : scheme) + " "
           + port(g) + text_of(g["path"]);
  }
  if (has(p["tcpSocket"]))
    return "tcpSocket " + port(p["tcpSocket"]);
  if (has(p["grpc"])) {
    auto service = text_of(p["grpc"]["service"]);
    return "grpc " + port(p["grpc"])
           + (service.empty() ? std::string{} : " " + service);
  }
  if (has(p["exec"])) {
    auto command = join(string_list(p["exec"]["command"]), " ");
    return "exec " + std::string{truncate_utf8(command, 200)};
  }
  return {};
}

std::optional<probe_spec> parse_probe(element_result x) {
  dom::element p;
  if (x.get(p) != SUCCESS || !p.is_object())
    return std::nullopt;
  probe_spec result;
  result.handler = probe_handler(p);
  result.initial_delay_seconds = int_of(p["initialDelaySeconds"], 0);
  result.period_seconds = int_of(p["periodSeconds"], 10);
  result.timeout_seconds = int_of(p["timeoutSeconds"], 1);
  result.failure_threshold = int_of(p["failureThreshold"], 3);
  result.success_threshold = int_of(p["successThreshold"], 1);
  return result;
}

env_var parse_env(dom::element e) {
  env_var result;
  result.name = text_of(e["name"]);
  auto from = e["valueFrom"];
  if (has(from["secretKeyRef"])) {
    auto r = from["secretKeyRef"];
    result.source = "secret";
    result.ref_name = text_of(r["name"]);
    result.ref_key = text_of(r["key"]);
    result.optional = bool_of(r["optional"]);
  } else if (has(from["configMapKeyRef"])) {
    auto r = from["configMapKeyRef"];
    result.source = "configmap";
    result.ref_name = text_of(r["name"]);
    result.ref_key = text_of(r["key"]);
    result.optional = bool_of(r["optional"]);
  } else if (has(from["fieldRef"])) {
    result.source = "field";
    result.ref_name = text_of(from["fieldRef"]["fieldPath"]);
  } else if (has(from["resourceFieldRef"])) {
    result.source = "resource";
    result.ref_name = text_of(from["resourceFieldRef"]["resource"]);
    result.ref_key = text_of(from["resourceFieldRef"]["containerName"]);
  }
  return result;
}

container_spec parse_container(dom::element c) {
  container_spec result;
  result.name = text_of(c["name"]);
  result.image = text_of(c["image"]);
  result.requests = string_map(c["resources"]["requests"]);
  result.limits = string_map(c["resources"]["limits"]);
  result.liveness = parse_probe(c["livenessProbe"]);
  result.readiness = parse_probe(c["readinessProbe"]);
  result.startup = parse_probe(c["startupProbe"]);
  dom::array env;
  if (c["env"].get_array().get(env) == SUCCESS)
    for (auto e : env)
      result.env.push_back(parse_env(e));
  dom::array env_from;
  if (c["envFrom"].get_array().get(env_from) == SUCCESS)
    for (auto e : env_from) {
      env_from_source src;
      auto ref = has(e["secretRef"]) ? e["secretRef"] : e["configMapRef"];
      src.kind = has(e["secretRef"]) ? "Secret" : "ConfigMap";
      src.name = text_of(ref["name"]);
      src.optional = bool_of(ref["optional"]);
      src.prefix = text_of(e["prefix"]);
      result.env_from.push_back(std::move(src));
    }
  return result;
}

std::vector<container_spec> parse_containers(element_result x) {
  std::vector<container_spec> result;
  dom::array arr;
  if (x.get_array().get(arr) == SUCCESS)
    for (auto c : arr)
      result.push_back(parse_container(c));
  return result;
}

// -- pods ---------------------------------------------------------------------

container_status parse_container_status(dom::element s) {
  container_status cs;
  cs.name = text_of(s["name"]);
  cs.image = text_of(s["image"]);
  cs.restart_count = int_of(s["restartCount"], 0);
  cs.ready = bool_of(s["ready"]);
  cs.started = bool_of(s["started"]);
  auto state = s["state"];
  if (has(state["running"])) {
    cs.state = "running";
    cs.state_started_at = text_of(state["running"]["startedAt"]);
  } else if (has(state["waiting"])) {
    cs.state = "waiting";
  } else if (has(state["terminated"])) {
    cs.state = "terminated";
    cs.state_started_at = text_of(state["terminated"]["startedAt"]);
  }
  cs.waiting_reason = text_of(state["waiting"]["reason"]);
  cs.waiting_message = text_of(state["waiting"]["message"]);
  // The most recent termination: the current state when terminated, else
  // the last one.
  auto term = has(state["terminated"]) ? state["terminated"]
                                       : s["lastState"]["terminated"];
  if (has(term)) {
    cs.last_termination_reason = text_of(term["reason"]);
    cs.last_exit_code = int_of(term["exitCode"], 0);
    cs.last_termination_message
      = std::string{truncate_utf8(text_of(term["message"]), 1024)};
    cs.last_started_at = text_of(term["startedAt"]);
    cs.last_finished_at = text_of(term["finishedAt"]);
  }
  return cs;
}

/// Statuses, or the declared containers (no status yet: Pending).
std::vector<container_status> parse_statuses(element_result statuses,
                                             element_result specs) {
  std::vector<container_status> result;
  dom::array arr;
  if (statuses.get_array().get(arr) == SUCCESS) {
    for (auto s : arr)
      result.push_back(parse_container_status(s));
    return result;
  }
  if (specs.get_array().get(arr) == SUCCESS)
    for (auto c : arr) {
      container_status cs;
      cs.name = text_of(c["name"]);
      cs.image = text_of(c["image"]);
      result.push_back(std::move(cs));
    }
  return result;
}

/// Adds quantities; `q` in milli-units.
void add_quantity(std::map<std::string, detail::int128>& sums,
                  const std::string& name, const std::string& text) {
  auto q = parse_quantity(text);
  if (q)
    sums[name] += q->exact_millis();
}

/// The effective requests of a pod spec: max(sum of containers, largest init
/// container), in milli-units by resource.
std::map<std::string, detail::int128> pod_requests_millis(element_result spec) {
  std::map<std::string, detail::int128> sums;
  dom::array arr;
  if (spec["containers"].get_array().get(arr) == SUCCESS)
    for (auto c : arr)
      for (const auto& [name, text] : string_map(c["resources"]["requests"]))
        add_quantity(sums, name, text);
  if (spec["initContainers"].get_array().get(arr) == SUCCESS)
    for (auto c : arr) {
      std::map<std::string, detail::int128> one;
      for (const auto& [name, text] : string_map(c["resources"]["requests"]))
        add_quantity(one, name, text);
      for (const auto& [name, millis] : one)
        sums[name] = std::max(sums[name], millis);
    }
  return sums;
}

std::string format_millis(const std::string& resource, detail::int128 millis) {
  if (resource == "cpu" || millis % 1000 != 0)
    return std::to_string(static_cast<int64_t>(millis)) + "m";
  return std::to_string(static_cast<int64_t>(millis / 1000));
}

pod_state parse_pod(dom::element p) {
  pod_state result;
  result.name = text_of(p["metadata"]["name"]);
  result.created_at = text_of(p["metadata"]["creationTimestamp"]);
  auto labels = p["metadata"]["labels"];
  result.template_hash = text_of(labels["pod-template-hash"]);
  if (result.template_hash.empty())
    result.template_hash = text_of(labels["controller-revision-hash"]);
  auto [kind, name, uid] = controller_of(p);
  result.owner_kind = std::move(kind);
  result.owner_name = std::move(name);
  result.phase = text_of(p["status"]["phase"]);
  result.node = text_of(p["spec"]["nodeName"]);
  result.start_time = text_of(p["status"]["startTime"]);
  result.reason = text_of(p["status"]["reason"]);
  result.message = text_of(p["status"]["message"]);
  result.qos_class = text_of(p["status"]["qosClass"]);
  result.conditions = parse_conditions(p["status"]["conditions"]);
  for (const auto& [resource, millis] : pod_requests_millis(p["spec"]))
    result.requests.emplace(resource, format_millis(resource, millis));
  result.containers
    = parse_statuses(p["status"]["containerStatuses"], p["spec"]["containers"]);
  result.init_containers = parse_statuses(p["status"]["initContainerStatuses"],
                                          p["spec"]["initContainers"]);
  return result;
}

// -- events -------------------------------------------------------------------

std::string first_text(dom::element e,
                       std::initializer_list<const char*> keys) {
  for (auto key : keys) {
    auto text = text_of(e[key]);
    if (!text.empty())
      return text;
  }
  return {};
}

event_record parse_event(dom::element e) {
  event_record result;
  result.type = text_of(e["type"]);
  result.reason = text_of(e["reason"]);
  // core/v1 first, events.k8s.io/v1 second.
  auto involved
    = has(e["involvedObject"]) ? e["involvedObject"] : e["regarding"];
  result.involved_kind = text_of(involved["kind"]);
  result.involved_name = text_of(involved["name"]);
  result.ns = text_of(e["metadata"]["namespace"]);
  if (result.ns.empty())
    result.ns = text_of(involved["namespace"]);
  result.message
    = has(e["message"]) ? text_of(e["message"]) : text_of(e["note"]);
  if (has(e["count"]))
    result.count = int_of(e["count"], 1);
  else if (has(e["series"]["count"]))
    result.count = int_of(e["series"]["count"], 1);
  else if (has(e["deprecatedCount"]))
    result.count = int_of(e["deprecatedCount"], 1);
  result.last_seen
    = first_text(e, {"lastTimestamp", "deprecatedLastTimestamp", "eventTime",
                     "firstTimestamp", "deprecatedFirstTimestamp"});
  auto observed = text_of(e["series"]["lastObservedTime"]);
  if (!observed.empty())
    result.last_seen = observed;
  if (result.last_seen.empty())
    result.last_seen = text_of(e["metadata"]["creationTimestamp"]);
  result.first_seen = first_text(
    e, {"firstTimestamp", "deprecatedFirstTimestamp", "eventTime"});
  if (result.first_seen.empty())
    result.first_seen = result.last_seen;
  result.source = text_of(e["source"]["component"]);
  if (result.source.empty())
    result.source
      = first_text(e, {"reportingComponent", "reportingController"});
  if (result.source.empty())
    result.source = text_of(e["deprecatedSource"]["component"]);
  return result;
}

quota_state parse_quota(dom::element q) {
  quota_state result;
  result.name = text_of(q["metadata"]["name"]);
  result.hard = has(q["status"]["hard"]) ? string_map(q["status"]["hard"])
                                         : string_map(q["spec"]["hard"]);
  result.used = string_map(q["status"]["used"]);
  result.scopes = string_list(q["spec"]["scopes"]);
  return result;
}

limit_range_state parse_limit_range(dom::element x) {
  limit_range_state result;
  result.name = text_of(x["metadata"]["name"]);
  dom::array limits;
  if (x["spec"]["limits"].get_array().get(limits) == SUCCESS)
    for (auto l : limits) {
      limit_range_item item;
      item.type = text_of(l["type"]);
      item.default_limits = string_map(l["default"]);
      item.default_requests = string_map(l["defaultRequest"]);
      item.min = string_map(l["min"]);
      item.max = string_map(l["max"]);
      item.max_limit_request_ratio = string_map(l["maxLimitRequestRatio"]);
      result.items.push_back(std::move(item));
    }
  return result;
}

// -- HPAs ---------------------------------------------------------------------

/// The metric source object of an HPA metric entry (`resource`, `pods`, ...)
/// by its `type`.
element_result metric_source(dom::element m, const std::string& type) {
  if (type == "Resource")
    return m["resource"];
  if (type == "ContainerResource")
    return m["containerResource"];
  if (type == "Pods")
    return m["pods"];
  if (type == "Object")
    return m["object"];
  return m["external"];
}

std::string metric_name(element_result source, const std::string& type) {
  if (type == "Resource" || type == "ContainerResource")
    return text_of(source["name"]);
  return text_of(source["metric"]["name"]);
}

/// A target or current value: utilization in percent, else the quantity.
std::string metric_value(element_result v) {
  if (has(v["averageUtilization"]))
    return text_of(v["averageUtilization"]);
  if (has(v["averageValue"]))
    return text_of(v["averageValue"]);
  return text_of(v["value"]);
}

hpa_state parse_hpa(dom::element x) {
  hpa_state result;
  result.name = text_of(x["metadata"]["name"]);
  auto spec = x["spec"];
  result.target_kind = text_of(spec["scaleTargetRef"]["kind"]);
  result.target_name = text_of(spec["scaleTargetRef"]["name"]);
  result.min_replicas = int_of(spec["minReplicas"], 1);
  result.max_replicas = int_of(spec["maxReplicas"], 0);
  auto status = x["status"];
  result.current_replicas = int_of(status["currentReplicas"], 0);
  result.desired_replicas = int_of(status["desiredReplicas"], 0);
  result.last_scale_time = text_of(status["lastScaleTime"]);
  result.conditions = parse_conditions(status["conditions"]);
  dom::array metrics;
  if (spec["metrics"].get_array().get(metrics) == SUCCESS)
    for (auto m : metrics) {
      hpa_metric hm;
      hm.type = text_of(m["type"]);
      auto source = metric_source(m, hm.type);
      hm.name = metric_name(source, hm.type);
      hm.container = text_of(source["container"]);
      hm.target_type = text_of(source["target"]["type"]);
      hm.target = metric_value(source["target"]);
      result.metrics.push_back(std::move(hm));
    }
  dom::array current;
  if (status["currentMetrics"].get_array().get(current) == SUCCESS)
    for (auto m : current) {
      auto type = text_of(m["type"]);
      auto source = metric_source(m, type);
      auto name = metric_name(source, type);
      for (auto& hm : result.metrics)
        if (hm.type == type && hm.name == name && hm.current.empty())
          hm.current = metric_value(source["current"]);
    }
  return result;
}

// -- PDBs and nodes -----------------------------------------------------------

pdb_state parse_pdb(dom::element x, bool& selects_all, bool& selects_none) {
  pdb_state result;
  result.name = text_of(x["metadata"]["name"]);
  auto spec = x["spec"];
  result.min_available = text_of(spec["minAvailable"]);
  result.max_unavailable = text_of(spec["maxUnavailable"]);
  selects_none = !has(spec["selector"]);
  auto ok = true;
  result.selector = selector_text(spec["selector"], ok);
  selects_all = !selects_none && ok && result.selector.empty();
  if (!ok)
    selects_none = true;
  auto status = x["status"];
  result.current_healthy = int_of(status["currentHealthy"], 0);
  result.desired_healthy = int_of(status["desiredHealthy"], 0);
  result.disruptions_allowed = int_of(status["disruptionsAllowed"], 0);
  result.expected_pods = int_of(status["expectedPods"], 0);
  result.conditions = parse_conditions(status["conditions"]);
  return result;
}

double cores_of(const std::string& text) {
  auto q = parse_quantity(text);
  return q ? static_cast<double>(q->millis()) / 1000.0 : 0.0;
}

int64_t bytes_of(const std::string& text) {
  auto q = parse_quantity(text);
  return q ? q->bytes() : 0;
}

node_summary parse_node(dom::element x) {
  node_summary result;
  result.name = text_of(x["metadata"]["name"]);
  result.allocatable = string_map(x["status"]["allocatable"]);
  auto get = [&](const char* key) {
    auto i = result.allocatable.find(key);
    return i == result.allocatable.end() ? std::string{} : i->second;
  };
  result.allocatable_cpu_cores = cores_of(get("cpu"));
  result.allocatable_memory_bytes = bytes_of(get("memory"));
  result.allocatable_pods = bytes_of(get("pods"));
  result.unschedulable = bool_of(x["spec"]["unschedulable"]);
  dom::array taints;
  if (x["spec"]["taints"].get_array().get(taints) == SUCCESS)
    for (auto t : taints) {
      auto value = text_of(t["value"]);
      result.taints.push_back(text_of(t["key"])
                              + (value.empty() ? "" : "=" + value) + ":"
                              + text_of(t["effect"]));
    }
  result.conditions = parse_conditions(x["status"]["conditions"]);
  return result;
}

std::optional<pod_request> parse_pod_request(dom::element p) {
  pod_request result;
  result.node = text_of(p["spec"]["nodeName"]);
  if (result.node.empty())
    return std::nullopt;
  auto sums = pod_requests_millis(p["spec"]);
  result.cpu_cores = static_cast<double>(sums["cpu"]) / 1000.0;
  result.memory_bytes = static_cast<int64_t>((sums["memory"] + 999) / 1000);
  return result;
}

// -- revisions ----------------------------------------------------------------

int64_t revision_number(const std::string& text) {
  char* end = nullptr;
  auto n = std::strtoll(text.c_str(), &end, 10);
  return (!text.empty() && end == text.c_str() + text.size()) ? n : 0;
}

std::optional<revision_state> parse_replica_set(dom::element x,
                                                const workload_state& w) {
  auto [kind, name, uid] = controller_of(x);
  if (!w.uid.empty() && uid != w.uid)
    return std::nullopt;
  revision_state result;
  result.kind = "ReplicaSet";
  result.name = text_of(x["metadata"]["name"]);
  auto annotations = x["metadata"]["annotations"];
  result.revision = revision_number(
    text_of(annotations["deployment.kubernetes.io/revision"]));
  result.change_cause = text_of(annotations["kubernetes.io/change-cause"]);
  result.created_at = text_of(x["metadata"]["creationTimestamp"]);
  result.template_hash = text_of(x["metadata"]["labels"]["pod-template-hash"]);
  result.replicas = int_of(x["status"]["replicas"], 0);
  result.ready_replicas = int_of(x["status"]["readyReplicas"], 0);
  result.available_replicas = int_of(x["status"]["availableReplicas"], 0);
  result.containers
    = parse_containers(x["spec"]["template"]["spec"]["containers"]);
  result.current
    = !w.revision.empty() && result.revision == revision_number(w.revision);
  return result;
}

std::optional<revision_state>
parse_controller_revision(dom::element x, const workload_state& w) {
  auto [kind, name, uid] = controller_of(x);
  if (!w.uid.empty() && uid != w.uid)
    return std::nullopt;
  revision_state result;
  result.kind = "ControllerRevision";
  result.name = text_of(x["metadata"]["name"]);
  result.revision = int64_of(x["revision"], 0);
  result.created_at = text_of(x["metadata"]["creationTimestamp"]);
  result.change_cause
    = text_of(x["metadata"]["annotations"]["kubernetes.io/change-cause"]);
  result.template_hash
    = text_of(x["metadata"]["labels"]["controller-revision-hash"]);
  if (result.template_hash.empty())
    result.template_hash = result.name;
  result.containers
    = parse_containers(x["data"]["spec"]["template"]["spec"]["containers"]);
  result.current
    = !w.update_revision_name.empty() && result.name == w.update_revision_name;
  return result;
}

// -- config references --------------------------------------------------------

void add_ref(std::vector<config_reference>& out, std::string kind,
             std::string name, std::string key, std::string used_by,
             bool optional) {
  if (name.empty())
    return;
  config_reference ref;
  ref.kind = std::move(kind);
  ref.name = std::move(name);
  ref.key = std::move(key);
  ref.used_by = std::move(used_by);
  ref.optional = optional;
  out.push_back(std::move(ref));
}

/// A volume's (or projected source's) Secret or ConfigMap, one entry per
/// key listed in `items`, or one for the whole object.
void add_volume_ref(std::vector<config_reference>& out, const char* kind,
                    element_result source, const std::string& name,
                    const std::string& used_by) {
  auto optional = bool_of(source["optional"]);
  dom::array items;
  if (source["items"].get_array().get(items) == SUCCESS && items.size() > 0) {
    for (auto item : items)
      add_ref(out, kind, name, text_of(item["key"]), used_by, optional);
    return;
  }
  add_ref(out, kind, name, {}, used_by, optional);
}

void container_refs(std::vector<config_reference>& out, element_result list) {
  dom::array containers;
  if (list.get_array().get(containers) != SUCCESS)
    return;
  for (auto c : containers) {
    auto spec = parse_container(c);
    for (const auto& e : spec.env) {
      if (e.source == "secret")
        add_ref(out, "Secret", e.ref_name, e.ref_key,
                "env " + e.name + " of " + spec.name, e.optional);
      else if (e.source == "configmap")
        add_ref(out, "ConfigMap", e.ref_name, e.ref_key,
                "env " + e.name + " of " + spec.name, e.optional);
    }
    for (const auto& src : spec.env_from)
      add_ref(out, src.kind, src.name, {}, "envFrom of " + spec.name,
              src.optional);
  }
}

} // namespace

// -- the workload -------------------------------------------------------------

caf::expected<workload_state> parse_workload(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "workload"))
    return err;
  auto kind = text_of(doc["kind"]);
  if (kind == "Status")
    return make_error(ec::upstream_error,
                      "workload: got a Status: " + text_of(doc["message"]));
  workload_state result;
  auto md = doc["metadata"];
  result.ref.kind = kind;
  result.ref.ns = text_of(md["namespace"]);
  result.ref.name = text_of(md["name"]);
  if (result.ref.name.empty())
    return make_error(ec::invalid_input, "workload: no metadata.name");
  result.uid = text_of(md["uid"]);
  result.resource_version = text_of(md["resourceVersion"]);
  result.creation_timestamp = text_of(md["creationTimestamp"]);
  result.generation = int64_of(md["generation"], 0);
  auto spec = doc["spec"];
  auto status = doc["status"];
  result.observed_generation = int64_of(status["observedGeneration"], 0);
  if (kind == "DaemonSet") {
    result.replicas = int_of(status["desiredNumberScheduled"], 0);
    result.ready_replicas = int_of(status["numberReady"], 0);
    result.available_replicas = int_of(status["numberAvailable"], 0);
    result.updated_replicas = int_of(status["updatedNumberScheduled"], 0);
    result.unavailable_replicas = int_of(status["numberUnavailable"], 0);
  } else {
    result.replicas = int_of(spec["replicas"], 1);
    result.ready_replicas = int_of(status["readyReplicas"], 0);
    result.available_replicas = int_of(status["availableReplicas"], 0);
    result.updated_replicas = int_of(status["updatedReplicas"], 0);
    result.unavailable_replicas = int_of(status["unavailableReplicas"], 0);
  }
  auto strategy
    = has(spec["strategy"]) ? spec["strategy"] : spec["updateStrategy"];
  result.strategy = text_of(strategy["type"]);
  result.max_surge = text_of(strategy["rollingUpdate"]["maxSurge"]);
  result.max_unavailable = text_of(strategy["rollingUpdate"]["maxUnavailable"]);
  result.revision
    = text_of(md["annotations"]["deployment.kubernetes.io/revision"]);
  result.paused = bool_of(spec["paused"]);
  result.revision_history_limit = int_of(spec["revisionHistoryLimit"], 10);
  result.current_revision_name = text_of(status["currentRevision"]);
  result.update_revision_name = text_of(status["updateRevision"]);
  result.conditions = parse_conditions(status["conditions"]);
  result.selector = string_map(spec["selector"]["matchLabels"]);
  auto ok = true;
  result.selector_text = selector_text(spec["selector"], ok);
  auto tmpl = spec["template"];
  result.template_labels = string_map(tmpl["metadata"]["labels"]);
  result.service_account = text_of(tmpl["spec"]["serviceAccountName"]);
  result.containers = parse_containers(tmpl["spec"]["containers"]);
  result.init_containers = parse_containers(tmpl["spec"]["initContainers"]);
  return result;
}

std::string
build_label_selector(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> terms;
  for (const auto& [key, value] : labels)
    terms.push_back(key + "=" + value);
  return join(terms, ",");
}

caf::expected<std::string> parse_workload_selector(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "workload"))
    return err;
  auto ok = true;
  auto result = selector_text(doc["spec"]["selector"], ok);
  if (!ok)
    return make_error(ec::invalid_input,
                      "workload: unknown selector operator in "
                      "spec.selector.matchExpressions");
  if (result.empty())
    return make_error(ec::invalid_input, "workload: empty selector");
  return result;
}

caf::expected<std::vector<config_reference>>
parse_config_references(std::string_view workload_json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, workload_json, doc, "workload"))
    return err;
  std::vector<config_reference> result;
  auto pod = doc["spec"]["template"]["spec"];
  container_refs(result, pod["initContainers"]);
  container_refs(result, pod["containers"]);
  dom::array volumes;
  if (pod["volumes"].get_array().get(volumes) == SUCCESS)
    for (auto v : volumes) {
      auto used_by = "volume " + text_of(v["name"]);
      if (has(v["secret"]))
        add_volume_ref(result, "Secret", v["secret"],
                       text_of(v["secret"]["secretName"]), used_by);
      if (has(v["configMap"]))
        add_volume_ref(result, "ConfigMap", v["configMap"],
                       text_of(v["configMap"]["name"]), used_by);
      dom::array sources;
      if (v["projected"]["sources"].get_array().get(sources) == SUCCESS)
        for (auto s : sources) {
          if (has(s["secret"]))
            add_volume_ref(result, "Secret", s["secret"],
                           text_of(s["secret"]["name"]), used_by);
          if (has(s["configMap"]))
            add_volume_ref(result, "ConfigMap", s["configMap"],
                           text_of(s["configMap"]["name"]), used_by);
        }
    }
  dom::array pull;
  if (pod["imagePullSecrets"].get_array().get(pull) == SUCCESS)
    for (auto s : pull)
      add_ref(result, "Secret", text_of(s["name"]), {}, "imagePullSecrets",
              false);
  return result;
}

caf::expected<std::set<std::string>> parse_config_keys(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "config object"))
    return err;
  if (text_of(doc["kind"]) == "Status")
    return make_error(ec::upstream_error, "config object: got a Status: "
                                            + text_of(doc["message"]));
  std::set<std::string> result;
  for (auto part : {"data", "binaryData", "stringData"}) {
    dom::object obj;
    if (doc[part].get_object().get(obj) == SUCCESS)
      for (auto field : obj)
        result.emplace(field.key);
  }
  return result;
}

// -- revisions ----------------------------------------------------------------

caf::expected<list_page<revision_state>>
parse_replica_set_list(std::string_view json, const workload_state& w) {
  list_page<revision_state> result;
  auto item = [&](dom::element x) {
    return parse_replica_set(x, w);
  };
  if (auto err = parse_list_into(json, "replica set list", item, result.items,
                                 result.continue_token))
    return err;
  return result;
}

caf::expected<list_page<revision_state>>
parse_controller_revision_list(std::string_view json, const workload_state& w) {
  list_page<revision_state> result;
  auto item = [&](dom::element x) {
    return parse_controller_revision(x, w);
  };
  if (auto err = parse_list_into(json, "controller revision list", item,
                                 result.items, result.continue_token))
    return err;
  return result;
}

void order_revisions(std::vector<revision_state>& revisions, size_t cap,
                     bool mark_newest_current) {
  std::stable_sort(revisions.begin(), revisions.end(),
                   [](const revision_state& x, const revision_state& y) {
                     return x.revision > y.revision;
                   });
  if (revisions.size() > cap)
    revisions.resize(cap);
  auto any_current
    = std::any_of(revisions.begin(), revisions.end(), [](const auto& r) {
        return r.current;
      });
  if (mark_newest_current && !any_current && !revisions.empty())
    revisions.front().current = true;
}

// -- pods, events, quotas -----------------------------------------------------

caf::expected<list_page<pod_state>> parse_pod_list(std::string_view json) {
  list_page<pod_state> result;
  if (auto err = parse_list_into(json, "pod list", parse_pod, result.items,
                                 result.continue_token))
    return err;
  return result;
}

caf::expected<list_page<event_record>> parse_event_list(std::string_view json) {
  list_page<event_record> result;
  if (auto err = parse_list_into(json, "event list", parse_event, result.items,
                                 result.continue_token))
    return err;
  return result;
}

caf::expected<list_page<quota_state>> parse_quota_list(std::string_view json) {
  list_page<quota_state> result;
  if (auto err = parse_list_into(json, "quota list", parse_quota, result.items,
                                 result.continue_token))
    return err;
  return result;
}

caf::expected<list_page<limit_range_state>>
parse_limit_range_list(std::string_view json) {
  list_page<limit_range_state> result;
  if (auto err = parse_list_into(json, "limit range list", parse_limit_range,
                                 result.items, result.continue_token))
    return err;
  return result;
}

caf::expected<list_page<hpa_state>> parse_hpa_list(std::string_view json,
                                                   const workload_ref& target) {
  list_page<hpa_state> result;
  auto item = [&](dom::element x) -> std::optional<hpa_state> {
    auto hpa = parse_hpa(x);
    if (hpa.target_name != target.name
        || (!target.kind.empty() && !hpa.target_kind.empty()
            && hpa.target_kind != target.kind))
      return std::nullopt;
    return hpa;
  };
  if (auto err = parse_list_into(json, "horizontal pod autoscaler list", item,
                                 result.items, result.continue_token))
    return err;
  return result;
}

caf::expected<list_page<pdb_state>>
parse_pdb_list(std::string_view json,
               const std::map<std::string, std::string>& pod_labels) {
  list_page<pdb_state> result;
  auto item = [&](dom::element x) -> std::optional<pdb_state> {
    auto all = false;
    auto none = false;
    auto pdb = parse_pdb(x, all, none);
    if (none || (!all && !selector_matches(pdb.selector, pod_labels)))
      return std::nullopt;
    return pdb;
  };
  if (auto err = parse_list_into(json, "pod disruption budget list", item,
                                 result.items, result.continue_token))
    return err;
  return result;
}

// -- nodes --------------------------------------------------------------------

caf::expected<list_page<node_summary>> parse_node_list(std::string_view json) {
  list_page<node_summary> result;
  if (auto err = parse_list_into(json, "node list", parse_node, result.items,
                                 result.continue_token))
    return err;
  return result;
}

caf::expected<list_page<pod_request>>
parse_pod_requests(std::string_view json) {
  list_page<pod_request> result;
  if (auto err = parse_list_into(json, "pod list", parse_pod_request,
                                 result.items, result.continue_token))
    return err;
  return result;
}

void add_requests(std::vector<node_summary>& nodes,
                  const std::vector<pod_request>& pods) {
  for (const auto& p : pods)
    for (auto& n : nodes)
      if (n.name == p.node) {
        n.requested_cpu_cores += p.cpu_cores;
        n.requested_memory_bytes += p.memory_bytes;
        ++n.pods;
        break;
      }
}

caf::expected<workload_ref> parse_controller(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "object"))
    return err;
  if (text_of(doc["kind"]) == "Status")
    return make_error(ec::upstream_error,
                      "object: got a Status: " + text_of(doc["message"]));
  auto [kind, name, uid] = controller_of(doc);
  if (name.empty())
    return workload_ref{};
  return workload_ref{kind, text_of(doc["metadata"]["namespace"]), name};
}

// -- selectors and errors -----------------------------------------------------

bool selector_matches(std::string_view selector,
                      const std::map<std::string, std::string>& labels) {
  auto trim = [](std::string_view x) {
    while (!x.empty() && x.front() == ' ')
      x.remove_prefix(1);
    while (!x.empty() && x.back() == ' ')
      x.remove_suffix(1);
    return x;
  };
  auto value_of = [&](std::string_view key) -> const std::string* {
    auto i = labels.find(std::string{key});
    return i == labels.end() ? nullptr : &i->second;
  };
  auto in_set = [&](std::string_view list, const std::string& value) {
    size_t pos = 0;
    while (pos <= list.size()) {
      auto comma = list.find(',', pos);
      if (comma == std::string_view::npos)
        comma = list.size();
      if (trim(list.substr(pos, comma - pos)) == value)
        return true;
      pos = comma + 1;
    }
    return false;
  };
  // Split at commas outside parentheses.
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= selector.size(); ++i) {
    if (i < selector.size() && selector[i] == '(')
      ++depth;
    else if (i < selector.size() && selector[i] == ')')
      --depth;
    if (i < selector.size() && (selector[i] != ',' || depth > 0))
      continue;
    auto term = trim(selector.substr(start, i - start));
    start = i + 1;
    if (term.empty())
      continue;
    for (auto [word, negated] :
         {std::make_pair(" notin ", true), std::make_pair(" in ", false)}) {
      auto at = term.find(word);
      if (at == std::string_view::npos)
        continue;
      auto key = trim(term.substr(0, at));
      auto rest = trim(term.substr(at + std::string_view{word}.size()));
      if (rest.size() >= 2 && rest.front() == '(' && rest.back() == ')')
        rest = rest.substr(1, rest.size() - 2);
      const auto* v = value_of(key);
      auto member = v != nullptr && in_set(rest, *v);
      if (member == negated)
        return false;
      term = {};
      break;
    }
    if (term.empty())
      continue;
    if (auto ne = term.find("!="); ne != std::string_view::npos) {
      const auto* v = value_of(trim(term.substr(0, ne)));
      if (v != nullptr && *v == trim(term.substr(ne + 2)))
        return false;
    } else if (auto eq = term.find('='); eq != std::string_view::npos) {
      auto skip = term.compare(eq, 2, "==") == 0 ? 2 : 1;
      const auto* v = value_of(trim(term.substr(0, eq)));
      if (v == nullptr || *v != trim(term.substr(eq + skip)))
        return false;
    } else if (term.front() == '!') {
      if (value_of(trim(term.substr(1))) != nullptr)
        return false;
    } else if (value_of(term) == nullptr) {
      return false;
    }
  }
  return true;
}

caf::expected<k8s_status> parse_k8s_status(std::string_view json) {
  dom::parser parser;
  dom::element doc;
  if (auto err = parse_doc(parser, json, doc, "status"))
    return err;
  if (text_of(doc["kind"]) != "Status")
    return make_error(ec::invalid_input, "status: not a Status object");
  k8s_status result;
  result.status = text_of(doc["status"]);
  result.message = text_of(doc["message"]);
  result.reason = text_of(doc["reason"]);
  result.code = int_of(doc["code"], 0);
  return result;
}

std::string k8s_error_message(int http_status, std::string_view body) {
  auto result = "HTTP " + std::to_string(http_status);
  if (auto st = parse_k8s_status(body); st && !st->message.empty())
    return result + ": " + st->message;
  auto text = truncate_utf8(body, 200);
  if (!text.empty())
    result += ": " + std::string{text};
  return result;
}

namespace {

bool all_of_class(std::string_view x, bool digits_only) {
  if (x.empty())
    return false;
  for (auto c : x) {
    auto digit = c >= '0' && c <= '9';
    auto lower = c >= 'a' && c <= 'z';
    if (!(digit || (!digits_only && lower)))
      return false;
  }
  return true;
}

} // namespace

bool is_workload_event(const event_record& event, const workload_ref& workload,
                       const std::set<std::string>& pods,
                       const std::set<std::string>& nodes) {
  const auto& name = event.involved_name;
  if (event.involved_kind == "Node")
    return nodes.count(name) > 0;
  if (name == workload.name)
    return true;
  if (event.involved_kind == "Pod" && pods.count(name) > 0)
    return true;
  auto prefix = workload.name + "-";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix))
    return false;
  auto rest = std::string_view{name}.substr(prefix.size());
  if (workload.kind == "Deployment") {
    if (event.involved_kind == "ReplicaSet")
      return all_of_class(rest, false);
    if (event.involved_kind == "Pod") {
      auto dash = rest.find('-');
      return dash != std::string_view::npos
             && all_of_class(rest.substr(0, dash), false)
             && rest.size() - dash - 1 == 5
             && all_of_class(rest.substr(dash + 1), false);
    }
    return false;
  }
  if (event.involved_kind != "Pod")
    return false;
  if (workload.kind == "StatefulSet")
    return all_of_class(rest, true);
  if (workload.kind == "DaemonSet")
    return rest.size() == 5 && all_of_class(rest, false);
  return false;
}

std::vector<event_record> select_events(std::vector<event_record> events,
                                        size_t cap) {
  auto key = [](const event_record& x) {
    return std::tie(x.involved_kind, x.involved_name, x.reason, x.message,
                    x.last_seen, x.count, x.type);
  };
  std::vector<std::pair<int64_t, size_t>> order;
  order.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i)
    order.emplace_back(parse_rfc3339_ms(events[i].last_seen).value_or(0), i);
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& x, const auto& y) {
                     return x.first > y.first;
                   });
  std::vector<event_record> result;
  std::vector<int64_t> result_ms;
  result.reserve(std::min(cap, events.size()));
  // Duplicates share `last_seen`, so they are neighbours in this order:
  // linear time however many events there are.
  for (const auto& [ms, i] : order) {
    if (result.size() >= cap)
      break;
    auto dup = false;
    for (auto j = result.size(); j > 0 && result_ms[j - 1] == ms; --j) {
      const auto& x = result[j - 1];
      if (x.last_seen == events[i].last_seen && key(x) == key(events[i])) {
        dup = true;
        break;
      }
    }
    if (!dup) {
      result.push_back(std::move(events[i]));
      result_ms.push_back(ms);
    }
  }
  return result;
}

} // namespace kfix::context
