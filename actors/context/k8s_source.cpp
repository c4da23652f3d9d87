#include "actors/context/k8s_source.hpp"

#include "actors/context/context_parse.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kfix::context {

namespace {

using clock_type = std::chrono::steady_clock;
using params = std::vector<std::pair<std::string, std::string>>;

constexpr auto workload_source = "kubernetes.workload";
constexpr auto revisions_source = "kubernetes.revisions";
constexpr auto pods_source = "kubernetes.pods";
constexpr auto events_source = "kubernetes.events";
constexpr auto quotas_source = "kubernetes.quotas";
constexpr auto limitranges_source = "kubernetes.limitranges";
constexpr auto hpa_source = "kubernetes.hpa";
constexpr auto pdb_source = "kubernetes.pdb";
constexpr auto config_source = "kubernetes.config";
constexpr auto nodes_source = "kubernetes.nodes";
constexpr size_t max_small_list = 100;

/// What one call gave: the body (the object, or the Status of a failure),
/// and for failures a status and reason for the report.
struct outcome {
  bool ok = false;
  int http_status = 0;
  std::string body;
  source_status status = source_status::ok;
  std::string reason;
};

/// One GET: a path and its query.
struct call {
  std::string path;
  params query;
};

/// The Kubernetes API within a deadline.
class k8s_api {
public:
  k8s_api(http::client& client, const api_endpoint& endpoint,
          clock_type::time_point deadline, size_t max_response_bytes)
    : client_(client), endpoint_(endpoint), deadline_(deadline),
      max_response_bytes_(max_response_bytes) {
    base_ = endpoint.base_url;
    while (!base_.empty() && base_.back() == '/')
      base_.pop_back();
  }

  bool expired() const {
    return clock_type::now() >= deadline_;
  }

  outcome get(const call& c) {
    if (expired())
      return too_late();
    return classify(client_.send(make_request(c)));
  }

  /// Sends all calls concurrently; results in call order.
  std::vector<outcome> get_all(const std::vector<call>& calls) {
    std::vector<outcome> result;
    if (calls.empty())
      return result;
    if (expired()) {
      result.resize(calls.size(), too_late());
      return result;
    }
    std::vector<http::outgoing> reqs;
    reqs.reserve(calls.size());
    for (const auto& c : calls)
      reqs.push_back(make_request(c));
    for (auto& res : client_.send_all(reqs))
      result.push_back(classify(std::move(res)));
    result.resize(calls.size(), too_late());
    return result;
  }

private:
  static outcome too_late() {
    outcome result;
    result.status = source_status::timeout;
    result.reason = "deadline passed before the call";
    return result;
  }

  http::outgoing make_request(const call& c) const {
    http::outgoing req;
    req.service = "kubernetes";
    req.method = "GET";
    req.url = base_ + c.path;
    if (!c.query.empty())
      req.url += "?" + http::build_query(c.query);
    req.headers = endpoint_.headers;
    req.headers.emplace_back("Accept", "application/json");
    auto now = clock_type::now();
    req.timeout = call_timeout(endpoint_.timeout, now, deadline_);
    req.max_attempts = call_attempts(req.timeout, now, deadline_);
    req.deadline = deadline_;
    req.max_response_bytes = max_response_bytes_;
    return req;
  }

  outcome classify(caf::expected<http::incoming> res) const {
    outcome result;
    if (!res) {
      result.status = failure_status(res.error(), expired());
      result.reason = render(res.error());
      return result;
    }
    result.http_status = res->status;
    if (res->ok()) {
      result.ok = true;
      result.body = std::move(res->body);
      return result;
    }
    result.status = source_status::error;
    result.reason = k8s_error_message(res->status, res->body);
    result.body = std::move(res->body);
    return result;
  }

  http::client& client_;
  const api_endpoint& endpoint_;
  clock_type::time_point deadline_;
  size_t max_response_bytes_;
  std::string base_;
};

/// The items of a (possibly paged) list and how fetching it went.
template <class T>
struct list_result {
  std::vector<T> items;
  source_status status = source_status::ok;
  std::string reason;
  int http_status = 0;
  /// Items matched beyond the cap (counted, not kept).
  size_t dropped = 0;
  /// Items that passed `keep`, kept or not.
  size_t matched = 0;
};

template <class T>
using page_parser
  = std::function<caf::expected<list_page<T>>(std::string_view)>;

/// How `list_all` treats items beyond its cap.
template <class T>
struct list_options {
  size_t cap = max_small_list;
  /// Only items passing this are counted and kept.
  std::function<bool(const T&)> keep;
  /// Without `trim`, items beyond the cap are dropped and paging stops
  /// early. With it, every page is read and `trim` cuts the kept items back
  /// to the cap whenever they reach twice the cap (events: the newest).
  std::function<void(std::vector<T>&)> trim;
};

/// Lists `c`, following `continue` up to the page cap. `first` is the
/// answer to the first page when it was fetched already (concurrently with
/// others).
template <class T>
list_result<T> list_all(k8s_api& api, const k8s_limits& limits, const call& c,
                        const page_parser<T>& parse,
                        const list_options<T>& opts,
                        std::optional<outcome> first = std::nullopt) {
  list_result<T> result;
  std::string cont;
  auto stop = [&](const outcome* out, source_status status, std::string reason,
                  int page) {
    // A failure after the first page leaves a partial list.
    result.status = page == 0 ? status : source_status::partial;
    result.reason = page == 0 ? std::move(reason)
                              : "stopped after " + std::to_string(page)
                                  + " page(s): " + reason;
    if (out != nullptr)
      result.http_status = out->http_status;
  };
  for (int page = 0; page < limits.max_pages; ++page) {
    auto next = c;
    next.query.emplace_back("limit", std::to_string(limits.page_size));
    if (!cont.empty())
      next.query.emplace_back("continue", cont);
    auto out = (page == 0 && first) ? std::move(*first) : api.get(next);
    if (!out.ok) {
      stop(&out, out.status, std::move(out.reason), page);
      return result;
    }
    auto parsed = parse(out.body);
    out.body = {};
    if (!parsed) {
      stop(nullptr, source_status::error, render(parsed.error()), page);
      return result;
    }
    for (auto& item : parsed->items) {
      if (opts.keep && !opts.keep(item))
        continue;
      ++result.matched;
      if (!opts.trim && result.items.size() >= opts.cap) {
        ++result.dropped;
        continue;
      }
      result.items.push_back(std::move(item));
    }
    if (opts.trim && result.items.size() >= 2 * opts.cap)
      opts.trim(result.items);
    cont = std::move(parsed->continue_token);
    if (cont.empty())
      break;
    if (result.dropped > 0) {
      // Capped: do not page through the rest only to drop it.
      result.status = source_status::partial;
      result.reason
        = "capped at " + std::to_string(opts.cap) + " (more listed)";
      return result;
    }
    if (page + 1 == limits.max_pages) {
      result.status = source_status::partial;
      result.reason
        = "stopped after " + std::to_string(limits.max_pages) + " pages";
    }
  }
  if (opts.trim)
    opts.trim(result.items);
  if (result.dropped > 0 && result.status == source_status::ok) {
    result.status = source_status::partial;
    result.reason = "capped at " + std::to_string(opts.cap) + " of "
                    + std::to_string(result.matched);
  }
  return result;
}

std::string ns_path(const std::string& ns) {
  return "/api/v1/namespaces/" + http::url_encode(ns);
}

std::string apps_path(const std::string& ns, const std::string& resource) {
  return "/apis/apps/v1/namespaces/" + http::url_encode(ns) + "/" + resource;
}

/// Adds a report measured from `start` to now.
void report(context_part& part, const char* source, source_status status,
            std::string reason, clock_type::time_point start,
            int http_status = 0) {
  auto r
    = make_report(source, status, std::move(reason), start, clock_type::now());
  if (status == source_status::error || status == source_status::partial)
    r.http_status = http_status;
  part.reports.push_back(std::move(r));
}

template <class T>
void report(context_part& part, const char* source, list_result<T>& result,
            clock_type::time_point start) {
  report(part, source, result.status, std::move(result.reason), start,
         result.http_status);
}

void skip(context_part& part, const char* source, const std::string& why) {
  auto now = clock_type::now();
  part.reports.push_back(
    make_report(source, source_status::skipped, why, now, now));
}

// -- the workload -------------------------------------------------------------

/// GETs the workload (trying every kind when the alert names none).
/// Returns the body of the workload on success.
std::optional<std::string> fetch_workload(k8s_api& api, context_part& part,
                                          const fetch_scope& scope,
                                          bool& not_found) {
  auto start = clock_type::now();
  const auto& ref = scope.workload;
  std::vector<std::string> kinds;
  if (ref.kind.empty())
    kinds = {"Deployment", "StatefulSet", "DaemonSet"};
  else
    kinds = {ref.kind};
  outcome out;
  for (size_t i = 0; i < kinds.size(); ++i) {
    auto resource = workload_resource(kinds[i]);
    if (resource.empty()) {
      report(part, workload_source, source_status::error,
             "unsupported workload kind " + kinds[i], start);
      return std::nullopt;
    }
    out = api.get(
      {apps_path(ref.ns, resource) + "/" + http::url_encode(ref.name), {}});
    if (out.http_status != 404 || i + 1 == kinds.size())
      break;
  }
  if (out.http_status == 404) {
    not_found = true;
    auto msg = parse_k8s_status(out.body);
    auto why = std::string{"not found"};
    if (msg && !msg->message.empty())
      why += ": " + msg->message;
    report(part, workload_source, source_status::error, std::move(why), start,
           404);
    return std::nullopt;
  }
  if (!out.ok) {
    report(part, workload_source, out.status, std::move(out.reason), start,
           out.http_status);
    return std::nullopt;
  }
  auto parsed = parse_workload(out.body);
  if (!parsed) {
    report(part, workload_source, source_status::error, render(parsed.error()),
           start);
    return std::nullopt;
  }
  part.data.workload = std::move(*parsed);
  part.data.workload_found = true;
  if (part.data.workload.ref.ns.empty())
    part.data.workload.ref.ns = ref.ns;
  report(part, workload_source, source_status::ok, {}, start);
  return std::move(out.body);
}

/// The workload of the alert's pod when the alert names none: the pod's
/// controller, and a ReplicaSet's Deployment. On failure, `why` says what
/// could not be read.
std::optional<workload_ref> owner_of_pod(k8s_api& api, const fetch_scope& scope,
                                         std::string& why, int& http_status) {
  const auto& ns = scope.workload.ns;
  auto out
    = api.get({ns_path(ns) + "/pods/" + http::url_encode(scope.pod), {}});
  for (int hop = 0; hop < 2; ++hop) {
    if (!out.ok) {
      why = "the alert names no workload and its pod could not be read: "
            + out.reason;
      http_status = out.http_status;
      return std::nullopt;
    }
    auto owner = parse_controller(out.body);
    if (!owner) {
      why = render(owner.error());
      return std::nullopt;
    }
    if (owner->empty()) {
      why = "the alert names no workload and pod " + scope.pod
            + " has no controller";
      return std::nullopt;
    }
    if (owner->ns.empty())
      owner->ns = ns;
    if (owner->kind != "ReplicaSet" || hop == 1)
      return workload_resource(owner->kind).empty()
               ? std::nullopt
               : std::optional<workload_ref>{*owner};
    out = api.get(
      {apps_path(ns, "replicasets") + "/" + http::url_encode(owner->name), {}});
  }
  return std::nullopt;
}

// -- the first round: lists of the namespace ----------------------------------

/// The lists read together once the workload is known.
struct namespace_lists {
  std::optional<call> pods;
  std::string pods_skip;
  std::optional<call> revisions;
  std::string revisions_skip;
  std::optional<call> quotas;
  std::optional<call> limit_ranges;
  std::optional<call> hpas;
  std::optional<call> pdbs;
  std::string pdb_skip;
};

namespace_lists plan_lists(const context_part& part, const fetch_scope& scope,
                           const std::optional<std::string>& body,
                           std::string& selector_error) {
  namespace_lists lists;
  const auto& ns = scope.workload.ns;
  const auto& w = part.data.workload;
  std::string selector;
  if (body) {
    auto parsed = parse_workload_selector(*body);
    if (parsed)
      selector = std::move(*parsed);
    else
      selector_error = render(parsed.error());
  }
  if (!selector.empty())
    lists.pods = call{ns_path(ns) + "/pods", {{"labelSelector", selector}}};
  else if (!body && !scope.pod.empty())
    lists.pods = call{ns_path(ns) + "/pods",
                      {{"fieldSelector", "metadata.name=" + scope.pod}}};
  else if (selector_error.empty())
    lists.pods_skip = "no workload selector and no pod in the alert";
  if (!part.data.workload_found)
    lists.revisions_skip = "the workload was not read";
  else if (selector.empty())
    lists.revisions_skip = "the workload has no usable selector";
  else if (w.ref.kind == "Deployment")
    lists.revisions
      = call{apps_path(ns, "replicasets"), {{"labelSelector", selector}}};
  else
    lists.revisions = call{apps_path(ns, "controllerrevisions"),
                           {{"labelSelector", selector}}};
  lists.quotas = call{ns_path(ns) + "/resourcequotas", {}};
  lists.limit_ranges = call{ns_path(ns) + "/limitranges", {}};
  if (!scope.workload.name.empty())
    lists.hpas = call{"/apis/autoscaling/v2/namespaces/" + http::url_encode(ns)
                        + "/horizontalpodautoscalers",
                      {}};
  if (part.data.workload_found)
    lists.pdbs = call{"/apis/policy/v1/namespaces/" + http::url_encode(ns)
                        + "/poddisruptionbudgets",
                      {}};
  else
    lists.pdb_skip = "the workload (its pod labels) was not read";
  return lists;
}

/// Counts the pods of each ControllerRevision (they carry no replica
/// counts themselves).
void count_revision_pods(std::vector<revision_state>& revisions,
                         const std::vector<pod_state>& pods) {
  for (auto& r : revisions) {
    if (r.kind != "ControllerRevision")
      continue;
    for (const auto& p : pods) {
      if (p.template_hash.empty()
          || (p.template_hash != r.template_hash && p.template_hash != r.name))
        continue;
      ++r.replicas;
      auto ready = p.condition("Ready");
      if (ready != nullptr && ready->status == "True")
        ++r.ready_replicas;
    }
  }
}

/// Lists `c` (when there is a call: else the report is `skipped` with
/// `skip_reason`) into `out` and reports it as `source`.
template <class T>
void read_list(k8s_api& api, const k8s_limits& limits, context_part& part,
               const char* source, const std::optional<call>& c,
               const page_parser<T>& parse, std::optional<outcome> first,
               std::vector<T>& out, const std::string& skip_reason,
               clock_type::time_point start) {
  if (!c) {
    skip(part, source, skip_reason);
    return;
  }
  auto result
    = list_all<T>(api, limits, *c, parse, list_options<T>{}, std::move(first));
  out = std::move(result.items);
  report(part, source, result, start);
}

void fetch_namespace_lists(k8s_api& api, const k8s_limits& limits,
                           context_part& part, const fetch_scope& scope,
                           const std::optional<std::string>& body) {
  auto start = clock_type::now();
  std::string selector_error;
  auto lists = plan_lists(part, scope, body, selector_error);
  const auto& w = part.data.workload;
  // The first page of every list at once.
  std::vector<call> firsts;
  auto add = [&](const std::optional<call>& c) -> std::optional<size_t> {
    if (!c)
      return std::nullopt;
    auto first = *c;
    first.query.emplace_back("limit", std::to_string(limits.page_size));
    firsts.push_back(std::move(first));
    return firsts.size() - 1;
  };
  auto pods_at = add(lists.pods);
  auto revisions_at = add(lists.revisions);
  auto quotas_at = add(lists.quotas);
  auto limit_ranges_at = add(lists.limit_ranges);
  auto hpas_at = add(lists.hpas);
  auto pdbs_at = add(lists.pdbs);
  auto answers = api.get_all(firsts);
  auto first_of = [&](std::optional<size_t> at) -> std::optional<outcome> {
    if (!at)
      return std::nullopt;
    return std::move(answers[*at]);
  };
  // Pods.
  if (pods_at) {
    list_options<pod_state> opts;
    opts.cap = limits.max_pods;
    auto result = list_all<pod_state>(api, limits, *lists.pods, parse_pod_list,
                                      opts, first_of(pods_at));
    part.data.pods = std::move(result.items);
    report(part, pods_source, result, start);
  } else if (!selector_error.empty()) {
    report(part, pods_source, source_status::error, selector_error, start);
  } else {
    skip(part, pods_source, lists.pods_skip);
  }
  // Revisions.
  if (revisions_at) {
    auto deployment = w.ref.kind == "Deployment";
    page_parser<revision_state> parse
      = [&w, deployment](std::string_view json) {
          return deployment ? parse_replica_set_list(json, w)
                            : parse_controller_revision_list(json, w);
        };
    list_options<revision_state> opts;
    opts.cap = limits.max_revisions * 4;
    auto result = list_all<revision_state>(api, limits, *lists.revisions, parse,
                                           opts, first_of(revisions_at));
    order_revisions(result.items, limits.max_revisions,
                    w.ref.kind == "DaemonSet");
    count_revision_pods(result.items, part.data.pods);
    part.data.revisions = std::move(result.items);
    report(part, revisions_source, result, start);
  } else {
    skip(part, revisions_source, lists.revisions_skip);
  }
  // Quotas, limit ranges, the HPA targeting the workload, the PDBs
  // selecting its pods.
  read_list<quota_state>(api, limits, part, quotas_source, lists.quotas,
                         parse_quota_list, first_of(quotas_at),
                         part.data.quotas, {}, start);
  read_list<limit_range_state>(api, limits, part, limitranges_source,
                               lists.limit_ranges, parse_limit_range_list,
                               first_of(limit_ranges_at),
                               part.data.limit_ranges, {}, start);
  auto target = part.data.workload_found ? w.ref : scope.workload;
  read_list<hpa_state>(
    api, limits, part, hpa_source, lists.hpas,
    [target](std::string_view json) {
      return parse_hpa_list(json, target);
    },
    first_of(hpas_at), part.data.hpas, "the alert names no workload", start);
  auto labels = w.template_labels;
  read_list<pdb_state>(
    api, limits, part, pdb_source, lists.pdbs,
    [labels](std::string_view json) {
      return parse_pdb_list(json, labels);
    },
    first_of(pdbs_at), part.data.pdbs, lists.pdb_skip, start);
}

// -- the second round: events, config objects, nodes --------------------------

/// The event queries: per object for few pods, else one namespace list.
std::vector<call> plan_event_queries(const k8s_limits& limits,
                                     const workload_ref& ref,
                                     const std::set<std::string>& pods,
                                     const std::set<std::string>& nodes) {
  auto path = ns_path(ref.ns) + "/events";
  // Node events (node-problem-detector OOM kills, pressure) live in
  // `default`.
  auto node_path = ns_path("default") + "/events";
  auto field = [](std::string selector) {
    return params{{"fieldSelector", std::move(selector)}};
  };
  std::vector<call> queries;
  if (pods.size() <= limits.max_event_queries_per_pod) {
    // Per object: the workload (and what shares its name: HPA, PDB), its
    // ReplicaSets (by kind, filtered here: a new one may have no pods), and
    // each pod.
    if (!ref.name.empty())
      queries.push_back({path, field("involvedObject.name=" + ref.name)});
    if (ref.kind == "Deployment")
      queries.push_back({path, field("involvedObject.kind=ReplicaSet")});
    for (const auto& pod : pods)
      queries.push_back({path, field("involvedObject.name=" + pod)});
  } else {
    // Many pods: one namespace list, filtered here.
    queries.push_back({path, {}});
  }
  if (nodes.size() <= limits.max_event_queries_per_pod) {
    for (const auto& node : nodes)
      queries.push_back(
        {node_path,
         field("involvedObject.kind=Node,involvedObject.name=" + node)});
  } else {
    queries.push_back({node_path, field("involvedObject.kind=Node")});
  }
  return queries;
}

/// The distinct (kind, name) objects of the references, at most `cap`.
std::vector<std::pair<std::string, std::string>>
config_objects(const std::vector<config_reference>& refs, size_t cap) {
  std::vector<std::pair<std::string, std::string>> result;
  for (const auto& r : refs) {
    std::pair<std::string, std::string> key{r.kind, r.name};
    if (std::find(result.begin(), result.end(), key) == result.end()
        && result.size() < cap)
      result.push_back(std::move(key));
  }
  return result;
}

/// Records what a GET of a Secret or ConfigMap said in every reference to
/// it. Returns whether the answer was an error (not 2xx, not 404).
bool resolve_config(std::vector<config_reference>& refs,
                    const std::pair<std::string, std::string>& object,
                    outcome& out) {
  std::optional<std::set<std::string>> keys;
  std::string reason;
  if (out.ok) {
    auto parsed = parse_config_keys(out.body);
    if (parsed)
      keys = std::move(*parsed);
    else
      reason = render(parsed.error());
  } else if (out.http_status != 404) {
    reason = out.reason;
  }
  for (auto& r : refs) {
    if (r.kind != object.first || r.name != object.second)
      continue;
    if (out.http_status == 404) {
      r.status = "missing";
    } else if (keys) {
      r.status
        = r.key.empty() || keys->count(r.key) > 0 ? "present" : "key_missing";
    } else {
      r.status = "unknown";
      r.reason = reason;
    }
  }
  return !keys && out.http_status != 404;
}

bool has_pending_pods(const std::vector<pod_state>& pods) {
  return std::any_of(pods.begin(), pods.end(), [](const pod_state& p) {
    return p.phase == "Pending";
  });
}

/// The objects whose events are kept: the workload, its pods (and the
/// alert's), their nodes.
struct event_subjects {
  workload_ref ref;
  std::set<std::string> pods;
  std::set<std::string> nodes;
};

event_subjects subjects_of(const context_part& part, const fetch_scope& scope) {
  event_subjects result;
  result.ref
    = part.data.workload_found ? part.data.workload.ref : scope.workload;
  for (const auto& p : part.data.pods) {
    result.pods.insert(p.name);
    if (!p.node.empty())
      result.nodes.insert(p.node);
  }
  if (!scope.pod.empty())
    result.pods.insert(scope.pod);
  return result;
}

void fetch_events(k8s_api& api, const k8s_limits& limits, context_part& part,
                  const event_subjects& subjects, std::vector<call> queries,
                  std::vector<outcome> firsts, clock_type::time_point start) {
  const auto& ref = subjects.ref;
  const auto& pods = subjects.pods;
  const auto& nodes = subjects.nodes;
  list_options<event_record> opts;
  opts.cap = limits.max_events;
  opts.keep = [&](const event_record& e) {
    return is_workload_event(e, ref, pods, nodes);
  };
  opts.trim = [&limits](std::vector<event_record>& events) {
    events = select_events(std::move(events), limits.max_events);
  };
  std::vector<event_record> all;
  size_t failed = 0;
  size_t matched = 0;
  auto status = source_status::ok;
  std::string reason;
  int http_status = 0;
  for (size_t i = 0; i < queries.size(); ++i) {
    auto result = list_all<event_record>(
      api, limits, queries[i], parse_event_list, opts, std::move(firsts[i]));
    matched += result.matched;
    if (result.status != source_status::ok) {
      if (result.status != source_status::partial)
        ++failed;
      if (reason.empty()) {
        status = result.status;
        reason = std::move(result.reason);
        http_status = result.http_status;
      }
    }
    all.insert(all.end(), std::make_move_iterator(result.items.begin()),
               std::make_move_iterator(result.items.end()));
    if (all.size() >= 2 * limits.max_events)
      all = select_events(std::move(all), limits.max_events);
  }
  part.data.events = select_events(std::move(all), limits.max_events);
  if (failed > 0 && failed < queries.size()) {
    status = source_status::partial;
    reason = std::to_string(failed) + " of " + std::to_string(queries.size())
             + " event queries failed: " + reason;
  } else if (failed == 0 && status == source_status::ok
             && matched > limits.max_events) {
    status = source_status::partial;
    reason = "kept the newest " + std::to_string(limits.max_events) + " of "
             + std::to_string(matched) + " events";
  }
  report(part, events_source, status, std::move(reason), start, http_status);
}

void fetch_nodes(k8s_api& api, const k8s_limits& limits, context_part& part,
                 const call& node_list, const call& pod_list,
                 std::optional<outcome> nodes_first,
                 std::optional<outcome> pods_first,
                 clock_type::time_point start) {
  list_options<node_summary> node_opts;
  node_opts.cap = limits.max_nodes;
  auto nodes = list_all<node_summary>(api, limits, node_list, parse_node_list,
                                      node_opts, std::move(nodes_first));
  if (nodes.status != source_status::ok && nodes.items.empty()) {
    report(part, nodes_source, nodes, start);
    return;
  }
  list_options<pod_request> pod_opts;
  pod_opts.cap = static_cast<size_t>(limits.page_size) * limits.max_pages;
  auto requests = list_all<pod_request>(
    api, limits, pod_list, parse_pod_requests, pod_opts, std::move(pods_first));
  add_requests(nodes.items, requests.items);
  part.data.nodes = std::move(nodes.items);
  if (nodes.status != source_status::ok) {
    report(part, nodes_source, nodes, start);
  } else if (requests.status != source_status::ok) {
    auto why = "requested resources incomplete: " + requests.reason;
    report(part, nodes_source, source_status::partial, std::move(why), start,
           requests.http_status);
  } else {
    report(part, nodes_source, source_status::ok, {}, start);
  }
}

void fetch_second_round(k8s_api& api, const k8s_limits& limits,
                        context_part& part, const fetch_scope& scope,
                        const std::optional<std::string>& body) {
  auto start = clock_type::now();
  auto subjects = subjects_of(part, scope);
  const auto& ref = subjects.ref;
  auto event_queries
    = plan_event_queries(limits, ref, subjects.pods, subjects.nodes);
  // Secrets and ConfigMaps of the pod template.
  std::vector<config_reference> refs;
  std::string refs_error;
  if (body) {
    auto parsed = parse_config_references(*body);
    if (parsed)
      refs = std::move(*parsed);
    else
      refs_error = render(parsed.error());
  }
  auto objects = config_objects(refs, limits.max_config_objects);
  auto pending = has_pending_pods(part.data.pods);
  call node_list{"/api/v1/nodes", {}};
  call pod_list{
    "/api/v1/pods",
    {{"fieldSelector", "status.phase!=Succeeded,status.phase!=Failed"}}};
  // Every first page and GET at once.
  std::vector<call> calls;
  for (auto q : event_queries) {
    q.query.emplace_back("limit", std::to_string(limits.page_size));
    calls.push_back(std::move(q));
  }
  for (const auto& [kind, name] : objects)
    calls.push_back({ns_path(ref.ns)
                       + (kind == "Secret" ? "/secrets/" : "/configmaps/")
                       + http::url_encode(name),
                     {}});
  if (pending) {
    for (auto c : {node_list, pod_list}) {
      c.query.emplace_back("limit", std::to_string(limits.page_size));
      calls.push_back(std::move(c));
    }
  }
  auto answers = api.get_all(calls);
  size_t at = 0;
  // Events.
  std::vector<outcome> event_firsts;
  for (size_t i = 0; i < event_queries.size(); ++i)
    event_firsts.push_back(std::move(answers[at++]));
  fetch_events(api, limits, part, subjects, std::move(event_queries),
               std::move(event_firsts), start);
  // Config objects.
  if (!body) {
    skip(part, config_source, "the workload was not read");
    at += objects.size();
  } else if (!refs_error.empty()) {
    report(part, config_source, source_status::error, refs_error, start);
  } else {
    size_t failed = 0;
    std::string reason;
    int http_status = 0;
    for (const auto& object : objects) {
      auto& out = answers[at++];
      if (resolve_config(refs, object, out) && failed++ == 0) {
        reason = object.first + " " + object.second + ": " + out.reason;
        http_status = out.http_status;
      }
    }
    size_t unchecked = 0;
    for (auto& r : refs)
      if (r.status == "unknown" && r.reason.empty()) {
        r.reason = "not checked: more than "
                   + std::to_string(limits.max_config_objects) + " objects";
        ++unchecked;
      }
    part.data.config_refs = std::move(refs);
    if (failed > 0 && failed == objects.size())
      report(part, config_source, source_status::error, std::move(reason),
             start, http_status);
    else if (failed > 0 || unchecked > 0)
      report(part, config_source, source_status::partial,
             failed > 0
               ? std::to_string(failed) + " of "
                   + std::to_string(objects.size())
                   + " objects unreadable: " + reason
               : std::to_string(unchecked) + " references not checked (cap)",
             start, http_status);
    else
      report(part, config_source, source_status::ok, {}, start);
  }
  // Nodes, for Pending pods.
  if (pending) {
    auto nodes_first = std::move(answers[at++]);
    auto pods_first = std::move(answers[at++]);
    fetch_nodes(api, limits, part, node_list, pod_list, std::move(nodes_first),
                std::move(pods_first), start);
  } else {
    skip(part, nodes_source, "no Pending pods");
  }
}

} // namespace

std::string workload_resource(const std::string& kind) {
  if (kind == "Deployment")
    return "deployments";
  if (kind == "StatefulSet")
    return "statefulsets";
  if (kind == "DaemonSet")
    return "daemonsets";
  return {};
}

context_part fetch_kubernetes(http::client& client, const api_endpoint& api,
                              const fetch_scope& alert_scope,
                              std::chrono::steady_clock::time_point deadline,
                              const k8s_limits& limits) {
  context_part part;
  part.data.workload.ref = alert_scope.workload;
  if (alert_scope.workload.ns.empty()) {
    for (auto source : kubernetes_sources)
      skip(part, source, "the alert names no namespace");
    return part;
  }
  k8s_api k8s{client, api, deadline, limits.max_response_bytes};
  std::optional<std::string> body;
  auto scope = alert_scope;
  std::string no_workload = "the alert names no workload";
  int owner_status = 0;
  if (scope.workload.name.empty() && !scope.pod.empty()) {
    // A DaemonSet pod ("agent-x7k2p") names no workload by its name: ask
    // the API who owns the pod.
    if (auto owner = owner_of_pod(k8s, scope, no_workload, owner_status)) {
      scope.workload = *owner;
      part.data.workload.ref = *owner;
    } else if (no_workload == "the alert names no workload") {
      no_workload += " and the owner of pod " + scope.pod
                     + " is no Deployment, StatefulSet or DaemonSet";
    }
  }
  if (scope.workload.name.empty()) {
    auto now = clock_type::now();
    report(part, workload_source,
           owner_status != 0 ? source_status::error : source_status::skipped,
           no_workload, now, owner_status);
  } else {
    auto not_found = false;
    body = fetch_workload(k8s, part, scope, not_found);
    if (not_found) {
      for (auto source : kubernetes_sources)
        if (std::string_view{source} != workload_source)
          skip(part, source, "workload not found");
      return part;
    }
  }
  fetch_namespace_lists(k8s, limits, part, scope, body);
  fetch_second_round(k8s, limits, part, scope, body);
  return part;
}

} // namespace kfix::context
