// Context benchmark: the time to build one incident's context bundle, and
// the fetchers' peak memory, for a Deployment with 200 pods and 5,000
// events, against the simulated Kubernetes and Datadog APIs on 127.0.0.1.
//
// The simulators run in a child process (so the parent's peak RSS is the
// fetchers' own); the parent runs the three fetchers concurrently with one
// deadline, as CONTEXT does, several times, and prints the figures.
//
//   kfix_bench_context [--pods N] [--events N] [--logs N] [--runs N]

#include "actors/common/http_client.hpp"
#include "actors/common/time_text.hpp"
#include "actors/context/datadog_source.hpp"
#include "actors/context/k8s_source.hpp"
#include "tests/support/sim_world.hpp"

#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using json = nlohmann::json;
using namespace kfix;
using clock_type = std::chrono::steady_clock;

constexpr int64_t alert_s = 1767323700; // 2026-01-02T03:15:00Z
const char* const ns = "bench";

struct options {
  int pods = 200;
  int events = 5000;
  int logs = 2000;
  int runs = 10;
};

std::string ts(int64_t s) {
  return format_rfc3339_s(s);
}

json container(const std::string& name, const std::string& memory) {
  return json{
    {"name", name},
    {"image", "registry/" + name + ":1.0"},
    {"resources",
     {{"requests", {{"cpu", "250m"}, {"memory", memory}}},
      {"limits", {{"memory", memory}}}}},
    {"livenessProbe", {{"httpGet", {{"path", "/healthz"}, {"port", 8080}}}}},
    {"env",
     {{{"name", "DB_PASSWORD"},
       {"valueFrom",
        {{"secretKeyRef", {{"name", "big-db"}, {"key", "pw"}}}}}}}}};
}

/// A Deployment `big` with `pods` pods (two containers each, some
/// OOM-killed), three ReplicaSets, `events` events on the pods, 20 nodes,
/// quota, limits, HPA, PDB, a Secret; per-container series for 7 days at
/// 300 s; `logs` error logs.
sim::cluster_state big_state(const options& o) {
  sim::cluster_state s;
  json tmpl{{"metadata", {{"labels", {{"app", "big"}}}}},
            {"spec",
             {{"containers",
               {container("app", "1Gi"), container("sidecar", "128Mi")}}}}};
  s.objects.push_back(
    {{"apiVersion", "apps/v1"},
     {"kind", "Deployment"},
     {"metadata",
      {{"name", "big"},
       {"namespace", ns},
       {"uid", "big-uid"},
       {"annotations", {{"deployment.kubernetes.io/revision", "3"}}}}},
     {"spec",
      {{"replicas", o.pods},
       {"selector", {{"matchLabels", {{"app", "big"}}}}},
       {"template", tmpl}}},
     {"status", {{"replicas", o.pods}, {"readyReplicas", o.pods - 10}}}});
  for (int r = 1; r <= 3; ++r)
    s.objects.push_back(
      {{"apiVersion", "apps/v1"},
       {"kind", "ReplicaSet"},
       {"metadata",
        {{"name", "big-rs" + std::to_string(r)},
         {"namespace", ns},
         {"labels",
          {{"app", "big"}, {"pod-template-hash", "rs" + std::to_string(r)}}},
         {"annotations",
          {{"deployment.kubernetes.io/revision", std::to_string(r)}}},
         {"ownerReferences",
          {{{"kind", "Deployment"},
            {"name", "big"},
            {"uid", "big-uid"},
            {"controller", true}}}}}},
       {"spec", {{"template", tmpl}}},
       {"status", {{"replicas", r == 3 ? o.pods : 0}}}});
  for (int n = 0; n < 20; ++n)
    s.objects.push_back(
      {{"apiVersion", "v1"},
       {"kind", "Node"},
       {"metadata", {{"name", "node-" + std::to_string(n)}}},
       {"status",
        {{"allocatable",
          {{"cpu", "8"}, {"memory", "32Gi"}, {"pods", "110"}}}}}});
  for (int p = 0; p < o.pods; ++p) {
    auto name = "big-rs3-p" + std::to_string(10000 + p);
    auto oom = p % 7 == 0;
    json statuses = json::array();
    for (auto c : {"app", "sidecar"}) {
      json st{{"name", c},
              {"image", std::string{"registry/"} + c + ":1.0"},
              {"ready", !oom},
              {"restartCount", oom ? 5 : 0},
              {"state", {{"running", {{"startedAt", ts(alert_s - 600)}}}}}};
      if (oom && std::string{c} == "app")
        st["lastState"] = {{"terminated",
                            {{"reason", "OOMKilled"},
                             {"exitCode", 137},
                             {"finishedAt", ts(alert_s - 610)}}}};
      statuses.push_back(st);
    }
    auto spec = tmpl["spec"];
    spec["nodeName"] = "node-" + std::to_string(p % 20);
    s.objects.push_back(
      {{"apiVersion", "v1"},
       {"kind", "Pod"},
       {"metadata",
        {{"name", name},
         {"namespace", ns},
         {"labels", {{"app", "big"}, {"pod-template-hash", "rs3"}}},
         {"ownerReferences",
          {{{"kind", "ReplicaSet"},
            {"name", "big-rs3"},
            {"controller", true}}}}}},
       {"spec", spec},
       {"status",
        {{"phase", p == 0 ? "Pending" : "Running"},
         {"conditions",
          {{{"type", "PodScheduled"}, {"status", p == 0 ? "False" : "True"}}}},
         {"containerStatuses", statuses}}}});
  }
  for (int e = 0; e < o.events; ++e) {
    auto pod = "big-rs3-p" + std::to_string(10000 + e % o.pods);
    auto at = alert_s - 3600 + (e * 3600LL) / std::max(o.events, 1);
    s.objects.push_back(
      {{"apiVersion", "v1"},
       {"kind", "Event"},
       {"metadata",
        {{"name", pod + "." + std::to_string(100000 + e)}, {"namespace", ns}}},
       {"involvedObject", {{"kind", "Pod"}, {"name", pod}, {"namespace", ns}}},
       {"reason", e % 3 == 0 ? "BackOff" : "Unhealthy"},
       {"message", "Readiness probe failed: HTTP probe failed with statuscode: "
                     + std::to_string(500 + e % 4)},
       {"type", "Warning"},
       {"firstTimestamp", ts(at - 60)},
       {"lastTimestamp", ts(at)},
       {"count", 1 + e % 9},
       {"source", {{"component", "kubelet"}}}});
  }
  s.objects.push_back({{"apiVersion", "v1"},
                       {"kind", "Secret"},
                       {"metadata", {{"name", "big-db"}, {"namespace", ns}}},
                       {"data", {{"pw", "eA=="}}}});
  s.objects.push_back({{"apiVersion", "v1"},
                       {"kind", "ResourceQuota"},
                       {"metadata", {{"name", "q"}, {"namespace", ns}}},
                       {"status",
                        {{"hard", {{"limits.memory", "512Gi"}}},
                         {"used", {{"limits.memory", "230Gi"}}}}}});
  s.objects.push_back(
    {{"apiVersion", "autoscaling/v2"},
     {"kind", "HorizontalPodAutoscaler"},
     {"metadata", {{"name", "big"}, {"namespace", ns}}},
     {"spec",
      {{"scaleTargetRef", {{"kind", "Deployment"}, {"name", "big"}}},
       {"maxReplicas", o.pods}}}});
  // Metrics: per container, 7 days at 300 s.
  const char* metrics[]
    = {"kubernetes.memory.working_set", "kubernetes.memory.usage",
       "kubernetes.memory.rss",         "kubernetes.memory.limits",
       "kubernetes.memory.requests",    "kubernetes.cpu.usage.total",
       "kubernetes.cpu.limits",         "kubernetes.cpu.requests",
       "kubernetes.cpu.cfs.periods",    "kubernetes.cpu.cfs.throttled.periods",
       "kubernetes.containers.restarts"};
  for (auto c : {"app", "sidecar"})
    for (auto m : metrics) {
      json points = json::array();
      for (int64_t t = alert_s - 7 * 86400; t <= alert_s; t += 300)
        points.push_back(json::array({t, static_cast<double>(t % 9973)}));
      s.metric_series.push_back(
        {{"metric", m},
         {"tags",
          {std::string{"kube_namespace:"} + ns, "kube_deployment:big",
           std::string{"kube_container_name:"} + c}},
         {"interval", 300},
         {"points", points}});
    }
  for (int l = 0; l < o.logs; ++l)
    s.logs.push_back(
      {{"id", "log" + std::to_string(l)},
       {"type", "log"},
       {"attributes",
        {{"timestamp", ts(alert_s - 3000 + l % 3000)},
         {"status", l % 5 == 0 ? "warn" : "error"},
         {"service", "big"},
         {"message", "request " + std::to_string(l) + " failed after "
                       + std::to_string(l % 97) + "ms: upstream "
                       + (l % 2 ? "timeout" : "reset") + " user=u"
                       + std::to_string(l) + "@example.com"},
         {"tags",
          {std::string{"kube_namespace:"} + ns, "kube_deployment:big"}}}}});
  return s;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

long current_rss_kib() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0;
  long resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    std::fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

double pct(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  auto i = static_cast<size_t>(p / 100.0 * static_cast<double>(xs.size() - 1));
  return xs[i];
}

} // namespace

int main(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    auto value = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--pods") == 0)
      o.pods = value;
    else if (std::strcmp(argv[i], "--events") == 0)
      o.events = value;
    else if (std::strcmp(argv[i], "--logs") == 0)
      o.logs = value;
    else if (std::strcmp(argv[i], "--runs") == 0)
      o.runs = value;
    else {
      std::cerr << "usage: kfix_bench_context [--pods N] [--events N] "
                   "[--logs N] [--runs N]\n";
      return 2;
    }
  }
  // The simulators in a child: it writes its two base URLs to the pipe.
  int fds[2];
  if (pipe(fds) != 0)
    return 1;
  auto child = fork();
  if (child == 0) {
    close(fds[0]);
    test::sim_world world{8};
    if (!world.ok())
      _exit(1);
    world.add("big", {"Deployment", ns, "big"}, alert_s, big_state(o));
    auto urls
      = world.kubernetes_url("big") + "\n" + world.datadog_url("big") + "\n";
    if (write(fds[1], urls.data(), urls.size()) < 0)
      _exit(1);
    close(fds[1]);
    pause();
    _exit(0);
  }
  close(fds[1]);
  std::string urls;
  char buf[512];
  ssize_t n = 0;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0)
    urls.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  auto nl = urls.find('\n');
  if (nl == std::string::npos) {
    std::cerr << "the simulators did not start\n";
    return 1;
  }
  auto k8s_url = urls.substr(0, nl);
  auto dd_url = urls.substr(nl + 1, urls.find('\n', nl + 1) - nl - 1);
  context::fetch_scope scope;
  scope.workload = {"Deployment", ns, "big"};
  scope.service = "big";
  scope.alert_time_s = alert_s;
  context::api_endpoint k8s{k8s_url,
                            {{"Authorization", "Bearer b"}},
                            std::chrono::milliseconds{10'000}};
  context::api_endpoint dd{dd_url,
                           {{"DD-API-KEY", "k"}, {"DD-APPLICATION-KEY", "a"}},
                           std::chrono::milliseconds{10'000}};
  datadog_config cfg;
  auto client = http::make_curl_client();
  auto rss_before = current_rss_kib();
  std::vector<double> totals;
  std::vector<double> k8s_ms;
  std::vector<double> metrics_ms;
  std::vector<double> logs_ms;
  context_bundle last;
  for (int r = 0; r < o.runs + 1; ++r) {
    auto start = clock_type::now();
    auto deadline = start + std::chrono::seconds{30};
    std::vector<context::context_part> parts(3);
    std::thread metrics{[&] {
      parts[1]
        = context::fetch_datadog_metrics(*client, dd, scope, cfg, deadline);
    }};
    std::thread logs{[&] {
      parts[2] = context::fetch_datadog_logs(*client, dd, scope, cfg, deadline);
    }};
    parts[0] = context::fetch_kubernetes(*client, k8s, scope, deadline);
    metrics.join();
    logs.join();
    auto bundle = context::merge_context(std::move(parts));
    auto took
      = std::chrono::duration<double, std::milli>(clock_type::now() - start)
          .count();
    if (r == 0)
      continue; // warm-up
    totals.push_back(took);
    double k = 0;
    for (const auto& s : bundle.sources)
      if (s.source.rfind("kubernetes.", 0) == 0)
        k = std::max(k, static_cast<double>(s.duration_ms));
    k8s_ms.push_back(k);
    metrics_ms.push_back(
      static_cast<double>(bundle.find_source("datadog.metrics")->duration_ms));
    logs_ms.push_back(
      static_cast<double>(bundle.find_source("datadog.logs")->duration_ms));
    last = std::move(bundle);
  }
  kill(child, SIGTERM);
  waitpid(child, nullptr, 0);
  std::printf("context bundle: %d pods, %d events, %d logs, %d runs "
              "(+1 warm-up), simulators in a child process\n",
              o.pods, o.events, o.logs, o.runs);
  std::printf("  bundle build   p50 %7.1f ms   max %7.1f ms\n", pct(totals, 50),
              pct(totals, 100));
  std::printf("  kubernetes     p50 %7.1f ms   (slowest of its reports)\n",
              pct(k8s_ms, 50));
  std::printf("  datadog.metrics p50 %6.1f ms\n", pct(metrics_ms, 50));
  std::printf("  datadog.logs   p50 %7.1f ms\n", pct(logs_ms, 50));
  std::printf("  peak RSS       %7.1f MiB (before the runs: %.1f MiB)\n",
              static_cast<double>(peak_rss_kib()) / 1024.0,
              static_cast<double>(rss_before) / 1024.0);
  std::printf("  bundle: %zu pods, %zu events kept, %zu revisions, %zu nodes, "
              "%zu metric summaries, %zu logs, %zu log patterns (%lld read)\n",
              last.pods.size(), last.events.size(), last.revisions.size(),
              last.nodes.size(), last.metrics.size(), last.logs.size(),
              last.log_patterns.size(),
              static_cast<long long>(last.log_events_read));
  for (const auto& s : last.sources)
    if (s.status != source_status::ok)
      std::printf("  %s: %s %s\n", s.source.c_str(),
                  std::string{to_string(s.status)}.c_str(), s.reason.c_str());
  return 0;
}
