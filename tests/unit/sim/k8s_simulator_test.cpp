#include "eval/sim/k8s_simulator.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

using namespace kfix;
using namespace kfix::sim;
using namespace kfix::sim::test;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

namespace {

class SimK8s : public ::testing::Test {
protected:
  SimK8s() : sim(test_state()) {}

  http::response get(const std::string& target) {
    return sim.handle(make_request("GET", target));
  }

  json get_json(const std::string& target, int status = 200) {
    auto resp = get(target);
    EXPECT_EQ(resp.status, status) << target << ": " << resp.body;
    return body_of(resp);
  }

  std::vector<std::string> names(const std::string& target) {
    auto list = get_json(target);
    std::vector<std::string> result;
    for (const auto& item : list["items"])
      result.push_back(item["metadata"]["name"].get<std::string>());
    return result;
  }

  k8s_simulator sim;
};

} // namespace

// -- GET ----------------------------------------------------------------------

TEST_F(SimK8s, GetsObjectsByPath) {
  auto deploy = get_json("/apis/apps/v1/namespaces/shop/deployments/checkout");
  EXPECT_EQ(deploy["kind"], "Deployment");
  EXPECT_EQ(deploy["apiVersion"], "apps/v1");
  EXPECT_EQ(deploy["metadata"]["uid"], "6f1a2b3c-0000-4000-8000-000000000010");
  auto resp = get("/api/v1/namespaces/shop/pods/checkout-7d9f8c6b5-x2x8q");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(header_of(resp, "content-type"), "application/json");
  EXPECT_EQ(body_of(resp)["status"]["containerStatuses"][0]["lastState"]
                         ["terminated"]["reason"],
            "OOMKilled");
  EXPECT_EQ(get_json("/api/v1/nodes/node-2")["spec"]["unschedulable"], true);
  EXPECT_EQ(
    get_json("/apis/autoscaling/v2/namespaces/shop/"
             "horizontalpodautoscalers/checkout")["spec"]["maxReplicas"],
    10);
  EXPECT_EQ(get_json("/apis/policy/v1/namespaces/shop/poddisruptionbudgets/"
                     "checkout")["spec"]["minAvailable"],
            2);
  EXPECT_EQ(
    get_json(
      "/api/v1/namespaces/shop/resourcequotas/compute-quota")["status"]["used"]
                                                             ["limits.memory"],
    "15Gi");
}

TEST_F(SimK8s, ServesNamespaces) {
  auto payments = get_json("/api/v1/namespaces/payments");
  EXPECT_EQ(payments["metadata"]["uid"],
            "0f1e2d3c-0000-4000-8000-000000000001");
  // shop has no Namespace object in the state but holds objects.
  auto shop = get_json("/api/v1/namespaces/shop");
  EXPECT_EQ(shop["kind"], "Namespace");
  EXPECT_EQ(shop["status"]["phase"], "Active");
  EXPECT_THAT(names("/api/v1/namespaces"), ElementsAre("payments", "shop"));
  get_json("/api/v1/namespaces/nowhere", 404);
}

TEST_F(SimK8s, NotFoundIsAStatusInTheReferenceShape) {
  auto resp = get("/apis/apps/v1/namespaces/shop/deployments/nope");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(body_of(resp), json::parse(R"({"kind":"Status","apiVersion":"v1",
    "metadata":{},"status":"Failure",
    "message":"deployments.apps \"nope\" not found","reason":"NotFound",
    "details":{"name":"nope","group":"apps","kind":"deployments"},
    "code":404})"));
  EXPECT_EQ(get_json("/api/v1/namespaces/shop/pods/grafana", 404),
            json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
    "status":"Failure","message":"pods \"grafana\" not found",
    "reason":"NotFound","details":{"name":"grafana","kind":"pods"},
    "code":404})"));
  // Right name, wrong namespace.
  get_json("/apis/apps/v1/namespaces/payments/deployments/checkout", 404);
}

TEST_F(SimK8s, ObjectsInAnotherGroupVersionAreNotFound) {
  auto body
    = get_json("/apis/apps/v1/namespaces/shop/deployments/old-web", 404);
  EXPECT_EQ(body["message"], "deployments.apps \"old-web\" not found");
  auto old
    = get_json("/apis/extensions/v1beta1/namespaces/shop/deployments/old-web");
  EXPECT_EQ(old["apiVersion"], "extensions/v1beta1");
}

TEST_F(SimK8s, UnknownPathsAreReported) {
  auto expected = json::parse(R"({"kind":"Status","apiVersion":"v1",
    "metadata":{},"status":"Failure",
    "message":"the server could not find the requested resource",
    "reason":"NotFound","details":{},"code":404})");
  EXPECT_EQ(get_json("/apis/apps/v1/namespaces/shop/widgets", 404), expected);
  EXPECT_EQ(get_json("/apis/autoscaling/v1/namespaces/shop/"
                     "horizontalpodautoscalers/checkout",
                     404),
            expected);
  EXPECT_EQ(get_json("/api/v1/pods/checkout-7d9f8c6b5-x2x8q", 404), expected);
  EXPECT_EQ(get_json("/metrics", 404), expected);
  EXPECT_THAT(sim.unknown_requests(),
              ElementsAre("GET /apis/apps/v1/namespaces/shop/widgets",
                          "GET /apis/autoscaling/v1/namespaces/shop/"
                          "horizontalpodautoscalers/checkout",
                          "GET /api/v1/pods/checkout-7d9f8c6b5-x2x8q",
                          "GET /metrics"));
}

TEST_F(SimK8s, AnswersDiscovery) {
  auto api = get_json("/api");
  EXPECT_EQ(api["kind"], "APIVersions");
  EXPECT_EQ(api["versions"], json::array({"v1"}));
  auto apis = get_json("/apis");
  EXPECT_EQ(apis["kind"], "APIGroupList");
  std::vector<std::string> groups;
  for (const auto& g : apis["groups"])
    groups.push_back(g["name"]);
  EXPECT_THAT(groups, ::testing::IsSupersetOf(
                        {"apps", "autoscaling", "policy", "events.k8s.io"}));
  EXPECT_EQ(get_json("/version")["gitVersion"], "v1.29.4");
  auto apps = get_json("/apis/apps/v1");
  EXPECT_EQ(apps["groupVersion"], "apps/v1");
  EXPECT_EQ(apps["resources"][0]["name"], "deployments");
  EXPECT_EQ(apps["resources"][0]["kind"], "Deployment");
  EXPECT_EQ(get("/healthz").body, "ok");
}

// -- LIST ---------------------------------------------------------------------

TEST_F(SimK8s, ListsNamespacedCollections) {
  auto list = get_json("/api/v1/namespaces/shop/pods");
  EXPECT_EQ(list["kind"], "PodList");
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["metadata"], json::parse(R"({"resourceVersion":"884213"})"));
  ASSERT_EQ(list["items"].size(), 4u);
  // Items carry no kind/apiVersion, as on a real server.
  EXPECT_FALSE(list["items"][0].contains("kind"));
  EXPECT_FALSE(list["items"][0].contains("apiVersion"));
  EXPECT_THAT(
    names("/api/v1/namespaces/shop/pods"),
    ElementsAre("checkout-7d9f8c6b5-abcde", "checkout-7d9f8c6b5-pend1",
                "checkout-7d9f8c6b5-x2x8q", "frontend-6b7c8d9e0-aaaaa"));
  auto deployments = get_json("/apis/apps/v1/namespaces/shop/deployments");
  EXPECT_EQ(deployments["kind"], "DeploymentList");
  EXPECT_EQ(deployments["apiVersion"], "apps/v1");
  EXPECT_THAT(names("/apis/apps/v1/namespaces/shop/replicasets"),
              ElementsAre("checkout-5c8d7b9f4", "checkout-7d9f8c6b5"));
  EXPECT_THAT(names("/api/v1/namespaces/empty/pods"), ElementsAre());
}

TEST_F(SimK8s, ListsAcrossNamespaces) {
  EXPECT_THAT(names("/api/v1/pods"),
              ElementsAre("ledger-5f6a7b8c9-zzzzz", "checkout-7d9f8c6b5-abcde",
                          "checkout-7d9f8c6b5-pend1",
                          "checkout-7d9f8c6b5-x2x8q",
                          "frontend-6b7c8d9e0-aaaaa"));
  EXPECT_THAT(names("/apis/apps/v1/deployments"),
              ElementsAre("ledger", "checkout", "frontend"));
  EXPECT_THAT(names("/api/v1/nodes"), ElementsAre("node-1", "node-2"));
}

TEST_F(SimK8s, FiltersByLabelSelector) {
  auto pods = [&](const std::string& selector) {
    return names("/api/v1/namespaces/shop/pods?labelSelector="
                 + percent_encode(selector));
  };
  EXPECT_EQ(pods("app=checkout").size(), 3u);
  EXPECT_THAT(
    pods("app==checkout,track!=canary"),
    ElementsAre("checkout-7d9f8c6b5-pend1", "checkout-7d9f8c6b5-x2x8q"));
  EXPECT_EQ(pods("app in (checkout, frontend)").size(), 4u);
  EXPECT_THAT(pods("app notin (checkout)"),
              ElementsAre("frontend-6b7c8d9e0-aaaaa"));
  EXPECT_THAT(pods("track"), ElementsAre("checkout-7d9f8c6b5-abcde"));
  EXPECT_EQ(pods("!track").size(), 3u);
  EXPECT_THAT(pods("tier=web,app=frontend"),
              ElementsAre("frontend-6b7c8d9e0-aaaaa"));
  EXPECT_THAT(pods("app=nothing"), ElementsAre());
  EXPECT_THAT(names("/apis/apps/v1/deployments?labelSelector=tier%3Dbackend"),
              ElementsAre("ledger"));
  auto bad = get_json("/api/v1/namespaces/shop/pods?labelSelector="
                        + percent_encode("app in checkout"),
                      400);
  EXPECT_EQ(bad["reason"], "BadRequest");
  EXPECT_EQ(bad["code"], 400);
  EXPECT_THAT(bad["message"].get<std::string>(),
              StartsWith("unable to parse requirement: "));
}

TEST_F(SimK8s, FiltersByFieldSelector) {
  auto pods = [&](const std::string& selector) {
    return names("/api/v1/namespaces/shop/pods?fieldSelector="
                 + percent_encode(selector));
  };
  EXPECT_THAT(pods("status.phase=Running"),
              ElementsAre("checkout-7d9f8c6b5-abcde",
                          "checkout-7d9f8c6b5-x2x8q",
                          "frontend-6b7c8d9e0-aaaaa"));
  EXPECT_THAT(pods("status.phase!=Running"),
              ElementsAre("checkout-7d9f8c6b5-pend1"));
  EXPECT_THAT(
    pods("spec.nodeName==node-1"),
    ElementsAre("checkout-7d9f8c6b5-x2x8q", "frontend-6b7c8d9e0-aaaaa"));
  EXPECT_THAT(pods("metadata.name=checkout-7d9f8c6b5-x2x8q,"
                   "metadata.namespace=shop"),
              ElementsAre("checkout-7d9f8c6b5-x2x8q"));
  auto bad
    = get_json("/api/v1/namespaces/shop/pods?fieldSelector=spec.foo%3Dx", 400);
  EXPECT_EQ(bad["message"], "field label not supported: spec.foo");
  auto events = [&](const std::string& selector) {
    return names("/api/v1/namespaces/shop/events?fieldSelector="
                 + percent_encode(selector));
  };
  EXPECT_THAT(events("involvedObject.name=checkout-7d9f8c6b5-x2x8q,"
                     "type=Warning"),
              ElementsAre("checkout-7d9f8c6b5-x2x8q.17c3a5e1b2d4f0a1"));
  EXPECT_EQ(events("involvedObject.kind=Pod").size(), 3u);
  EXPECT_THAT(events("involvedObject.kind=Deployment,"
                     "involvedObject.apiVersion=apps/v1"),
              ElementsAre("checkout.17c3a5e1b2d4f0a4"));
  EXPECT_THAT(events("reason=FailedScheduling"),
              ElementsAre("checkout-7d9f8c6b5-pend1.17c3a5e1b2d4f0a3"));
  EXPECT_THAT(events("source=default-scheduler"),
              ElementsAre("checkout-7d9f8c6b5-pend1.17c3a5e1b2d4f0a3"));
  // Core field names do not apply to events.k8s.io.
  get_json("/apis/events.k8s.io/v1/namespaces/shop/events?fieldSelector="
           "involvedObject.name%3Dx",
           400);
}

TEST_F(SimK8s, ServesBothEventApis) {
  auto list = get_json("/apis/events.k8s.io/v1/namespaces/shop/events");
  EXPECT_EQ(list["kind"], "EventList");
  EXPECT_EQ(list["apiVersion"], "events.k8s.io/v1");
  ASSERT_EQ(list["items"].size(), 4u);
  auto backoff = get_json("/apis/events.k8s.io/v1/namespaces/shop/events/"
                          "checkout-7d9f8c6b5-x2x8q.17c3a5e1b2d4f0a1");
  EXPECT_EQ(backoff["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(backoff["note"], "Back-off restarting failed container app in pod "
                             "checkout-7d9f8c6b5-x2x8q_shop");
  EXPECT_EQ(backoff["regarding"]["name"], "checkout-7d9f8c6b5-x2x8q");
  EXPECT_EQ(backoff["reportingController"], "kubelet");
  EXPECT_EQ(backoff["deprecatedCount"], 12);
  EXPECT_EQ(backoff["deprecatedSource"]["component"], "kubelet");
  EXPECT_EQ(backoff["deprecatedLastTimestamp"], "2026-03-14T10:01:50Z");
  EXPECT_FALSE(backoff.contains("message"));
  EXPECT_THAT(names("/apis/events.k8s.io/v1/namespaces/shop/events?"
                    "fieldSelector=regarding.name%3D"
                    "checkout-7d9f8c6b5-pend1"),
              ElementsAre("checkout-7d9f8c6b5-pend1.17c3a5e1b2d4f0a3"));
  // The state's events.k8s.io event also shows as a core event.
  auto core = get_json("/api/v1/namespaces/payments/events");
  ASSERT_EQ(core["items"].size(), 1u);
  EXPECT_EQ(core["items"][0]["message"],
            "Readiness probe failed: HTTP probe failed with statuscode: 503");
  EXPECT_EQ(core["items"][0]["involvedObject"]["name"],
            "ledger-5f6a7b8c9-zzzzz");
  EXPECT_EQ(core["items"][0]["reportingComponent"], "kubelet");
  EXPECT_EQ(get_json("/api/v1/events")["items"].size(), 5u);
}

TEST_F(SimK8s, PaginatesWithContinueTokens) {
  auto first = get_json("/api/v1/namespaces/shop/pods?limit=2");
  ASSERT_EQ(first["items"].size(), 2u);
  EXPECT_EQ(first["items"][1]["metadata"]["name"], "checkout-7d9f8c6b5-pend1");
  auto token = first["metadata"]["continue"].get<std::string>();
  EXPECT_FALSE(token.empty());
  EXPECT_EQ(first["metadata"]["remainingItemCount"], 2);
  auto second = get_json("/api/v1/namespaces/shop/pods?limit=2&continue="
                         + percent_encode(token));
  ASSERT_EQ(second["items"].size(), 2u);
  EXPECT_EQ(second["items"][0]["metadata"]["name"], "checkout-7d9f8c6b5-x2x8q");
  EXPECT_EQ(second["items"][1]["metadata"]["name"], "frontend-6b7c8d9e0-aaaaa");
  EXPECT_FALSE(second["metadata"].contains("continue"));
  // With a selector: no remainingItemCount.
  auto sel = get_json(
    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dcheckout&limit=2");
  ASSERT_EQ(sel["items"].size(), 2u);
  EXPECT_FALSE(sel["metadata"].contains("remainingItemCount"));
  auto rest = get_json(
    "/api/v1/namespaces/shop/pods?labelSelector=app%3Dcheckout&limit=2"
    "&continue="
    + percent_encode(sel["metadata"]["continue"].get<std::string>()));
  ASSERT_EQ(rest["items"].size(), 1u);
  EXPECT_EQ(rest["items"][0]["metadata"]["name"], "checkout-7d9f8c6b5-x2x8q");
}

TEST_F(SimK8s, UnknownContinueTokensAreGone) {
  auto gone
    = get_json("/api/v1/namespaces/shop/pods?limit=2&continue=bogus", 410);
  EXPECT_EQ(gone["kind"], "Status");
  EXPECT_EQ(gone["status"], "Failure");
  EXPECT_EQ(gone["reason"], "Expired");
  EXPECT_EQ(gone["code"], 410);
  EXPECT_THAT(gone["message"].get<std::string>(),
              StartsWith("The provided continue parameter is too old"));
  // A well-formed token from another resource version.
  auto stale
    = base64url_encode(R"({"v":"meta.k8s.io/v1","rv":1,"start":"shop/a"})");
  get_json("/api/v1/namespaces/shop/pods?continue=" + stale, 410);
}

TEST_F(SimK8s, ServesPodLogsFromTheRecordedLogs) {
  auto resp = get("/api/v1/namespaces/shop/pods/checkout-7d9f8c6b5-x2x8q/log"
                  "?container=app&tailLines=3");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(header_of(resp, "content-type"), "text/plain");
  EXPECT_EQ(resp.body, "GC overhead limit approaching\n"
                       "Started CheckoutApplication in 12.3 seconds\n"
                       "Killed process 4242 (java) total-vm:2048000kB, "
                       "anon-rss:786000kB\n");
  auto stamped = get("/api/v1/namespaces/shop/pods/checkout-7d9f8c6b5-x2x8q/"
                     "log?container=istio-proxy&timestamps=true");
  EXPECT_EQ(stamped.body, "2026-03-14T10:01:30.000Z [2026-03-14T10:01:30Z] "
                          "\"POST /api/checkout HTTP/1.1\" 503 UC\n");
  auto ambiguous = get_json(
    "/api/v1/namespaces/shop/pods/checkout-7d9f8c6b5-x2x8q/log", 400);
  EXPECT_EQ(ambiguous["message"],
            "a container name must be specified for pod "
            "checkout-7d9f8c6b5-x2x8q, choose one of: [app istio-proxy]");
}

TEST_F(SimK8s, ServesTheScaleSubresource) {
  auto scale
    = get_json("/apis/apps/v1/namespaces/shop/deployments/checkout/scale");
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(scale["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(scale["spec"]["replicas"], 3);
  EXPECT_EQ(scale["status"]["replicas"], 3);
  EXPECT_EQ(scale["status"]["selector"], "app=checkout");
}

// -- fault injection ----------------------------------------------------------

TEST_F(SimK8s, InjectsForbidden) {
  sim.fail_path("/apis/apps/v1/namespaces/shop/deployments", 403);
  auto denied
    = get_json("/apis/apps/v1/namespaces/shop/deployments/checkout", 403);
  EXPECT_EQ(denied, json::parse(R"({"kind":"Status","apiVersion":"v1",
    "metadata":{},"status":"Failure",
    "message":"deployments.apps \"checkout\" is forbidden: User \"system:serviceaccount:k-fix:k-fix\" cannot get resource \"deployments\" in API group \"apps\" in the namespace \"shop\"",
    "reason":"Forbidden",
    "details":{"name":"checkout","group":"apps","kind":"deployments"},
    "code":403})"));
  auto list = get_json("/apis/apps/v1/namespaces/shop/deployments", 403);
  EXPECT_EQ(list["message"],
            "deployments.apps is forbidden: User "
            "\"system:serviceaccount:k-fix:k-fix\" cannot list resource "
            "\"deployments\" in API group \"apps\" in the namespace \"shop\"");
  get_json("/api/v1/namespaces/shop/pods"); // other paths unaffected
  sim.clear_faults();
  get_json("/apis/apps/v1/namespaces/shop/deployments/checkout");
}

TEST_F(SimK8s, InjectsTooManyRequestsWithRetryAfter) {
  sim.fail_path("/api/v1", 429, 1);
  auto resp = get("/api/v1/namespaces/shop/pods");
  EXPECT_EQ(resp.status, 429);
  EXPECT_EQ(header_of(resp, "Retry-After"), "1");
  auto body = body_of(resp);
  EXPECT_EQ(body["reason"], "TooManyRequests");
  EXPECT_EQ(body["details"]["retryAfterSeconds"], 1);
  EXPECT_EQ(body["code"], 429);
  // Only once.
  EXPECT_EQ(get("/api/v1/namespaces/shop/pods").status, 200);
  EXPECT_EQ(sim.request_count(), 2u);
}

TEST_F(SimK8s, InjectsServerErrors) {
  sim.fail_path("/api/v1/namespaces/shop/events", 503);
  auto body = get_json("/api/v1/namespaces/shop/events", 503);
  EXPECT_EQ(body["reason"], "ServiceUnavailable");
  sim.fail_path("/api/v1/namespaces/shop/events", 500);
  EXPECT_EQ(get_json("/api/v1/namespaces/shop/events", 500)["reason"],
            "InternalError");
}

TEST_F(SimK8s, DelaysAnswers) {
  sim.delay_path("/api/v1/namespaces/shop/pods", std::chrono::milliseconds{60});
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(get("/api/v1/namespaces/shop/pods").status, 200);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds{60});
  sim.clear_faults();
  start = std::chrono::steady_clock::now();
  get("/api/v1/namespaces/shop/pods");
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            std::chrono::milliseconds{60});
}

TEST_F(SimK8s, HandlesConcurrentRequests) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        if (t == 0 && i % 5 == 0)
          sim.fail_path("/apis/apps", 503, 1);
        auto resp = sim.handle(
          make_request("GET", "/api/v1/namespaces/shop/pods?limit=1"));
        if (resp.status == 200)
          ++ok;
      }
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(sim.request_count(), 100u);
}

// -- request shapes
// ------------------------------------------------------------

TEST_F(SimK8s, AcceptsRequestsWithOnlyATarget) {
  http::request req;
  req.method = "GET";
  req.target = "/api/v1/namespaces/shop/pods?labelSelector=track";
  auto resp = sim.handle(req);
  ASSERT_EQ(resp.status, 200);
  EXPECT_EQ(body_of(resp)["items"].size(), 1u);
}
