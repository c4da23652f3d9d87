#include "actors/context/k8s_objects.hpp"

#include <gtest/gtest.h>

#include <algorithm>
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

workload_state api_workload() {
  auto w = parse_workload(data("deployment_probes.json"));
  EXPECT_TRUE(w) << render(w.error());
  return w ? *w : workload_state{};
}

// -- the workload -------------------------------------------------------------

TEST(K8sObjects, WorkloadStatusAndStrategy) {
  auto w = api_workload();
  EXPECT_EQ(w.replicas, 4);
  EXPECT_EQ(w.ready_replicas, 3);
  EXPECT_EQ(w.available_replicas, 3);
  EXPECT_EQ(w.updated_replicas, 2);
  EXPECT_EQ(w.unavailable_replicas, 1);
  EXPECT_EQ(w.generation, 9);
  EXPECT_EQ(w.observed_generation, 8);
  EXPECT_EQ(w.revision_history_limit, 5);
  EXPECT_EQ(w.max_surge, "1");
  EXPECT_EQ(w.max_unavailable, "0");
  EXPECT_EQ(w.creation_timestamp, "2026-01-02T03:04:05Z");
  EXPECT_EQ(w.service_account, "api-sa");
  EXPECT_EQ(w.selector_text, "app=api");
  EXPECT_EQ(w.template_labels.at("tier"), "web");
  ASSERT_EQ(w.conditions.size(), 2u);
  EXPECT_EQ(w.conditions[1].type, "Progressing");
  EXPECT_EQ(w.conditions[1].status, "False");
  EXPECT_EQ(w.conditions[1].reason, "ProgressDeadlineExceeded");
  EXPECT_EQ(w.conditions[1].last_transition, "2026-01-02T04:00:00Z");
  ASSERT_EQ(w.init_containers.size(), 1u);
  EXPECT_EQ(w.init_containers[0].name, "migrate");
}

TEST(K8sObjects, ContainerResourcesProbesAndEnv) {
  auto w = api_workload();
  ASSERT_EQ(w.containers.size(), 2u);
  const auto& app = w.containers[0];
  EXPECT_EQ(app.requests.at("ephemeral-storage"), "1Gi");
  EXPECT_EQ(app.limits.at("cpu"), "1");
  ASSERT_TRUE(app.liveness);
  EXPECT_EQ(app.liveness->handler, "httpGet http :8080/healthz");
  EXPECT_EQ(app.liveness->initial_delay_seconds, 15);
  EXPECT_EQ(app.liveness->period_seconds, 20);
  EXPECT_EQ(app.liveness->timeout_seconds, 2);
  EXPECT_EQ(app.liveness->failure_threshold, 6);
  EXPECT_EQ(app.liveness->success_threshold, 1);
  // Kubernetes' defaults for what the manifest leaves out.
  ASSERT_TRUE(app.readiness);
  EXPECT_EQ(app.readiness->handler, "tcpSocket :http");
  EXPECT_EQ(app.readiness->period_seconds, 10);
  EXPECT_EQ(app.readiness->timeout_seconds, 1);
  EXPECT_EQ(app.readiness->failure_threshold, 3);
  ASSERT_TRUE(app.startup);
  EXPECT_EQ(app.startup->handler, "exec cat /tmp/started");
  EXPECT_EQ(app.startup->failure_threshold, 30);
  EXPECT_FALSE(w.containers[1].liveness);
  ASSERT_TRUE(w.containers[1].readiness);
  EXPECT_EQ(w.containers[1].readiness->handler, "grpc :9901");
  // Env: where values come from, never literal values.
  ASSERT_EQ(app.env.size(), 5u);
  EXPECT_EQ(app.env[0].source, "value");
  EXPECT_EQ(app.env[1].name, "DB_PASSWORD");
  EXPECT_EQ(app.env[1].source, "secret");
  EXPECT_EQ(app.env[1].ref_name, "api-db");
  EXPECT_EQ(app.env[1].ref_key, "password");
  EXPECT_EQ(app.env[2].source, "configmap");
  EXPECT_TRUE(app.env[2].optional);
  EXPECT_EQ(app.env[3].source, "field");
  EXPECT_EQ(app.env[3].ref_name, "status.podIP");
  EXPECT_EQ(app.env[4].source, "resource");
  EXPECT_EQ(app.env[4].ref_name, "limits.memory");
  ASSERT_EQ(app.env_from.size(), 1u);
  EXPECT_EQ(app.env_from[0].kind, "Secret");
  EXPECT_EQ(app.env_from[0].prefix, "X_");
  EXPECT_TRUE(app.env_from[0].optional);
}

TEST(K8sObjects, ConfigReferencesOfEveryKind) {
  auto refs = parse_config_references(data("deployment_probes.json"));
  ASSERT_TRUE(refs) << render(refs.error());
  auto has = [&](const std::string& kind, const std::string& name,
                 const std::string& key, const std::string& used_by) {
    return std::any_of(refs->begin(), refs->end(), [&](const auto& r) {
      return r.kind == kind && r.name == name && r.key == key
             && r.used_by == used_by && r.status == "unknown";
    });
  };
  EXPECT_TRUE(has("ConfigMap", "api-config", "", "envFrom of migrate"));
  EXPECT_TRUE(has("Secret", "api-db", "password", "env DB_PASSWORD of app"));
  EXPECT_TRUE(
    has("ConfigMap", "api-config", "features", "env FEATURES of app"));
  EXPECT_TRUE(has("Secret", "api-extra", "", "envFrom of app"));
  EXPECT_TRUE(has("Secret", "api-tls", "tls.crt", "volume certs"));
  EXPECT_TRUE(has("Secret", "api-tls", "tls.key", "volume certs"));
  EXPECT_TRUE(has("ConfigMap", "api-files", "", "volume config"));
  EXPECT_TRUE(has("Secret", "api-bundle", "", "volume bundle"));
  EXPECT_TRUE(has("ConfigMap", "api-ca", "", "volume bundle"));
  EXPECT_TRUE(has("Secret", "registry-pull", "", "imagePullSecrets"));
  EXPECT_EQ(refs->size(), 10u);
  auto keys = parse_config_keys(data("secret_api_db.json"));
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, (std::set<std::string>{"password", "user"}));
  EXPECT_FALSE(parse_config_keys(data("status_404.json")));
}

// -- revisions ----------------------------------------------------------------

TEST(K8sObjects, ReplicaSetsOwnedByTheDeploymentNewestFirst) {
  auto w = api_workload();
  auto page = parse_replica_set_list(data("replicaset_list.json"), w);
  ASSERT_TRUE(page) << render(page.error());
  // The ReplicaSet of another Deployment is not a revision of this one.
  ASSERT_EQ(page->items.size(), 3u);
  order_revisions(page->items, 10, false);
  const auto& newest = page->items[0];
  EXPECT_EQ(newest.name, "api-7f");
  EXPECT_EQ(newest.revision, 3);
  EXPECT_TRUE(newest.current);
  EXPECT_EQ(newest.template_hash, "7f");
  EXPECT_EQ(newest.replicas, 4);
  EXPECT_EQ(newest.ready_replicas, 3);
  EXPECT_EQ(newest.created_at, "2026-01-02T03:04:05Z");
  const auto& previous = page->items[1];
  EXPECT_EQ(previous.revision, 2);
  EXPECT_FALSE(previous.current);
  EXPECT_EQ(previous.change_cause, "image 3.0");
  ASSERT_EQ(previous.containers.size(), 1u);
  EXPECT_EQ(previous.containers[0].image, "registry/api:3.0");
  EXPECT_EQ(previous.containers[0].limits.at("memory"), "512Mi");
  EXPECT_EQ(page->items[2].revision, 1);
  order_revisions(page->items, 2, false);
  EXPECT_EQ(page->items.size(), 2u);
  context_bundle b;
  b.revisions = page->items;
  ASSERT_NE(b.current_revision(), nullptr);
  EXPECT_EQ(b.current_revision()->name, "api-7f");
  EXPECT_EQ(b.newest_revision()->revision, 3);
}

TEST(K8sObjects, ControllerRevisionsOfAStatefulSet) {
  workload_state w;
  w.ref = {"StatefulSet", "data", "db"};
  w.uid = "s-uid";
  w.update_revision_name = "db-6b8";
  auto page
    = parse_controller_revision_list(data("controller_revision_list.json"), w);
  ASSERT_TRUE(page) << render(page.error());
  ASSERT_EQ(page->items.size(), 2u);
  order_revisions(page->items, 10, false);
  EXPECT_EQ(page->items[0].kind, "ControllerRevision");
  EXPECT_EQ(page->items[0].revision, 4);
  EXPECT_TRUE(page->items[0].current);
  EXPECT_EQ(page->items[0].containers.at(0).image, "postgres:15.6");
  EXPECT_EQ(page->items[1].template_hash, "db-5a1"); // no hash label
  // A DaemonSet has no updateRevision: the newest is current.
  w.update_revision_name.clear();
  page
    = parse_controller_revision_list(data("controller_revision_list.json"), w);
  ASSERT_TRUE(page);
  order_revisions(page->items, 10, true);
  EXPECT_TRUE(page->items[0].current);
  EXPECT_FALSE(page->items[1].current);
  // Another owner's revisions are dropped.
  w.uid = "someone-else";
  page
    = parse_controller_revision_list(data("controller_revision_list.json"), w);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->items.empty());
}

// -- pods ---------------------------------------------------------------------

TEST(K8sObjects, PendingAndCrashingPods) {
  auto page = parse_pod_list(data("pod_pending.json"));
  ASSERT_TRUE(page) << render(page.error());
  ASSERT_EQ(page->items.size(), 2u);
  const auto& pending = page->items[0];
  EXPECT_EQ(pending.phase, "Pending");
  EXPECT_EQ(pending.owner_kind, "ReplicaSet");
  EXPECT_EQ(pending.owner_name, "api-7f");
  EXPECT_EQ(pending.template_hash, "7f");
  EXPECT_EQ(pending.qos_class, "Burstable");
  EXPECT_EQ(pending.created_at, "2026-01-02T03:10:00Z");
  // Requests: max(sum of containers, largest init container).
  EXPECT_EQ(pending.requests.at("cpu"), "350m");
  EXPECT_EQ(pending.requests.at("memory"), "1073741824");
  const auto* scheduled = pending.condition("PodScheduled");
  ASSERT_NE(scheduled, nullptr);
  EXPECT_EQ(scheduled->reason, "Unschedulable");
  EXPECT_EQ(scheduled->message, "0/3 nodes are available: 3 Insufficient "
                                "memory.");
  // No statuses yet: the declared containers.
  ASSERT_EQ(pending.containers.size(), 2u);
  EXPECT_EQ(pending.containers[1].image, "envoy:1.29");
  ASSERT_EQ(pending.init_containers.size(), 1u);
  const auto& crashing = page->items[1];
  EXPECT_EQ(crashing.start_time, "2026-01-02T03:05:00Z");
  ASSERT_EQ(crashing.containers.size(), 1u);
  const auto& app = crashing.containers[0];
  EXPECT_EQ(app.state, "waiting");
  EXPECT_TRUE(app.started);
  EXPECT_EQ(app.waiting_reason, "CrashLoopBackOff");
  EXPECT_EQ(app.waiting_message,
            "back-off 1m20s restarting failed container=app");
  EXPECT_EQ(app.last_termination_reason, "Error");
  EXPECT_EQ(app.last_exit_code, 1);
  EXPECT_EQ(app.last_termination_message, "panic: config key missing");
  EXPECT_EQ(app.last_started_at, "2026-01-02T03:08:00Z");
  EXPECT_EQ(app.last_finished_at, "2026-01-02T03:08:03Z");
  ASSERT_EQ(crashing.init_containers.size(), 1u);
  EXPECT_EQ(crashing.init_containers[0].state, "terminated");
  EXPECT_EQ(crashing.init_containers[0].last_termination_reason, "Completed");
}

TEST(K8sObjects, EventFirstSeenSourceAndNamespace) {
  auto page = parse_event_list(data("event_list.json"));
  ASSERT_TRUE(page);
  const auto& backoff = page->items[0];
  EXPECT_FALSE(backoff.first_seen.empty());
  EXPECT_LE(backoff.first_seen, backoff.last_seen);
  EXPECT_EQ(backoff.ns, "shop");
  EXPECT_EQ(backoff.source, "kubelet");
  auto modern = parse_event_list(data("events_k8s_io.json"));
  ASSERT_TRUE(modern);
  EXPECT_FALSE(modern->items[0].source.empty());
  EXPECT_FALSE(modern->items[0].first_seen.empty());
}

// -- namespace policy objects -------------------------------------------------

TEST(K8sObjects, HpaTargetingTheWorkload) {
  auto page
    = parse_hpa_list(data("hpa_list.json"), {"Deployment", "web", "api"});
  ASSERT_TRUE(page) << render(page.error());
  ASSERT_EQ(page->items.size(), 1u);
  const auto& hpa = page->items[0];
  EXPECT_EQ(hpa.name, "api");
  EXPECT_EQ(hpa.min_replicas, 2);
  EXPECT_EQ(hpa.max_replicas, 4);
  EXPECT_EQ(hpa.current_replicas, 4);
  EXPECT_EQ(hpa.desired_replicas, 6);
  EXPECT_EQ(hpa.last_scale_time, "2026-01-02T03:00:00Z");
  ASSERT_EQ(hpa.metrics.size(), 3u);
  EXPECT_EQ(hpa.metrics[0].type, "Resource");
  EXPECT_EQ(hpa.metrics[0].name, "cpu");
  EXPECT_EQ(hpa.metrics[0].target_type, "Utilization");
  EXPECT_EQ(hpa.metrics[0].target, "70");
  EXPECT_EQ(hpa.metrics[0].current, "95");
  EXPECT_EQ(hpa.metrics[1].name, "requests_per_second");
  EXPECT_EQ(hpa.metrics[1].target, "100");
  EXPECT_EQ(hpa.metrics[1].current, "180");
  EXPECT_EQ(hpa.metrics[2].container, "app");
  EXPECT_EQ(hpa.metrics[2].target, "400Mi");
  EXPECT_EQ(hpa.metrics[2].current, "");
  ASSERT_EQ(hpa.conditions.size(), 3u);
  EXPECT_EQ(hpa.conditions[2].type, "ScalingLimited");
  EXPECT_EQ(hpa.conditions[2].reason, "TooManyReplicas");
  // Defaults: minReplicas 1.
  auto worker
    = parse_hpa_list(data("hpa_list.json"), {"Deployment", "web", "worker"});
  ASSERT_TRUE(worker);
  ASSERT_EQ(worker->items.size(), 1u);
  EXPECT_EQ(worker->items[0].min_replicas, 1);
  auto none
    = parse_hpa_list(data("hpa_list.json"), {"StatefulSet", "web", "api"});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->items.empty());
}

TEST(K8sObjects, PdbsSelectingThePods) {
  std::map<std::string, std::string> labels{{"app", "api"}, {"tier", "web"}};
  auto page = parse_pdb_list(data("pdb_list.json"), labels);
  ASSERT_TRUE(page) << render(page.error());
  // api-pdb by selector, everything by its empty selector; `nothing` has no
  // selector (selects no pod), worker-pdb selects other pods.
  ASSERT_EQ(page->items.size(), 2u);
  const auto& pdb = page->items[0];
  EXPECT_EQ(pdb.name, "api-pdb");
  EXPECT_EQ(pdb.min_available, "3");
  EXPECT_EQ(pdb.max_unavailable, "");
  EXPECT_EQ(pdb.selector, "app=api,tier in (web,edge)");
  EXPECT_EQ(pdb.current_healthy, 3);
  EXPECT_EQ(pdb.desired_healthy, 3);
  EXPECT_EQ(pdb.disruptions_allowed, 0);
  EXPECT_EQ(pdb.expected_pods, 4);
  EXPECT_EQ(pdb.conditions.at(0).reason, "InsufficientPods");
  EXPECT_EQ(page->items[1].name, "everything");
  EXPECT_EQ(page->items[1].max_unavailable, "25%");
}

TEST(K8sObjects, LimitRanges) {
  auto page = parse_limit_range_list(data("limit_range_list.json"));
  ASSERT_TRUE(page) << render(page.error());
  ASSERT_EQ(page->items.size(), 1u);
  const auto& items = page->items[0].items;
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].type, "Container");
  EXPECT_EQ(items[0].default_limits.at("memory"), "512Mi");
  EXPECT_EQ(items[0].default_requests.at("memory"), "256Mi");
  EXPECT_EQ(items[0].min.at("memory"), "64Mi");
  EXPECT_EQ(items[0].max.at("cpu"), "2");
  EXPECT_EQ(items[0].max_limit_request_ratio.at("memory"), "2");
  EXPECT_EQ(items[1].type, "Pod");
  EXPECT_EQ(items[1].max.at("memory"), "8Gi");
}

TEST(K8sObjects, NodesAndRequestedResources) {
  auto nodes = parse_node_list(data("node_list.json"));
  ASSERT_TRUE(nodes) << render(nodes.error());
  ASSERT_EQ(nodes->items.size(), 2u);
  const auto& a = nodes->items[0];
  EXPECT_DOUBLE_EQ(a.allocatable_cpu_cores, 3.92);
  EXPECT_EQ(a.allocatable_memory_bytes, 15LL << 30);
  EXPECT_EQ(a.allocatable_pods, 110);
  EXPECT_EQ(a.taints, (std::vector<std::string>{
                        "dedicated=gpu:NoSchedule",
                        "node.kubernetes.io/unreachable:NoExecute"}));
  EXPECT_FALSE(a.unschedulable);
  EXPECT_EQ(a.conditions.size(), 2u);
  EXPECT_EQ(nodes->items[1].allocatable_memory_bytes, 8053040LL * 1024);
  EXPECT_TRUE(nodes->items[1].unschedulable);
  auto pods = parse_pod_requests(data("pod_requests.json"));
  ASSERT_TRUE(pods) << render(pods.error());
  EXPECT_EQ(pods->continue_token, "next");
  ASSERT_EQ(pods->items.size(), 3u); // the unscheduled pod is skipped
  // max(750m of containers, 2 of the init container).
  EXPECT_DOUBLE_EQ(pods->items[0].cpu_cores, 2.0);
  EXPECT_EQ(pods->items[0].memory_bytes, (1LL << 30) + (512LL << 20));
  add_requests(nodes->items, pods->items);
  EXPECT_DOUBLE_EQ(nodes->items[0].requested_cpu_cores, 2.0);
  EXPECT_EQ(nodes->items[0].requested_memory_bytes,
            (1LL << 30) + (512LL << 20) + 100'000'000);
  EXPECT_EQ(nodes->items[0].pods, 2);
  EXPECT_EQ(nodes->items[1].pods, 0);
}

// -- selectors ----------------------------------------------------------------

TEST(K8sObjects, SelectorMatches) {
  std::map<std::string, std::string> labels{{"app", "api"}, {"tier", "web"}};
  struct row {
    const char* selector;
    bool matches;
  };
  for (auto [selector, expected] : {
         row{"", true},
         row{"app=api", true},
         row{"app==api", true},
         row{"app=other", false},
         row{"app!=api", false},
         row{"app!=other", true},
         row{"missing!=x", true},
         row{"tier in (web,edge)", true},
         row{"tier in (edge)", false},
         row{"tier notin (edge, db)", true},
         row{"tier notin (web)", false},
         row{"missing notin (web)", true},
         row{"missing in (web)", false},
         row{"app", true},
         row{"missing", false},
         row{"!missing", true},
         row{"!app", false},
         row{"app=api, tier in (web), !canary", true},
         row{"app=api,tier in (db,cache)", false},
       })
    EXPECT_EQ(selector_matches(selector, labels), expected) << selector;
}

TEST(K8sObjects, SelectEventsIsLinearForManyEvents) {
  std::vector<event_record> events;
  for (int i = 0; i < 20000; ++i) {
    event_record e;
    e.reason = "BackOff";
    e.involved_kind = "Pod";
    e.involved_name = "p-" + std::to_string(i % 200);
    e.last_seen = "2026-01-01T00:" + std::to_string(10 + i % 50) + ":00Z";
    e.count = i;
    events.push_back(std::move(e));
  }
  auto kept = select_events(events, 500);
  ASSERT_EQ(kept.size(), 500u);
  EXPECT_EQ(kept.front().last_seen, "2026-01-01T00:59:00Z");
}

} // namespace
} // namespace kfix::context
