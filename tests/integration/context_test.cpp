// Integration tests of the context sources: first against a scripted
// in-process http::client (exact requests, deadlines, caps), then over real
// HTTP against the Kubernetes and Datadog simulators serving the sample
// incidents.

#include "actors/common/http.hpp"
#include "actors/common/http_client.hpp"
#include "actors/common/http_server.hpp"
#include "actors/context/context_merge.hpp"
#include "actors/context/datadog_source.hpp"
#include "actors/context/k8s_source.hpp"
#include "actors/context/log_redaction.hpp"
#include "eval/sim/incident.hpp"
#include "eval/sim/simulator_host.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kfix::context {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

std::string data(const std::string& name) {
  std::ifstream in{std::string{KFIX_SOURCE_DIR} + "/tests/data/context/"
                   + name};
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const source_report* find_report(const std::vector<source_report>& xs,
                                 const std::string& name) {
  for (const auto& x : xs)
    if (x.source == name)
      return &x;
  return nullptr;
}

// -- a scripted client --------------------------------------------------------

/// Answers requests with the first route whose predicate matches; records
/// every request. Routes may fail (no HTTP answer) with an error.
class scripted_client : public http::client {
public:
  using route_fn
    = std::function<caf::expected<http::incoming>(const http::outgoing&)>;

  void route(std::function<bool(const http::outgoing&)> match,
             route_fn answer) {
    routes_.push_back({std::move(match), std::move(answer)});
  }

  /// Answers URLs containing `needle` with `status` and `body`.
  void on(std::string needle, int status, std::string body) {
    route(
      [needle](const http::outgoing& req) {
        return req.url.find(needle) != std::string::npos;
      },
      [status, body](const http::outgoing&) -> caf::expected<http::incoming> {
        http::incoming res;
        res.status = status;
        res.body = body;
        return res;
      });
  }

  caf::expected<http::incoming> send(const http::outgoing& req) override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      sent_.push_back(req);
    }
    for (const auto& r : routes_)
      if (r.match(req))
        return r.answer(req);
    http::incoming res;
    res.status = 404;
    res.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
               R"("message":"the server could not find the requested )"
               R"(resource","reason":"NotFound","code":404})";
    return res;
  }

  std::vector<caf::expected<http::incoming>>
  send_all(const std::vector<http::outgoing>& reqs) override {
    std::vector<caf::expected<http::incoming>> result;
    for (const auto& req : reqs)
      result.push_back(send(req));
    return result;
  }

  std::vector<http::outgoing> sent() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return sent_;
  }

  size_t count(const std::string& needle) const {
    auto xs = sent();
    return static_cast<size_t>(
      std::count_if(xs.begin(), xs.end(), [&](const http::outgoing& x) {
        return x.url.find(needle) != std::string::npos;
      }));
  }

private:
  struct entry {
    std::function<bool(const http::outgoing&)> match;
    route_fn answer;
  };
  std::vector<entry> routes_;
  mutable std::mutex mtx_;
  std::vector<http::outgoing> sent_;
};

fetch_scope checkout_scope() {
  fetch_scope s;
  s.workload = {"Deployment", "shop", "checkout"};
  s.container = "app";
  s.cluster = "eu-1";
  s.alert_time_s = 1773482531; // 2026-03-14T10:02:11Z
  return s;
}

api_endpoint k8s_api() {
  return {"http://k8s.test/", {{"Authorization", "Bearer t0ken"}}, 2000ms};
}

api_endpoint dd_api() {
  return {"http://dd.test",
          {{"DD-API-KEY", "k"}, {"DD-APPLICATION-KEY", "a"}},
          2000ms};
}

std::string last_page(const std::string& list) {
  auto j = nlohmann::json::parse(list);
  j["metadata"].erase("continue");
  return j.dump();
}

void script_kubernetes(scripted_client& c) {
  c.on("/deployments/checkout", 200, data("deployment_checkout.json"));
  // Page 1 carries a continue token; page 2 is the rest.
  auto pods = nlohmann::json::parse(data("pod_list.json"));
  auto page2 = pods;
  page2["metadata"].erase("continue");
  page2["items"] = nlohmann::json::array({pods["items"][3]});
  pods["items"].erase(3);
  c.on("/pods?labelSelector=app%3Dcheckout%2Ctier%3Dweb&limit=500&continue=",
       200, page2.dump());
  c.on("/pods?labelSelector=app%3Dcheckout%2Ctier%3Dweb", 200, pods.dump());
  c.on("/namespaces/default/events", 200, data("events_nodes.json"));
  c.on("/events", 200, data("event_list.json"));
  c.on("/resourcequotas", 200, last_page(data("quota_list.json")));
}

// -- Kubernetes, scripted -----------------------------------------------------

TEST(ContextFetchScripted, KubernetesWorkloadPodsEventsQuotas) {
  scripted_client c;
  script_kubernetes(c);
  auto part
    = fetch_kubernetes(c, k8s_api(), checkout_scope(), clock_type::now() + 5s);
  for (const auto& name : {"kubernetes.workload", "kubernetes.pods",
                           "kubernetes.events", "kubernetes.quotas"}) {
    const auto* r = find_report(part.reports, name);
    ASSERT_NE(r, nullptr) << name;
    EXPECT_EQ(r->status, source_status::ok) << name << ": " << r->reason;
  }
  ASSERT_TRUE(part.data.workload_found);
  EXPECT_EQ(part.data.workload.containers.size(), 2u);
  EXPECT_EQ(part.data.pods.size(), 4u); // both pages
  EXPECT_EQ(part.data.quotas.size(), 2u);
  // The same events answer every per-object query; duplicates are dropped.
  // Node events are kept for the pods' nodes only (node-1, node-2).
  ASSERT_EQ(part.data.events.size(), 6u);
  EXPECT_EQ(part.data.events[0].reason, "BackOff");
  EXPECT_EQ(part.data.events[1].involved_kind, "Node");
  EXPECT_EQ(part.data.events[1].involved_name, "node-1");
  EXPECT_EQ(part.data.events[1].reason, "OOMKilling");
  EXPECT_EQ(part.data.events[5].reason, "NodeHasSufficientMemory");
  // Requests: auth header, URL-encoded selector, per-object event queries.
  auto sent = c.sent();
  ASSERT_FALSE(sent.empty());
  EXPECT_EQ(sent[0].url,
            "http://k8s.test/apis/apps/v1/namespaces/shop/deployments/"
            "checkout");
  EXPECT_EQ(sent[0].service, "kubernetes");
  EXPECT_NE(std::find(sent[0].headers.begin(), sent[0].headers.end(),
                      std::pair<std::string, std::string>{"Authorization",
                                                          "Bearer t0ken"}),
            sent[0].headers.end());
  EXPECT_LE(sent[0].timeout, 2000ms);
  EXPECT_EQ(c.count("fieldSelector=involvedObject.name%3Dcheckout&"), 1u);
  EXPECT_EQ(c.count("fieldSelector=involvedObject.kind%3DReplicaSet"), 1u);
  EXPECT_EQ(c.count("involvedObject.name%3Dcheckout-7d9f8b6c5-x2k4q"), 1u);
  EXPECT_EQ(c.count("/namespaces/shop/events"), 2u + 4u);
  EXPECT_EQ(c.count("/namespaces/default/events?fieldSelector=involvedObject."
                    "kind%3DNode%2CinvolvedObject.name%3Dnode-"),
            3u);
}

TEST(ContextFetchScripted, ManyPodsUseOneNamespaceEventList) {
  scripted_client c;
  script_kubernetes(c);
  k8s_limits limits;
  limits.max_event_queries_per_pod = 2;
  auto part = fetch_kubernetes(c, k8s_api(), checkout_scope(),
                               clock_type::now() + 5s, limits);
  EXPECT_EQ(c.count("/events"), 2u);
  EXPECT_EQ(c.count("/namespaces/shop/events?limit=500"), 1u);
  EXPECT_EQ(c.count("/namespaces/default/events?fieldSelector=involvedObject."
                    "kind%3DNode&limit=500"),
            1u);
  EXPECT_EQ(part.data.events.size(), 6u);
}

TEST(ContextFetchScripted, KubernetesCapsPagesAndEvents) {
  scripted_client c;
  script_kubernetes(c);
  k8s_limits limits;
  limits.max_pods = 2;
  limits.max_events = 3;
  auto part = fetch_kubernetes(c, k8s_api(), checkout_scope(),
                               clock_type::now() + 5s, limits);
  EXPECT_EQ(part.data.pods.size(), 2u);
  EXPECT_EQ(find_report(part.reports, "kubernetes.pods")->status,
            source_status::partial);
  EXPECT_EQ(part.data.events.size(), 3u);
  const auto* ev = find_report(part.reports, "kubernetes.events");
  EXPECT_EQ(ev->status, source_status::partial);
  EXPECT_NE(ev->reason.find("kept the newest 3 of"), std::string::npos)
    << ev->reason;
  // The newest three, newest first.
  EXPECT_TRUE(std::is_sorted(part.data.events.begin(), part.data.events.end(),
                             [](const event_record& x, const event_record& y) {
                               return x.last_seen > y.last_seen;
                             }));
}

TEST(ContextFetchScripted, WorkloadNotFoundSkipsTheRest) {
  scripted_client c;
  c.on("/deployments/checkout", 404, data("status_404.json"));
  auto part
    = fetch_kubernetes(c, k8s_api(), checkout_scope(), clock_type::now() + 5s);
  EXPECT_FALSE(part.data.workload_found);
  EXPECT_EQ(part.data.workload.ref.name, "checkout");
  const auto* w = find_report(part.reports, "kubernetes.workload");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status, source_status::error);
  EXPECT_EQ(w->reason, "not found: deployments.apps \"checkout\" not found");
  for (const auto& name :
       {"kubernetes.pods", "kubernetes.events", "kubernetes.quotas"})
    EXPECT_EQ(find_report(part.reports, name)->status, source_status::skipped);
  EXPECT_EQ(c.sent().size(), 1u);
}

TEST(ContextFetchScripted, KindDiscoveredWhenTheAlertHasNone) {
  scripted_client c;
  c.on("/statefulsets/ledger-db", 200, data("statefulset_ledger.json"));
  c.on("/pods?", 200, R"({"kind":"PodList","metadata":{},"items":[]})");
  c.on("/events", 200, R"({"kind":"EventList","metadata":{},"items":[]})");
  c.on("/resourcequotas", 200,
       R"({"kind":"ResourceQuotaList","metadata":{},"items":[]})");
  auto scope = checkout_scope();
  scope.workload = {"", "finance", "ledger-db"};
  auto part = fetch_kubernetes(c, k8s_api(), scope, clock_type::now() + 5s);
  ASSERT_TRUE(part.data.workload_found);
  EXPECT_EQ(part.data.workload.ref.kind, "StatefulSet");
  EXPECT_EQ(c.count("/deployments/ledger-db"), 1u);
  // The pods and the ControllerRevisions, by the same selector.
  EXPECT_EQ(c.count("/pods?labelSelector=app%3Dledger-db%2Ctier%20in%20%28db%"
                    "2Ccache%29%2C%21canary"),
            1u)
    << c.sent()[2].url;
  EXPECT_EQ(c.count("/controllerrevisions?labelSelector=app%3Dledger-db%2Ctier"
                    "%20in%20%28db%2Ccache%29%2C%21canary"),
            1u);
}

TEST(ContextFetchScripted, WorkloadFromThePodsOwner) {
  scripted_client c;
  c.on("/pods/checkout-7d9f8b6c5-x2k4q", 200,
       R"({"kind":"Pod","metadata":{"name":"checkout-7d9f8b6c5-x2k4q",)"
       R"("namespace":"shop","ownerReferences":[{"kind":"ReplicaSet",)"
       R"("name":"checkout-7d9f8b6c5","controller":true}]}})");
  c.on("/replicasets/checkout-7d9f8b6c5", 200,
       R"({"kind":"ReplicaSet","metadata":{"name":"checkout-7d9f8b6c5",)"
       R"("namespace":"shop","ownerReferences":[{"kind":"Deployment",)"
       R"("name":"checkout","controller":true}]}})");
  script_kubernetes(c);
  auto scope = checkout_scope();
  scope.workload = {"", "shop", ""};
  scope.pod = "checkout-7d9f8b6c5-x2k4q";
  auto part = fetch_kubernetes(c, k8s_api(), scope, clock_type::now() + 5s);
  ASSERT_TRUE(part.data.workload_found);
  EXPECT_EQ(part.data.workload.ref.name, "checkout");
  EXPECT_EQ(part.data.workload.ref.kind, "Deployment");
  EXPECT_EQ(part.data.pods.size(), 4u);
  // A pod without a controller: the workload is skipped, its pod still read.
  scripted_client bare;
  bare.on("/pods/lonely", 200,
          R"({"kind":"Pod","metadata":{"name":"lonely","namespace":"shop"}})");
  scope.pod = "lonely";
  part = fetch_kubernetes(bare, k8s_api(), scope, clock_type::now() + 5s);
  EXPECT_FALSE(part.data.workload_found);
  const auto* w = find_report(part.reports, "kubernetes.workload");
  EXPECT_EQ(w->status, source_status::skipped);
  EXPECT_EQ(w->reason,
            "the alert names no workload and pod lonely has no controller");
  EXPECT_EQ(bare.count("/pods?fieldSelector=metadata.name%3Dlonely"), 1u);
}

TEST(ContextFetchScripted, ForbiddenPodsIsAnAnswer) {
  scripted_client c;
  c.on("/pods", 403, data("status_403.json"));
  script_kubernetes(c);
  auto part
    = fetch_kubernetes(c, k8s_api(), checkout_scope(), clock_type::now() + 5s);
  const auto* pods = find_report(part.reports, "kubernetes.pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->status, source_status::error);
  EXPECT_EQ(pods->reason.rfind("HTTP 403: pods is forbidden: User", 0), 0u)
    << pods->reason;
  EXPECT_TRUE(part.data.pods.empty());
  EXPECT_EQ(find_report(part.reports, "kubernetes.workload")->status,
            source_status::ok);
  EXPECT_EQ(find_report(part.reports, "kubernetes.events")->status,
            source_status::ok);
  EXPECT_EQ(find_report(part.reports, "kubernetes.quotas")->status,
            source_status::ok);
}

TEST(ContextFetchScripted, NetworkFailuresAndDeadline) {
  scripted_client c;
  c.route(
    [](const http::outgoing& req) {
      return req.url.find("/resourcequotas") != std::string::npos;
    },
    [](const http::outgoing&) -> caf::expected<http::incoming> {
      return make_error(ec::unavailable, "connection refused");
    });
  c.route(
    [](const http::outgoing& req) {
      return req.url.find("/events") != std::string::npos;
    },
    [](const http::outgoing&) -> caf::expected<http::incoming> {
      return make_error(ec::timeout, "operation timed out");
    });
  script_kubernetes(c);
  auto part
    = fetch_kubernetes(c, k8s_api(), checkout_scope(), clock_type::now() + 5s);
  EXPECT_EQ(find_report(part.reports, "kubernetes.quotas")->status,
            source_status::error);
  EXPECT_EQ(find_report(part.reports, "kubernetes.events")->status,
            source_status::timeout);
  // A deadline in the past: nothing is called, everything is a timeout.
  scripted_client idle;
  auto late = fetch_kubernetes(idle, k8s_api(), checkout_scope(),
                               clock_type::now() - 1ms);
  EXPECT_TRUE(idle.sent().empty());
  const auto* w = find_report(late.reports, "kubernetes.workload");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status, source_status::timeout);
}

TEST(ContextFetchScripted, DeadlinePassingMidwayMarksTheRestTimeout) {
  scripted_client c;
  auto deadline = clock_type::now() + 300ms;
  // The workload answers after the deadline.
  c.route(
    [](const http::outgoing& req) {
      return req.url.find("/deployments/") != std::string::npos;
    },
    [deadline](const http::outgoing& req) -> caf::expected<http::incoming> {
      EXPECT_LE(req.timeout, 300ms);
      std::this_thread::sleep_until(deadline + 10ms);
      http::incoming res;
      res.status = 200;
      res.body = data("deployment_checkout.json");
      return res;
    });
  auto part = fetch_kubernetes(c, k8s_api(), checkout_scope(), deadline);
  EXPECT_TRUE(part.data.workload_found);
  for (const auto& name :
       {"kubernetes.pods", "kubernetes.events", "kubernetes.quotas"}) {
    const auto* r = find_report(part.reports, name);
    ASSERT_NE(r, nullptr) << name;
    EXPECT_EQ(r->status, source_status::timeout) << name;
  }
  EXPECT_EQ(c.sent().size(), 1u);
}

// -- Datadog, scripted --------------------------------------------------------

void script_datadog(scripted_client& c) {
  c.on("/api/v1/query?", 200, data("metrics_working_set.json"));
  c.route(
    [](const http::outgoing& req) {
      return req.url.find("/api/v2/logs/events/search") != std::string::npos;
    },
    [](const http::outgoing& req) -> caf::expected<http::incoming> {
      auto body = nlohmann::json::parse(req.body);
      http::incoming res;
      res.status = 200;
      res.body = body["page"].contains("cursor") ? data("logs_page_last.json")
                                                 : data("logs_page1.json");
      return res;
    });
}

TEST(ContextFetchScripted, DatadogMetricsAndPagedLogs) {
  scripted_client c;
  script_datadog(c);
  datadog_config cfg;
  auto part
    = fetch_datadog(c, dd_api(), checkout_scope(), cfg, clock_type::now() + 5s);
  const auto* m = find_report(part.reports, "datadog.metrics");
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->status, source_status::ok) << m->reason;
  // 8 requests (4 families x 2 windows), 2 summarised series each.
  EXPECT_EQ(c.count("/api/v1/query?"), 8u);
  EXPECT_EQ(part.data.metrics.size(), 16u);
  auto q = c.sent()[0];
  EXPECT_EQ(q.url.rfind("http://dd.test/api/v1/query?from=1772877731&to="
                        "1773482531&query=max%3Akubernetes.memory.usage%7Bkube"
                        "_namespace%3Ashop%2Ckube_deployment%3Acheckout%2Ckube"
                        "_cluster_name%3Aeu-1%7D%20by%20%7Bkube_container_name"
                        "%7D%2Cmax%3Akubernetes.memory.working_set",
                        0),
            0u)
    << q.url;
  EXPECT_EQ(q.deadline.has_value(), true);
  EXPECT_EQ(q.service, "datadog");
  EXPECT_EQ(q.headers[0],
            (std::pair<std::string, std::string>{"DD-API-KEY", "k"}));
  const auto* l = find_report(part.reports, "datadog.logs");
  ASSERT_NE(l, nullptr);
  EXPECT_EQ(l->status, source_status::ok) << l->reason;
  ASSERT_EQ(part.data.logs.size(), 4u);
  EXPECT_EQ(part.data.logs[3].message,
            "DB_PASSWORD=<redacted> loaded from env; retrying in 5s");
  // The second logs page follows the cursor; the last request asks for the
  // start-up lines of the sizing window.
  std::vector<http::outgoing> posts;
  for (const auto& r : c.sent())
    if (r.method == "POST")
      posts.push_back(r);
  ASSERT_EQ(posts.size(), 3u);
  auto second = nlohmann::json::parse(posts[1].body);
  EXPECT_EQ(
    second["page"]["cursor"],
    nlohmann::json::parse(data("logs_page1.json"))["meta"]["page"]["after"]);
  auto startup = nlohmann::json::parse(posts[2].body);
  EXPECT_NE(startup["filter"]["query"].get<std::string>().find("started in"),
            std::string::npos);
  EXPECT_EQ(startup["filter"]["from"], "2026-03-07T10:02:11Z");
}

TEST(ContextFetchScripted, DatadogLogsCapped) {
  scripted_client c;
  script_datadog(c);
  datadog_config cfg;
  cfg.max_log_events = 2;
  auto part
    = fetch_datadog(c, dd_api(), checkout_scope(), cfg, clock_type::now() + 5s);
  EXPECT_EQ(part.data.logs.size(), 2u);
  const auto* l = find_report(part.reports, "datadog.logs");
  EXPECT_EQ(l->status, source_status::partial);
  EXPECT_EQ(l->reason, "capped at 2 log events");
  EXPECT_EQ(nlohmann::json::parse(c.sent().back().body)["page"]["limit"], 2);
}

TEST(ContextFetchScripted, DatadogErrors) {
  scripted_client c;
  c.on("/api/v1/query?", 403, data("dd_errors_strings.json"));
  c.on("/api/v2/logs", 429, data("dd_429.html"));
  auto part = fetch_datadog(c, dd_api(), checkout_scope(), datadog_config{},
                            clock_type::now() + 5s);
  const auto* m = find_report(part.reports, "datadog.metrics");
  EXPECT_EQ(m->status, source_status::error);
  EXPECT_EQ(m->reason, "HTTP 403: API key required");
  const auto* l = find_report(part.reports, "datadog.logs");
  EXPECT_EQ(l->status, source_status::error);
  EXPECT_EQ(l->reason, "HTTP 429: rate limited");
  EXPECT_TRUE(part.data.metrics.empty());
  EXPECT_TRUE(part.data.logs.empty());
}

TEST(ContextFetchScripted, DatadogSomeMetricQueriesFail) {
  scripted_client c;
  c.on("kubernetes.memory.rss", 400, data("metrics_error.json"));
  script_datadog(c);
  auto part = fetch_datadog(c, dd_api(), checkout_scope(), datadog_config{},
                            clock_type::now() + 5s);
  const auto* m = find_report(part.reports, "datadog.metrics");
  EXPECT_EQ(m->status, source_status::partial);
  // The memory family fails in both windows.
  EXPECT_EQ(m->reason.rfind("2 of 8 metric queries failed: HTTP 400: Error "
                            "parsing query",
                            0),
            0u)
    << m->reason;
  EXPECT_EQ(m->http_status, 400);
  EXPECT_EQ(part.data.metrics.size(), 12u);
}

TEST(ContextFetchScripted, MergeBothSources) {
  scripted_client c;
  script_kubernetes(c);
  script_datadog(c);
  auto deadline = clock_type::now() + 5s;
  std::vector<context_part> parts;
  parts.push_back(fetch_kubernetes(c, k8s_api(), checkout_scope(), deadline));
  parts.push_back(
    fetch_datadog(c, dd_api(), checkout_scope(), datadog_config{}, deadline));
  auto bundle = merge_context(std::move(parts));
  EXPECT_TRUE(bundle.workload_found);
  // Ten Kubernetes reports, two Datadog ones.
  EXPECT_EQ(bundle.sources.size(), 12u);
  const auto* ws
    = bundle.find_metric("kubernetes.memory.working_set", "app", "7d");
  ASSERT_NE(ws, nullptr);
  EXPECT_DOUBLE_EQ(ws->max, 20e6);
  EXPECT_NE(bundle.find_metric("kubernetes.memory.working_set", "app", "1h"),
            nullptr);
}

// -- against the simulators ---------------------------------------------------

/// The Kubernetes and Datadog simulators of the sample incidents, each API
/// behind its own HTTP server on 127.0.0.1 (port 0), and a curl client;
/// loaded once per suite, faults cleared before every test.
class ContextFetch : public ::testing::Test {
protected:
  struct world {
    sim::simulator_host host;
    std::vector<sim::recorded_incident> incidents;
    std::unique_ptr<http::server> k8s_server;
    std::unique_ptr<http::server> dd_server;
    std::shared_ptr<http::client> client;
    std::string error;
  };

  static void SetUpTestSuite() {
    shared_ = std::make_unique<world>();
    auto& w = *shared_;
    auto samples
      = std::filesystem::path{KFIX_SOURCE_DIR} / "datasets" / "samples";
    for (const auto& id : {"oom-checkout-0314", "mem-pressure-orders-0402",
                           "oom-ledger-db-0519"}) {
      auto inc = sim::load_incident(samples / id);
      if (!inc) {
        w.error = std::string{id} + ": " + render(inc.error());
        return;
      }
      if (auto err = w.host.add_incident(*inc)) {
        w.error = std::string{id} + ": " + render(err);
        return;
      }
      w.incidents.push_back(std::move(*inc));
    }
    auto* host = &w.host;
    // Enough threads that requests delayed by a test (sleeping in their
    // handler) never hold up the next test's requests.
    http::server_config srv;
    srv.threads = 16;
    auto k8s = http::start_server(
      srv, http::sync_handler([host](const http::request& req) {
        return host->handle_kubernetes(req);
      }));
    auto dd = http::start_server(
      srv, http::sync_handler([host](const http::request& req) {
        return host->handle_datadog(req);
      }));
    if (!k8s || !dd) {
      w.error = "cannot start the simulator servers";
      return;
    }
    w.k8s_server = std::move(*k8s);
    w.dd_server = std::move(*dd);
    http::client_config cfg;
    cfg.backoff_base = 10ms;
    w.client = http::make_curl_client(cfg);
  }

  static void TearDownTestSuite() {
    if (shared_) {
      if (shared_->k8s_server)
        shared_->k8s_server->stop();
      if (shared_->dd_server)
        shared_->dd_server->stop();
    }
    shared_.reset();
  }

  void SetUp() override {
    ASSERT_TRUE(shared_ && shared_->error.empty()) << shared_->error;
    for (const auto& inc : shared_->incidents) {
      host().kubernetes(inc.id)->clear_faults();
      host().datadog(inc.id)->clear_faults();
    }
    client_ = shared_->client;
  }

  static sim::simulator_host& host() {
    return shared_->host;
  }

  static const std::vector<sim::recorded_incident>& incidents() {
    return shared_->incidents;
  }

  const sim::recorded_incident& incident(const std::string& id) const {
    for (const auto& x : incidents())
      if (x.id == id)
        return x;
    throw std::logic_error("unknown incident " + id);
  }

  /// The scope the alert of `id` gives.
  fetch_scope scope_of(const std::string& id) const {
    const auto& inc = incident(id);
    auto alert = nlohmann::json::parse(inc.alert_json);
    fetch_scope s;
    s.workload = inc.workload;
    s.cluster = inc.cluster;
    s.alert_time_s = inc.received_at_s;
    s.container = alert.value("kube_container_name", "");
    s.pod = alert.value("pod_name", "");
    s.service = alert.value("service", "");
    return s;
  }

  api_endpoint k8s_endpoint(const std::string& id) const {
    return {shared_->k8s_server->base_url()
              + sim::simulator_host::base_path(id),
            {{"Authorization", "Bearer test-token"}},
            3000ms};
  }

  api_endpoint dd_endpoint(const std::string& id) const {
    return {
      shared_->dd_server->base_url() + sim::simulator_host::base_path(id),
      {{"DD-API-KEY", "test-api-key"}, {"DD-APPLICATION-KEY", "test-app-key"}},
      3000ms};
  }

  context_bundle fetch_all(const std::string& id, const datadog_config& cfg,
                           std::chrono::milliseconds budget = 8000ms) {
    auto deadline = clock_type::now() + budget;
    auto scope = scope_of(id);
    std::vector<context_part> parts;
    parts.push_back(
      fetch_kubernetes(*client_, k8s_endpoint(id), scope, deadline));
    parts.push_back(
      fetch_datadog(*client_, dd_endpoint(id), scope, cfg, deadline));
    return merge_context(std::move(parts));
  }

  /// The largest working set of `container` over the sizing window, straight
  /// from state/metrics.json.
  double peak_working_set(const std::string& id,
                          const std::string& container) const {
    const auto& inc = incident(id);
    std::ifstream in{inc.dir / "state" / "metrics.json"};
    auto metrics = nlohmann::json::parse(in);
    auto from = inc.received_at_s - 7 * 86400;
    auto to = inc.received_at_s;
    double peak = 0;
    for (const auto& s : metrics["series"]) {
      if (s["metric"] != "kubernetes.memory.working_set")
        continue;
      auto tags = s["tags"].get<std::vector<std::string>>();
      if (std::find(tags.begin(), tags.end(),
                    "kube_container_name:" + container)
          == tags.end())
        continue;
      for (const auto& p : s["points"]) {
        auto ts = p[0].get<double>();
        if (ts < from || ts > to || p[1].is_null())
          continue;
        peak = std::max(peak, p[1].get<double>());
      }
    }
    return peak;
  }

  static std::unique_ptr<world> shared_;
  std::shared_ptr<http::client> client_;
};

std::unique_ptr<ContextFetch::world> ContextFetch::shared_;

TEST_F(ContextFetch, OomCheckoutBundle) {
  const std::string id = "oom-checkout-0314";
  datadog_config cfg;
  auto bundle = fetch_all(id, cfg);
  ASSERT_EQ(bundle.sources.size(), 12u);
  for (const auto& r : bundle.sources)
    EXPECT_EQ(r.status, r.source == "kubernetes.nodes" ? source_status::skipped
                                                       : source_status::ok)
      << r.source << ": " << r.reason;
  // The workload and its two containers.
  ASSERT_TRUE(bundle.workload_found);
  const auto& w = bundle.workload;
  EXPECT_EQ(w.ref.kind, "Deployment");
  EXPECT_EQ(w.ref.name, "checkout");
  EXPECT_EQ(w.replicas, 3);
  EXPECT_EQ(w.revision, "7");
  EXPECT_EQ(w.max_surge, "25%");
  EXPECT_FALSE(w.uid.empty());
  ASSERT_EQ(w.containers.size(), 2u);
  ASSERT_NE(w.container("app"), nullptr);
  EXPECT_EQ(w.container("app")->limits.at("memory"), "768Mi");
  EXPECT_EQ(w.container("app")->requests.at("memory"), "512Mi");
  EXPECT_EQ(w.container("app")->limits.count("cpu"), 0u);
  ASSERT_NE(w.container("log-shipper"), nullptr);
  EXPECT_EQ(w.container("log-shipper")->limits.at("memory"), "128Mi");
  // Three pods, each with app OOMKilled last.
  ASSERT_EQ(bundle.pods.size(), 3u);
  for (const auto& pod : bundle.pods) {
    const container_status* app = nullptr;
    for (const auto& c : pod.containers)
      if (c.name == "app")
        app = &c;
    ASSERT_NE(app, nullptr) << pod.name;
    EXPECT_EQ(app->last_termination_reason, "OOMKilled") << pod.name;
    EXPECT_EQ(app->last_exit_code, 137) << pod.name;
    EXPECT_GT(app->restart_count, 0) << pod.name;
  }
  // Events of the pods, and the node-problem-detector OOM kills on their
  // nodes, newest first.
  ASSERT_FALSE(bundle.events.empty());
  auto has_event = [&](const std::string& kind, const std::string& reason) {
    return std::any_of(bundle.events.begin(), bundle.events.end(),
                       [&](const event_record& e) {
                         return e.involved_kind == kind && e.reason == reason;
                       });
  };
  EXPECT_TRUE(has_event("Pod", "BackOff"));
  EXPECT_TRUE(has_event("Node", "OOMKilling"));
  EXPECT_EQ(bundle.events.front().last_seen, "2026-03-14T10:02:11Z");
  // The namespace quota.
  ASSERT_EQ(bundle.quotas.size(), 1u);
  EXPECT_EQ(bundle.quotas[0].name, "shop-compute");
  EXPECT_EQ(bundle.quotas[0].hard.at("limits.memory"), "64Gi");
  EXPECT_EQ(bundle.quotas[0].used.at("limits.memory"), "23104Mi");
  // Working set of app over 7 days: the peak before the kills.
  const auto* ws
    = bundle.find_metric("kubernetes.memory.working_set", "app", "7d");
  ASSERT_NE(ws, nullptr);
  EXPECT_EQ(ws->unit, "byte");
  EXPECT_GT(ws->samples, 1000);
  EXPECT_DOUBLE_EQ(ws->max, peak_working_set(id, "app"));
  EXPECT_GT(ws->max, 740.0 * 1024 * 1024);
  EXPECT_LT(ws->max, 768.0 * 1024 * 1024);
  EXPECT_LE(ws->p95, ws->max);
  EXPECT_LE(ws->p50, ws->p95);
  EXPECT_NE(bundle.find_metric("kubernetes.memory.working_set", "app", "1h"),
            nullptr);
  const auto* limits
    = bundle.find_metric("kubernetes.memory.limits", "app", "7d");
  ASSERT_NE(limits, nullptr);
  EXPECT_DOUBLE_EQ(limits->max, 768.0 * 1024 * 1024);
  const auto* cpu
    = bundle.find_metric("kubernetes.cpu.usage.total", "app", "7d");
  ASSERT_NE(cpu, nullptr);
  EXPECT_EQ(cpu->unit, "core");
  EXPECT_GT(cpu->max, 0.0);
  EXPECT_LT(cpu->max, 16.0); // cores, not nanocores
  const auto* shipper
    = bundle.find_metric("kubernetes.memory.working_set", "log-shipper", "7d");
  ASSERT_NE(shipper, nullptr);
  EXPECT_LT(shipper->max, 128.0 * 1024 * 1024);
  // Logs: error, warn and critical of the service, redacted.
  ASSERT_FALSE(bundle.logs.empty());
  for (const auto& log : bundle.logs) {
    EXPECT_TRUE(log.status == "error" || log.status == "warn"
                || log.status == "critical")
      << log.status;
    EXPECT_EQ(log.service, "checkout");
    EXPECT_LE(log.message.size(), max_log_message_bytes);
    EXPECT_EQ(redact_log_message(log.message), log.message);
  }
  EXPECT_TRUE(std::is_sorted(bundle.logs.begin(), bundle.logs.end(),
                             [](const log_record& x, const log_record& y) {
                               return x.timestamp > y.timestamp;
                             }));
  EXPECT_TRUE(host().kubernetes(id)->unknown_requests().empty());
  EXPECT_TRUE(host().datadog(id)->unknown_requests().empty());
}

TEST_F(ContextFetch, LogsCappedAndPaged) {
  const std::string id = "oom-checkout-0314";
  // Everything in one page.
  auto all = fetch_datadog(*client_, dd_endpoint(id), scope_of(id),
                           datadog_config{}, clock_type::now() + 8s);
  ASSERT_EQ(find_report(all.reports, "datadog.logs")->status,
            source_status::ok);
  ASSERT_GT(all.data.logs.size(), 20u);
  // Pages of 10, following meta.page.after: the same events.
  datadog_limits small;
  small.log_page_limit = 10;
  auto before = host().datadog(id)->request_count();
  auto paged = fetch_datadog(*client_, dd_endpoint(id), scope_of(id),
                             datadog_config{}, clock_type::now() + 8s, small);
  EXPECT_EQ(find_report(paged.reports, "datadog.logs")->status,
            source_status::ok);
  ASSERT_EQ(paged.data.logs.size(), all.data.logs.size());
  for (size_t i = 0; i < all.data.logs.size(); ++i)
    EXPECT_EQ(paged.data.logs[i].message, all.data.logs[i].message) << i;
  auto pages = (all.data.logs.size() + 9) / 10;
  EXPECT_GE(host().datadog(id)->request_count() - before, 8 + pages);
  // Capped below what there is.
  datadog_config cfg;
  cfg.max_log_events = 15;
  auto capped = fetch_datadog(*client_, dd_endpoint(id), scope_of(id), cfg,
                              clock_type::now() + 8s, small);
  EXPECT_EQ(capped.data.logs.size(), 15u);
  const auto* logs = find_report(capped.reports, "datadog.logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->status, source_status::partial);
  EXPECT_EQ(logs->reason, "capped at 15 log events");
  EXPECT_EQ(capped.data.logs[14].message, all.data.logs[14].message);
}

TEST_F(ContextFetch, ForbiddenPodsIsReportedTheRestIsOk) {
  const std::string id = "oom-checkout-0314";
  host().kubernetes(id)->fail_path("/api/v1/namespaces/shop/pods", 403);
  auto bundle = fetch_all(id, datadog_config{});
  const auto* pods = find_report(bundle.sources, "kubernetes.pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ(pods->status, source_status::error);
  EXPECT_NE(pods->reason.find("HTTP 403"), std::string::npos) << pods->reason;
  EXPECT_NE(pods->reason.find("forbidden"), std::string::npos) << pods->reason;
  EXPECT_TRUE(bundle.pods.empty());
  for (const auto& name :
       {"kubernetes.workload", "kubernetes.events", "kubernetes.quotas",
        "datadog.metrics", "datadog.logs"}) {
    const auto* r = find_report(bundle.sources, name);
    ASSERT_NE(r, nullptr) << name;
    EXPECT_EQ(r->status, source_status::ok) << name << ": " << r->reason;
  }
  EXPECT_TRUE(bundle.workload_found);
  EXPECT_FALSE(bundle.events.empty()); // the workload's own, at least
}

TEST_F(ContextFetch, DelayPastTheDeadlineIsATimeout) {
  const std::string id = "oom-checkout-0314";
  // Every Kubernetes path is slow ("/api" prefixes /api/v1 and /apis), so
  // each call is cut off at the deadline whatever the source asks first.
  host().kubernetes(id)->delay_path("/api", 1500ms);
  auto start = clock_type::now();
  auto part
    = fetch_kubernetes(*client_, k8s_endpoint(id), scope_of(id), start + 400ms);
  EXPECT_LT(clock_type::now() - start, 1400ms);
  EXPECT_FALSE(part.data.workload_found);
  ASSERT_EQ(part.reports.size(), 10u);
  // What was asked timed out; what needs the workload was skipped.
  for (const auto& r : part.reports) {
    auto needs_workload
      = r.source == "kubernetes.revisions" || r.source == "kubernetes.pdb"
        || r.source == "kubernetes.config" || r.source == "kubernetes.nodes";
    EXPECT_EQ(r.status,
              needs_workload ? source_status::skipped : source_status::timeout)
      << r.source << ": " << r.reason;
  }
  // Both Datadog APIs are slow: each is cut off at the deadline, whatever
  // order the source asks them in.
  host().datadog(id)->delay_path("/api/v1/query", 1500ms);
  host().datadog(id)->delay_path("/api/v2/logs", 1500ms);
  start = clock_type::now();
  auto dd = fetch_datadog(*client_, dd_endpoint(id), scope_of(id),
                          datadog_config{}, start + 400ms);
  EXPECT_EQ(find_report(dd.reports, "datadog.metrics")->status,
            source_status::timeout);
  EXPECT_EQ(find_report(dd.reports, "datadog.logs")->status,
            source_status::timeout);
}

TEST_F(ContextFetch, DatadogRejectsMissingKeys) {
  const std::string id = "oom-checkout-0314";
  auto api = dd_endpoint(id);
  api.headers.clear();
  auto part = fetch_datadog(*client_, api, scope_of(id), datadog_config{},
                            clock_type::now() + 8s);
  const auto* m = find_report(part.reports, "datadog.metrics");
  EXPECT_EQ(m->status, source_status::error);
  EXPECT_EQ(m->reason, "HTTP 403: Forbidden");
  EXPECT_EQ(find_report(part.reports, "datadog.logs")->status,
            source_status::error);
}

TEST_F(ContextFetch, WorkloadNotFound) {
  auto scope = scope_of("oom-checkout-0314");
  scope.workload.name = "no-such-app";
  auto part = fetch_kubernetes(*client_, k8s_endpoint("oom-checkout-0314"),
                               scope, clock_type::now() + 8s);
  EXPECT_FALSE(part.data.workload_found);
  const auto* w = find_report(part.reports, "kubernetes.workload");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status, source_status::error);
  EXPECT_EQ(w->reason.rfind("not found", 0), 0u) << w->reason;
  EXPECT_EQ(find_report(part.reports, "kubernetes.pods")->status,
            source_status::skipped);
}

TEST_F(ContextFetch, EverySampleGivesACompleteBundle) {
  for (const auto& inc : incidents()) {
    auto bundle = fetch_all(inc.id, datadog_config{});
    // No sample has Pending pods.
    for (const auto& r : bundle.sources)
      EXPECT_EQ(r.status, r.source == "kubernetes.nodes"
                            ? source_status::skipped
                            : source_status::ok)
        << inc.id << " " << r.source << ": " << r.reason;
    EXPECT_TRUE(bundle.workload_found) << inc.id;
    EXPECT_EQ(bundle.workload.ref.kind, inc.workload.kind) << inc.id;
    EXPECT_FALSE(bundle.pods.empty()) << inc.id;
    EXPECT_FALSE(bundle.metrics.empty()) << inc.id;
    for (const auto& c : bundle.workload.containers)
      EXPECT_NE(
        bundle.find_metric("kubernetes.memory.working_set", c.name, "7d"),
        nullptr)
        << inc.id << " " << c.name;
  }
}

} // namespace
} // namespace kfix::context
