#include "actors/context/k8s_source.hpp"

#include "actors/context/context_parse.hpp"

#include <algorithm>
#include <functional>
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
constexpr auto pods_source = "kubernetes.pods";
constexpr auto events_source = "kubernetes.events";
constexpr auto quotas_source = "kubernetes.quotas";
constexpr size_t max_quotas = 100;

/// What one call gave: the body (the object, or the Status of a failure),
/// and for failures a status and reason for the report.
struct outcome {
  bool ok = false;
  int http_status = 0;
  std::string body;
  source_status status = source_status::ok;
  std::string reason;
};

/// The Kubernetes API within a deadline.
class k8s_api {
public:
  k8s_api(http::client& client, const api_endpoint& endpoint,
          clock_type::time_point deadline)
    : client_(client), endpoint_(endpoint), deadline_(deadline) {
    base_ = endpoint.base_url;
    while (!base_.empty() && base_.back() == '/')
      base_.pop_back();
  }

  bool expired() const {
    return clock_type::now() >= deadline_;
  }

  outcome get(const std::string& path, const params& query) {
    if (expired())
      return too_late();
    auto res = client_.send(make_request(path, query));
    return classify(std::move(res));
  }

  /// Sends all calls concurrently; results in call order.
  std::vector<outcome>
  get_all(const std::vector<std::pair<std::string, params>>& calls) {
    std::vector<outcome> result;
    if (expired()) {
      result.resize(calls.size(), too_late());
      return result;
    }
    std::vector<http::outgoing> reqs;
    reqs.reserve(calls.size());
    for (const auto& [path, query] : calls)
      reqs.push_back(make_request(path, query));
    auto responses = client_.send_all(reqs);
    for (auto& res : responses)
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

  http::outgoing make_request(const std::string& path,
                              const params& query) const {
    http::outgoing req;
    req.service = "kubernetes";
    req.method = "GET";
    req.url = base_ + path;
    if (!query.empty())
      req.url += "?" + http::build_query(query);
    req.headers = endpoint_.headers;
    req.headers.emplace_back("Accept", "application/json");
    auto now = clock_type::now();
    req.timeout = call_timeout(endpoint_.timeout, now, deadline_);
    req.max_attempts = call_attempts(req.timeout, now, deadline_);
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
  std::string base_;
};

/// The items of a (possibly paged) list and how fetching it went.
template <class T>
struct list_result {
  std::vector<T> items;
  source_status status = source_status::ok;
  std::string reason;
  /// Items matched beyond the cap (counted, not kept).
  size_t dropped = 0;
};

template <class T>
using page_parser
  = std::function<caf::expected<list_page<T>>(std::string_view)>;

/// Lists `path`, following `continue` up to the page cap and keeping at most
/// `cap` items that pass `keep`. `first` is the answer to the first page when
/// it was fetched already (concurrently with others).
template <class T>
list_result<T> list_all(k8s_api& api, const k8s_limits& limits,
                        const std::string& path, const params& query,
                        const page_parser<T>& parse, size_t cap,
                        const std::function<bool(const T&)>& keep = nullptr,
                        std::optional<outcome> first = std::nullopt) {
  list_result<T> result;
  std::string cont;
  auto stop = [&](source_status status, std::string reason, int page) {
    // A failure after the first page leaves a partial list.
    result.status = page == 0 ? status : source_status::partial;
    result.reason = page == 0 ? std::move(reason)
                              : "stopped after " + std::to_string(page)
                                  + " page(s): " + reason;
  };
  for (int page = 0; page < limits.max_pages; ++page) {
    auto q = query;
    q.emplace_back("limit", std::to_string(limits.page_size));
    if (!cont.empty())
      q.emplace_back("continue", cont);
    auto out = (page == 0 && first) ? std::move(*first) : api.get(path, q);
    if (!out.ok) {
      stop(out.status, std::move(out.reason), page);
      return result;
    }
    auto parsed = parse(out.body);
    if (!parsed) {
      stop(source_status::error, render(parsed.error()), page);
      return result;
    }
    for (auto& item : parsed->items) {
      if (keep && !keep(item))
        continue;
      if (result.items.size() >= cap) {
        ++result.dropped;
        continue;
      }
      result.items.push_back(std::move(item));
    }
    cont = std::move(parsed->continue_token);
    if (cont.empty())
      break;
    if (result.dropped > 0) {
      // Capped: do not page through the rest only to drop it.
      result.status = source_status::partial;
      result.reason = "capped at " + std::to_string(cap) + " (more listed)";
      return result;
    }
    if (page + 1 == limits.max_pages) {
      result.status = source_status::partial;
      result.reason
        = "stopped after " + std::to_string(limits.max_pages) + " pages";
    }
  }
  if (result.dropped > 0 && result.status == source_status::ok) {
    result.status = source_status::partial;
    result.reason = "capped at " + std::to_string(cap) + " of "
                    + std::to_string(cap + result.dropped);
  }
  return result;
}

std::string ns_path(const std::string& ns) {
  return "/api/v1/namespaces/" + http::url_encode(ns);
}

std::string workload_path(const std::string& resource, const std::string& ns,
                          const std::string& name) {
  return "/apis/apps/v1/namespaces/" + http::url_encode(ns) + "/" + resource
         + "/" + http::url_encode(name);
}

/// Adds a report measured from `start` to now.
void report(context_part& part, const char* source, source_status status,
            std::string reason, clock_type::time_point start) {
  part.reports.push_back(
    make_report(source, status, std::move(reason), start, clock_type::now()));
}

void skip(context_part& part, const char* source, const std::string& why) {
  auto now = clock_type::now();
  part.reports.push_back(
    make_report(source, source_status::skipped, why, now, now));
}

// -- stages -------------------------------------------------------------------

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
    out = api.get(workload_path(resource, ref.ns, ref.name), {});
    if (out.http_status != 404 || i + 1 == kinds.size())
      break;
  }
  if (out.http_status == 404) {
    not_found = true;
    auto msg = parse_k8s_status(out.body);
    auto why = std::string{"not found"};
    if (msg && !msg->message.empty())
      why += ": " + msg->message;
    report(part, workload_source, source_status::error, std::move(why), start);
    return std::nullopt;
  }
  if (!out.ok) {
    report(part, workload_source, out.status, std::move(out.reason), start);
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

void fetch_pods(k8s_api& api, const k8s_limits& limits, context_part& part,
                const fetch_scope& scope,
                const std::optional<std::string>& workload_body) {
  auto start = clock_type::now();
  params query;
  if (workload_body) {
    auto selector = parse_workload_selector(*workload_body);
    if (!selector) {
      report(part, pods_source, source_status::error, render(selector.error()),
             start);
      return;
    }
    query.emplace_back("labelSelector", std::move(*selector));
  } else if (!scope.pod.empty()) {
    query.emplace_back("fieldSelector", "metadata.name=" + scope.pod);
  } else {
    skip(part, pods_source, "no workload selector and no pod in the alert");
    return;
  }
  auto result
    = list_all<pod_state>(api, limits, ns_path(scope.workload.ns) + "/pods",
                          query, parse_pod_list, limits.max_pods);
  part.data.pods = std::move(result.items);
  report(part, pods_source, result.status, std::move(result.reason), start);
}

void fetch_quotas(k8s_api& api, const k8s_limits& limits, context_part& part,
                  const fetch_scope& scope) {
  auto start = clock_type::now();
  auto result = list_all<quota_state>(
    api, limits, ns_path(scope.workload.ns) + "/resourcequotas", {},
    parse_quota_list, max_quotas);
  part.data.quotas = std::move(result.items);
  report(part, quotas_source, result.status, std::move(result.reason), start);
}

void fetch_events(k8s_api& api, const k8s_limits& limits, context_part& part,
                  const fetch_scope& scope) {
  auto start = clock_type::now();
  // The workload as found (its kind may have been discovered).
  const auto& ref
    = part.data.workload_found ? part.data.workload.ref : scope.workload;
  std::set<std::string> pods;
  for (const auto& p : part.data.pods)
    pods.insert(p.name);
  if (!scope.pod.empty())
    pods.insert(scope.pod);
  std::set<std::string> nodes;
  for (const auto& p : part.data.pods)
    if (!p.node.empty())
      nodes.insert(p.node);
  std::function<bool(const event_record&)> keep = [&](const event_record& e) {
    return is_workload_event(e, ref, pods, nodes);
  };
  auto path = ns_path(ref.ns) + "/events";
  // Node events (node-problem-detector OOM kills, pressure) live in
  // `default`.
  auto node_path = ns_path("default") + "/events";
  auto field = [](std::string selector) {
    return params{{"fieldSelector", std::move(selector)}};
  };
  std::vector<std::pair<std::string, params>> queries;
  if (pods.size() <= limits.max_event_queries_per_pod) {
    // Per object: the workload (and what shares its name: HPA, PDB), its
    // ReplicaSets (by kind, filtered here: a new one may have no pods), and
    // each pod.
    if (!ref.name.empty())
      queries.emplace_back(path, field("involvedObject.name=" + ref.name));
    if (ref.kind == "Deployment")
      queries.emplace_back(path, field("involvedObject.kind=ReplicaSet"));
    for (const auto& pod : pods)
      queries.emplace_back(path, field("involvedObject.name=" + pod));
  } else {
    // Many pods: one namespace list, filtered here.
    queries.emplace_back(path, params{});
  }
  if (nodes.size() <= limits.max_event_queries_per_pod) {
    for (const auto& node : nodes)
      queries.emplace_back(
        node_path,
        field("involvedObject.kind=Node,involvedObject.name=" + node));
  } else {
    queries.emplace_back(node_path, field("involvedObject.kind=Node"));
  }
  if (queries.empty()) {
    skip(part, events_source, "no workload and no pods to ask about");
    return;
  }
  auto calls = queries;
  for (auto& call : calls)
    call.second.emplace_back("limit", std::to_string(limits.page_size));
  auto firsts = api.get_all(calls);
  std::vector<event_record> all;
  size_t failed = 0;
  size_t dropped = 0;
  auto status = source_status::ok;
  std::string reason;
  for (size_t i = 0; i < queries.size(); ++i) {
    auto result = list_all<event_record>(
      api, limits, queries[i].first, queries[i].second, parse_event_list,
      limits.max_events, keep, std::move(firsts[i]));
    dropped += result.dropped;
    if (result.status != source_status::ok) {
      if (result.status != source_status::partial)
        ++failed;
      if (reason.empty()) {
        status = result.status;
        reason = std::move(result.reason);
      }
    }
    all.insert(all.end(), std::make_move_iterator(result.items.begin()),
               std::make_move_iterator(result.items.end()));
  }
  auto matched = all.size() + dropped;
  part.data.events = select_events(std::move(all), limits.max_events);
  if (failed > 0 && failed < queries.size()) {
    status = source_status::partial;
    reason = std::to_string(failed) + " of " + std::to_string(queries.size())
             + " event queries failed: " + reason;
  } else if (failed == 0 && matched > limits.max_events) {
    status = source_status::partial;
    reason = "capped at " + std::to_string(limits.max_events) + " of "
             + std::to_string(matched) + " events";
  }
  report(part, events_source, status, std::move(reason), start);
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
                              const fetch_scope& scope,
                              std::chrono::steady_clock::time_point deadline,
                              const k8s_limits& limits) {
  context_part part;
  part.data.workload.ref = scope.workload;
  if (scope.workload.ns.empty()) {
    for (auto source :
         {workload_source, pods_source, events_source, quotas_source})
      skip(part, source, "the alert names no namespace");
    return part;
  }
  k8s_api k8s{client, api, deadline};
  std::optional<std::string> body;
  if (scope.workload.name.empty()) {
    skip(part, workload_source, "the alert names no workload");
  } else {
    auto not_found = false;
    body = fetch_workload(k8s, part, scope, not_found);
    if (not_found) {
      for (auto source : {pods_source, events_source, quotas_source})
        skip(part, source, "workload not found");
      return part;
    }
  }
  fetch_pods(k8s, limits, part, scope, body);
  fetch_events(k8s, limits, part, scope);
  fetch_quotas(k8s, limits, part, scope);
  return part;
}

} // namespace kfix::context
