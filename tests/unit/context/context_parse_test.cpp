#include "actors/context/context_parse.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>
#include <string>

namespace kfix::context {
namespace {

std::string data(const std::string& name) {
  std::ifstream in{std::string{KFIX_SOURCE_DIR} + "/tests/data/context/"
                   + name};
  EXPECT_TRUE(in.good()) << "missing test data " << name;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// -- Kubernetes ---------------------------------------------------------------

TEST(ContextParse, DeploymentWithTwoContainers) {
  auto w = parse_workload(data("deployment_checkout.json"));
  ASSERT_TRUE(w) << render(w.error());
  EXPECT_EQ(w->ref.kind, "Deployment");
  EXPECT_EQ(w->ref.ns, "shop");
  EXPECT_EQ(w->ref.name, "checkout");
  EXPECT_EQ(w->uid, "5f0c6c1e-3c2b-4d4e-9a51-0b8f2f1c9e11");
  EXPECT_EQ(w->resource_version, "884213");
  EXPECT_EQ(w->replicas, 3);
  EXPECT_EQ(w->strategy, "RollingUpdate");
  EXPECT_EQ(w->max_surge, "25%");
  EXPECT_EQ(w->revision, "7");
  EXPECT_EQ(w->selector, (std::map<std::string, std::string>{
                           {"app", "checkout"}, {"tier", "web"}}));
  ASSERT_EQ(w->containers.size(), 2u);
  const auto* app = w->container("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->image, "registry.example.com/shop/checkout:1.4.2");
  EXPECT_EQ(app->requests,
            (resource_map{{"cpu", "250m"}, {"memory", "512Mi"}}));
  EXPECT_EQ(app->limits, (resource_map{{"memory", "768Mi"}}));
  const auto* envoy = w->container("envoy");
  ASSERT_NE(envoy, nullptr);
  EXPECT_EQ(envoy->limits,
            (resource_map{{"cpu", "200m"}, {"memory", "128Mi"}}));
}

TEST(ContextParse, StatefulSetWithNumericQuantityAndExpressions) {
  auto body = data("statefulset_ledger.json");
  auto w = parse_workload(body);
  ASSERT_TRUE(w) << render(w.error());
  EXPECT_EQ(w->ref.kind, "StatefulSet");
  EXPECT_EQ(w->replicas, 2);
  EXPECT_EQ(w->strategy, "RollingUpdate");
  EXPECT_EQ(w->max_surge, "");
  EXPECT_EQ(w->revision, "");
  ASSERT_EQ(w->containers.size(), 1u);
  // `cpu: 1` written as a JSON number still reads as a quantity.
  EXPECT_EQ(w->containers[0].requests,
            (resource_map{{"cpu", "1"}, {"memory", "2Gi"}}));
  auto sel = parse_workload_selector(body);
  ASSERT_TRUE(sel) << render(sel.error());
  EXPECT_EQ(*sel, "app=ledger-db,tier in (db,cache),!canary");
}

TEST(ContextParse, WorkloadSelectorFromMatchLabels) {
  auto sel = parse_workload_selector(data("deployment_checkout.json"));
  ASSERT_TRUE(sel);
  EXPECT_EQ(*sel, "app=checkout,tier=web");
  auto none = parse_workload_selector(R"({"kind":"Deployment","spec":{}})");
  EXPECT_FALSE(none);
}

TEST(ContextParse, WorkloadRejectsStatusAndGarbage) {
  auto st = parse_workload(data("status_404.json"));
  ASSERT_FALSE(st);
  EXPECT_EQ(code_of(st.error()), ec::upstream_error);
  auto bad = parse_workload("{not json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(code_of(bad.error()), ec::invalid_input);
  EXPECT_FALSE(parse_workload(R"({"kind":"Deployment","metadata":{}})"));
}

TEST(ContextParse, PodListContainerStatuses) {
  auto page = parse_pod_list(data("pod_list.json"));
  ASSERT_TRUE(page) << render(page.error());
  EXPECT_EQ(page->continue_token,
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6ODg0MzAwLCJzdGFydCI6ImNoZWNr"
            "b3V0LTdkOWY4YjZjNS14Mms0cVx1MDAwMCJ9");
  ASSERT_EQ(page->items.size(), 4u);
  const auto& p0 = page->items[0];
  EXPECT_EQ(p0.name, "checkout-7d9f8b6c5-x2k4q");
  EXPECT_EQ(p0.phase, "Running");
  EXPECT_EQ(p0.node, "node-1");
  ASSERT_EQ(p0.containers.size(), 2u);
  const auto& app = p0.containers[0];
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(app.restart_count, 5);
  EXPECT_FALSE(app.ready);
  EXPECT_EQ(app.state, "waiting");
  EXPECT_EQ(app.waiting_reason, "CrashLoopBackOff");
  EXPECT_EQ(app.last_termination_reason, "OOMKilled");
  EXPECT_EQ(app.last_exit_code, 137);
  EXPECT_EQ(app.last_finished_at, "2026-03-14T10:01:52Z");
  const auto& envoy = p0.containers[1];
  EXPECT_EQ(envoy.state, "running");
  EXPECT_TRUE(envoy.ready);
  EXPECT_EQ(envoy.restart_count, 0);
  EXPECT_EQ(envoy.last_termination_reason, "");
  EXPECT_EQ(envoy.last_exit_code, 0);
  // Running again after an OOM kill.
  const auto& p1 = page->items[1].containers[0];
  EXPECT_EQ(p1.state, "running");
  EXPECT_TRUE(p1.ready);
  EXPECT_EQ(p1.last_termination_reason, "OOMKilled");
  EXPECT_EQ(p1.last_finished_at, "2026-03-14T10:00:01Z");
  // Terminated right now: the current termination beats lastState.
  const auto& p2 = page->items[2].containers[0];
  EXPECT_EQ(p2.state, "terminated");
  EXPECT_EQ(p2.last_termination_reason, "OOMKilled");
  EXPECT_EQ(p2.last_exit_code, 137);
  EXPECT_EQ(p2.last_finished_at, "2026-03-14T10:02:05Z");
  // Pending without statuses: the declared containers, no state.
  const auto& p3 = page->items[3];
  EXPECT_EQ(p3.phase, "Pending");
  EXPECT_EQ(p3.node, "");
  ASSERT_EQ(p3.containers.size(), 2u);
  EXPECT_EQ(p3.containers[1].name, "envoy");
  EXPECT_EQ(p3.containers[1].state, "");
}

TEST(ContextParse, EmptyAndNullItems) {
  auto empty = parse_pod_list(
    R"({"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->items.empty());
  EXPECT_EQ(empty->continue_token, "");
  auto null_items = parse_event_list(
    R"({"kind":"EventList","metadata":{"continue":""},"items":null})");
  ASSERT_TRUE(null_items);
  EXPECT_TRUE(null_items->items.empty());
  auto status = parse_pod_list(data("status_403.json"));
  ASSERT_FALSE(status);
  EXPECT_NE(render(status.error()).find("pods is forbidden"),
            std::string::npos);
  EXPECT_FALSE(parse_pod_list(R"({"kind":"PodList","items":{}})"));
}

TEST(ContextParse, CoreEvents) {
  auto page = parse_event_list(data("event_list.json"));
  ASSERT_TRUE(page) << render(page.error());
  ASSERT_EQ(page->items.size(), 4u);
  const auto& backoff = page->items[0];
  EXPECT_EQ(backoff.type, "Warning");
  EXPECT_EQ(backoff.reason, "BackOff");
  EXPECT_EQ(backoff.involved_kind, "Pod");
  EXPECT_EQ(backoff.involved_name, "checkout-7d9f8b6c5-x2k4q");
  EXPECT_EQ(backoff.count, 12);
  EXPECT_EQ(backoff.last_seen, "2026-03-14T10:02:01Z");
  // No count: 1; no lastTimestamp: eventTime.
  const auto& oom = page->items[2];
  EXPECT_EQ(oom.reason, "OOMKilling");
  EXPECT_EQ(oom.count, 1);
  EXPECT_EQ(oom.last_seen, "2026-03-14T10:00:01.512345Z");
  EXPECT_EQ(oom.message,
            "Memory cgroup out of memory: Killed process 4242 (java)");
}

TEST(ContextParse, EventsK8sIoV1) {
  auto page = parse_event_list(data("events_k8s_io.json"));
  ASSERT_TRUE(page) << render(page.error());
  ASSERT_EQ(page->items.size(), 1u);
  const auto& e = page->items[0];
  EXPECT_EQ(e.involved_kind, "Pod");
  EXPECT_EQ(e.involved_name, "ledger-db-0");
  EXPECT_EQ(e.message, "Memory cgroup out of memory: Killed process 77 "
                       "(postgres)");
  EXPECT_EQ(e.count, 7);
  EXPECT_EQ(e.last_seen, "2026-05-19T06:10:30.000000Z");
}

TEST(ContextParse, SelectEventsNewestFirstCappedDeduplicated) {
  auto page = parse_event_list(data("event_list.json"));
  ASSERT_TRUE(page);
  auto events = page->items;
  events.push_back(events[0]); // a duplicate from a second query
  auto all = select_events(events, 10);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].reason, "BackOff");           // 10:02:01
  EXPECT_EQ(all[1].reason, "OOMKilling");        // 10:00:01.5
  EXPECT_EQ(all[2].reason, "SuccessfulCreate");  // 09:30
  EXPECT_EQ(all[3].reason, "ScalingReplicaSet"); // 08:00
  auto two = select_events(page->items, 2);
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].reason, "OOMKilling");
}

TEST(ContextParse, WorkloadEventFilter) {
  workload_ref dep{"Deployment", "shop", "checkout"};
  std::set<std::string> pods{"checkout-7d9f8b6c5-x2k4q"};
  auto ev = [](std::string kind, std::string name) {
    event_record e;
    e.involved_kind = std::move(kind);
    e.involved_name = std::move(name);
    return e;
  };
  EXPECT_TRUE(is_workload_event(ev("Deployment", "checkout"), dep, pods));
  EXPECT_TRUE(
    is_workload_event(ev("HorizontalPodAutoscaler", "checkout"), dep, pods));
  EXPECT_TRUE(
    is_workload_event(ev("ReplicaSet", "checkout-7d9f8b6c5"), dep, pods));
  EXPECT_TRUE(
    is_workload_event(ev("Pod", "checkout-7d9f8b6c5-x2k4q"), dep, pods));
  // A pod that is gone already, by its name.
  EXPECT_TRUE(
    is_workload_event(ev("Pod", "checkout-5c4b9d7f8-abcde"), dep, pods));
  // Another deployment sharing the prefix.
  EXPECT_FALSE(
    is_workload_event(ev("ReplicaSet", "checkout-db-6d8f9c7b5"), dep, pods));
  EXPECT_FALSE(
    is_workload_event(ev("Pod", "checkout-db-6d8f9c7b5-abcde"), dep, pods));
  EXPECT_FALSE(
    is_workload_event(ev("Pod", "orders-7d9f8b6c5-x2k4q"), dep, pods));
  // Node events only for the pods' nodes; a node named like the workload
  // is still a node.
  std::set<std::string> nodes{"node-1"};
  EXPECT_TRUE(is_workload_event(ev("Node", "node-1"), dep, pods, nodes));
  EXPECT_FALSE(is_workload_event(ev("Node", "node-9"), dep, pods, nodes));
  EXPECT_FALSE(is_workload_event(ev("Node", "checkout"), dep, pods, nodes));
  workload_ref sts{"StatefulSet", "finance", "ledger-db"};
  EXPECT_TRUE(is_workload_event(ev("Pod", "ledger-db-1"), sts, {}));
  EXPECT_FALSE(is_workload_event(ev("Pod", "ledger-db-backup-1"), sts, {}));
}

TEST(ContextParse, Quotas) {
  auto page = parse_quota_list(data("quota_list.json"));
  ASSERT_TRUE(page) << render(page.error());
  ASSERT_EQ(page->items.size(), 2u);
  const auto& q = page->items[0];
  EXPECT_EQ(q.name, "compute-quota");
  EXPECT_EQ(q.hard, (resource_map{{"limits.memory", "16Gi"},
                                  {"pods", "20"},
                                  {"requests.memory", "8Gi"}}));
  EXPECT_EQ(q.used, (resource_map{{"limits.memory", "12Gi"},
                                  {"pods", "9"},
                                  {"requests.memory", "6Gi"}}));
  // No status yet: spec.hard, nothing used.
  EXPECT_EQ(page->items[1].hard, (resource_map{{"count/configmaps", "50"}}));
  EXPECT_TRUE(page->items[1].used.empty());
}

TEST(ContextParse, StatusMessages) {
  auto st = parse_k8s_status(data("status_403.json"));
  ASSERT_TRUE(st) << render(st.error());
  EXPECT_EQ(st->status, "Failure");
  EXPECT_EQ(st->reason, "Forbidden");
  EXPECT_EQ(st->code, 403);
  EXPECT_EQ(st->message,
            "pods is forbidden: User \"system:serviceaccount:k-fix:k-fix\" "
            "cannot list resource \"pods\" in API group \"\" in the "
            "namespace \"shop\"");
  EXPECT_EQ(k8s_error_message(404, data("status_404.json")),
            "HTTP 404: deployments.apps \"checkout\" not found");
  EXPECT_EQ(k8s_error_message(502, "<html>bad gateway</html>"),
            "HTTP 502: <html>bad gateway</html>");
  EXPECT_EQ(k8s_error_message(503, ""), "HTTP 503");
  EXPECT_FALSE(parse_k8s_status(data("quota_list.json")));
}

// -- Datadog ------------------------------------------------------------------

TEST(ContextParse, PercentileNearestRank) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i)
    v.push_back(i);
  EXPECT_EQ(percentile_nearest_rank(v, 50), 10);
  EXPECT_EQ(percentile_nearest_rank(v, 95), 19);
  EXPECT_EQ(percentile_nearest_rank(v, 99), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 100), 20);
  EXPECT_EQ(percentile_nearest_rank(v, 5), 1);
  EXPECT_EQ(percentile_nearest_rank(v, 0), 1);
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i)
    hundred.push_back(i);
  EXPECT_EQ(percentile_nearest_rank(hundred, 95), 95);
  EXPECT_EQ(percentile_nearest_rank(hundred, 99), 99);
  EXPECT_EQ(percentile_nearest_rank({15, 20, 35, 40, 50}, 30), 20);
  EXPECT_EQ(percentile_nearest_rank({15, 20, 35, 40, 50}, 40), 20);
  EXPECT_EQ(percentile_nearest_rank({15, 20, 35, 40, 50}, 50), 35);
  EXPECT_EQ(percentile_nearest_rank({7}, 99), 7);
  EXPECT_EQ(percentile_nearest_rank({}, 50), 0);
}

TEST(ContextParse, MetricSummaryPerContainer) {
  auto sums = summarise_metric_response(data("metrics_working_set.json"), "7d");
  ASSERT_TRUE(sums) << render(sums.error());
  // The all-null istio-init series is dropped.
  ASSERT_EQ(sums->size(), 2u);
  const auto& app = (*sums)[0];
  EXPECT_EQ(app.metric, "kubernetes.memory.working_set");
  EXPECT_EQ(app.container, "app");
  EXPECT_EQ(app.window, "7d");
  EXPECT_EQ(app.unit, "byte");
  EXPECT_EQ(app.samples, 20);
  EXPECT_DOUBLE_EQ(app.p50, 10e6);
  EXPECT_DOUBLE_EQ(app.p95, 19e6);
  EXPECT_DOUBLE_EQ(app.p99, 20e6);
  EXPECT_DOUBLE_EQ(app.max, 20e6);
  EXPECT_DOUBLE_EQ(app.last, 11e6);
  const auto& envoy = (*sums)[1];
  EXPECT_EQ(envoy.container, "envoy"); // from tag_set
  EXPECT_EQ(envoy.samples, 2);
  EXPECT_DOUBLE_EQ(envoy.p50, 40e6);
  EXPECT_DOUBLE_EQ(envoy.max, 41e6);
  EXPECT_DOUBLE_EQ(envoy.last, 40e6); // the null at the end is skipped
}

TEST(ContextParse, MetricUnitFromMetricWhenNull) {
  auto sums = summarise_metric_response(data("metrics_cpu_nounit.json"), "24h");
  ASSERT_TRUE(sums) << render(sums.error());
  ASSERT_EQ(sums->size(), 1u);
  // Datadog's nanocores, normalised to cores.
  EXPECT_EQ((*sums)[0].unit, "core");
  EXPECT_EQ((*sums)[0].window, "24h");
  EXPECT_DOUBLE_EQ((*sums)[0].max, 0.7500000005);
  EXPECT_DOUBLE_EQ((*sums)[0].p50, 0.5);
  EXPECT_DOUBLE_EQ((*sums)[0].last, 0.5);
  EXPECT_EQ(default_unit("kubernetes.cpu.usage.total"), "nanocore");
  EXPECT_EQ(default_unit("kubernetes.memory.limits"), "byte");
  EXPECT_EQ(default_unit("kubernetes.cpu.limits"), "core");
  EXPECT_EQ(default_unit("kubernetes.containers.restarts"), "count");
}

TEST(ContextParse, MetricEmptyAndError) {
  auto empty = summarise_metric_response(data("metrics_empty.json"), "7d");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
  auto err = summarise_metric_response(data("metrics_error.json"), "7d");
  ASSERT_FALSE(err);
  EXPECT_EQ(code_of(err.error()), ec::upstream_error);
  EXPECT_NE(render(err.error()).find("Error parsing query"), std::string::npos);
  EXPECT_FALSE(summarise_metric_response("<html>", "7d"));
}

TEST(ContextParse, WindowLabels) {
  using std::chrono::hours;
  using std::chrono::minutes;
  EXPECT_EQ(window_label(hours{24 * 7}), "7d");
  EXPECT_EQ(window_label(hours{24}), "24h");
  EXPECT_EQ(window_label(minutes{60}), "1h");
  EXPECT_EQ(window_label(minutes{30}), "30m");
  EXPECT_EQ(window_label(hours{36}), "36h");
}

TEST(ContextParse, LogsPageRedactedWithCursor) {
  auto page = parse_logs_page(data("logs_page1.json"));
  ASSERT_TRUE(page) << render(page.error());
  EXPECT_EQ(page->next_cursor,
            "eyJhZnRlciI6IkFRQUFBWUFaZGJvSjdkR3dOZ0FBQUFCQldVRmFaR0p5TVVGQlEw"
            "czRPRU4zWW1aMVVESlJRVUUifQ");
  EXPECT_FALSE(page->server_partial);
  ASSERT_EQ(page->warnings.size(), 1u);
  ASSERT_EQ(page->records.size(), 3u);
  const auto& r0 = page->records[0];
  EXPECT_EQ(r0.timestamp, "2026-03-14T10:01:58.123Z");
  EXPECT_EQ(r0.status, "error");
  EXPECT_EQ(r0.service, "checkout");
  EXPECT_EQ(r0.message,
            "payment failed for <redacted>: card <redacted> declined");
  EXPECT_EQ(page->records[1].message,
            "upstream call with Authorization: Bearer <redacted> rejected");
  EXPECT_EQ(page->records[2].message,
            "java.lang.OutOfMemoryError: Java heap space\n\tat "
            "com.example.checkout.Cart.add(Cart.java:42)");
  auto capped = parse_logs_page(data("logs_page1.json"), 2);
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->records.size(), 2u);
}

TEST(ContextParse, LogsLastPageAndServerTimeout) {
  auto last = parse_logs_page(data("logs_page_last.json"));
  ASSERT_TRUE(last) << render(last.error());
  EXPECT_EQ(last->next_cursor, "");
  ASSERT_EQ(last->records.size(), 1u);
  EXPECT_EQ(last->records[0].status, "warn");
  EXPECT_EQ(last->records[0].message,
            "DB_PASSWORD=<redacted> loaded from env; retrying in 5s");
  auto timeout = parse_logs_page(data("logs_page_timeout.json"));
  ASSERT_TRUE(timeout);
  EXPECT_TRUE(timeout->server_partial);
  EXPECT_TRUE(timeout->records.empty());
  auto empty = parse_logs_page(R"({"data":[]})");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->records.empty());
}

TEST(ContextParse, LogsMessageTruncatedTo2KiB) {
  std::string big(5000, 'x');
  nlohmann::json rec;
  rec["attributes"]["status"] = "error";
  rec["attributes"]["message"] = "\u00e9" + big;
  nlohmann::json body;
  body["data"] = nlohmann::json::array({rec});
  auto page = parse_logs_page(body.dump());
  ASSERT_TRUE(page);
  ASSERT_EQ(page->records.size(), 1u);
  EXPECT_EQ(page->records[0].message.size(), 2048u);
}

TEST(ContextParse, DatadogErrors) {
  auto strings = parse_datadog_errors(data("dd_errors_strings.json"));
  ASSERT_TRUE(strings);
  EXPECT_EQ(*strings, std::vector<std::string>{"API key required"});
  auto objects = parse_datadog_errors(data("dd_errors_objects.json"));
  ASSERT_TRUE(objects);
  EXPECT_EQ(*objects,
            (std::vector<std::string>{
              "Forbidden: Missing permission logs_read_data", "Bad Request"}));
  EXPECT_EQ(datadog_error_message(502, data("dd_errors_gateway.json")),
            "HTTP 502: Bad Gateway");
  EXPECT_EQ(datadog_error_message(400, data("metrics_error.json")),
            "HTTP 400: Error parsing query: unable to parse "
            "max:kubernetes.memory.rss{: Rule 'scope_expr' didn't match");
  // 429 bodies may be HTML.
  EXPECT_FALSE(parse_datadog_errors(data("dd_429.html")));
  EXPECT_EQ(datadog_error_message(429, data("dd_429.html")),
            "HTTP 429: rate limited");
  EXPECT_EQ(datadog_error_message(403, data("dd_errors_objects.json")),
            "HTTP 403: Forbidden: Missing permission logs_read_data; Bad "
            "Request");
}

// -- Datadog requests ---------------------------------------------------------

fetch_scope checkout_scope() {
  fetch_scope s;
  s.workload = {"Deployment", "shop", "checkout"};
  s.container = "app";
  s.cluster = "eu-1";
  s.alert_time_s = 1773482531; // 2026-03-14T10:02:11Z
  return s;
}

TEST(ContextParse, MetricQueryPlan) {
  auto s = checkout_scope();
  EXPECT_EQ(datadog_scope(s), "kube_namespace:shop,kube_deployment:checkout,"
                              "kube_cluster_name:eu-1");
  datadog_config cfg;
  auto plan = plan_metric_queries(s, cfg);
  // memory, cpu, pod and apm, for the sizing window then the short one.
  ASSERT_EQ(plan.size(), 8u);
  EXPECT_EQ(plan[0].family, "memory");
  ASSERT_EQ(plan[0].metrics.size(), 5u);
  EXPECT_EQ(plan[0].metrics[1], "kubernetes.memory.working_set");
  EXPECT_EQ(plan[0].query.substr(0, plan[0].query.find(",max:")),
            "max:kubernetes.memory.usage{kube_namespace:shop,"
            "kube_deployment:checkout,kube_cluster_name:eu-1} by "
            "{kube_container_name}");
  EXPECT_NE(plan[0].query.find(",max:kubernetes.memory.working_set{kube_"
                               "namespace:shop,kube_deployment:checkout,kube_"
                               "cluster_name:eu-1} by {kube_container_name}"),
            std::string::npos);
  EXPECT_EQ(plan[0].window, "7d");
  EXPECT_EQ(plan[0].to_s, s.alert_time_s);
  EXPECT_EQ(plan[0].from_s, s.alert_time_s - 7 * 86400);
  EXPECT_EQ(plan[1].family, "cpu");
  EXPECT_EQ(plan[1].metrics.front(), "kubernetes.cpu.usage.total");
  EXPECT_EQ(plan[1].metrics.size(), 6u);
  EXPECT_EQ(plan[2].family, "pod");
  EXPECT_NE(plan[2].query.find("max:kubernetes.ephemeral_storage.usage{"),
            std::string::npos);
  // APM for the workload's service (no service tag in the alert).
  EXPECT_EQ(plan[3].family, "apm");
  EXPECT_EQ(plan[3].query,
            "sum:trace.http.request.hits{service:checkout}.as_rate(),"
            "sum:trace.http.request.errors{service:checkout}.as_rate(),"
            "p99:trace.http.request{service:checkout},"
            "avg:trace.http.request.duration.by.service.99p{service:"
            "checkout}");
  EXPECT_EQ(plan[4].family, "memory");
  EXPECT_EQ(plan[4].window, "1h");
  EXPECT_EQ(plan[4].from_s, s.alert_time_s - 3600);
  s.service = "checkout-api";
  s.env = "prod";
  EXPECT_EQ(plan_metric_queries(s, cfg)[3].query.substr(0, 63),
            "sum:trace.http.request.hits{service:checkout-api,env:prod}.as_r");
  cfg.apm_operations.clear();
  EXPECT_EQ(plan_metric_queries(s, cfg).size(), 6u);
  s.workload.kind = "StatefulSet";
  s.cluster.clear();
  EXPECT_EQ(datadog_scope(s), "kube_namespace:shop,kube_stateful_set:checkout");
  cfg.sizing_window = std::chrono::hours{24};
  EXPECT_EQ(plan_metric_queries(s, cfg)[0].window, "24h");
}

TEST(ContextParse, LogsRequestBody) {
  auto s = checkout_scope();
  auto body = nlohmann::json::parse(logs_request_body(s, 100, ""));
  EXPECT_EQ(body["filter"]["query"],
            "kube_namespace:shop kube_deployment:checkout (status:error OR "
            "status:warn OR status:critical)");
  EXPECT_EQ(body["filter"]["from"], "2026-03-14T09:02:11Z");
  EXPECT_EQ(body["filter"]["to"], "2026-03-14T10:07:11Z");
  EXPECT_EQ(body["page"]["limit"], 100);
  EXPECT_FALSE(body["page"].contains("cursor"));
  EXPECT_EQ(body["sort"], "-timestamp");
  s.service = "checkout-api";
  body = nlohmann::json::parse(logs_request_body(s, 40, "abc"));
  EXPECT_EQ(body["filter"]["query"],
            "kube_namespace:shop service:checkout-api (status:error OR "
            "status:warn OR status:critical)");
  EXPECT_EQ(body["page"]["cursor"], "abc");
  EXPECT_EQ(body["page"]["limit"], 40);
}

TEST(ContextParse, DatadogBaseUrl) {
  datadog_config cfg;
  EXPECT_EQ(datadog_base_url(cfg), "https://api.datadoghq.com");
  cfg.site = "eu";
  EXPECT_EQ(datadog_base_url(cfg), "https://api.datadoghq.eu");
  cfg.site = "us5.datadoghq.com";
  EXPECT_EQ(datadog_base_url(cfg), "https://api.us5.datadoghq.com");
  cfg.api_url = "http://127.0.0.1:9000";
  EXPECT_EQ(datadog_base_url(cfg), "http://127.0.0.1:9000");
}

// -- time ---------------------------------------------------------------------

TEST(ContextParse, Rfc3339) {
  EXPECT_EQ(format_rfc3339_s(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_s(1773482531), "2026-03-14T10:02:11Z");
  EXPECT_EQ(parse_rfc3339_ms("2026-03-14T10:02:11Z"), 1773482531000);
  EXPECT_EQ(parse_rfc3339_ms("2026-03-14T10:02:11.5Z"), 1773482531500);
  EXPECT_EQ(parse_rfc3339_ms("2026-03-14T10:02:11.512345Z"), 1773482531512);
  EXPECT_EQ(parse_rfc3339_ms("2026-03-14T11:02:11+01:00"), 1773482531000);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00Z"), 1709164800000);
  EXPECT_FALSE(parse_rfc3339_ms("2026-03-14"));
  EXPECT_FALSE(parse_rfc3339_ms("yesterday"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-03-14T10:02:11"));
}

} // namespace
} // namespace kfix::context
