#include "eval/sim/k8s_patch.hpp"
#include "eval/sim/k8s_simulator.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kfix;
using namespace kfix::sim;
using namespace kfix::sim::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

namespace {

constexpr const char* strategic = "application/strategic-merge-patch+json";
constexpr const char* deployment_path
  = "/apis/apps/v1/namespaces/shop/deployments/checkout";

class SimK8sPatch : public ::testing::Test {
protected:
  SimK8sPatch() : sim(test_state()) {}

  http::response patch(const std::string& target, const std::string& type,
                       const std::string& body) {
    return sim.handle(
      make_request("PATCH", target, body, {{"Content-Type", type}}));
  }

  /// Dry-run PATCH of the checkout Deployment; expects `status`.
  json dry_run(const std::string& type, const std::string& body,
               int status = 200) {
    auto resp = patch(std::string{deployment_path} + "?dryRun=All", type, body);
    EXPECT_EQ(resp.status, status) << resp.body;
    return body_of(resp);
  }

  json stored() {
    return body_of(sim.handle(make_request("GET", deployment_path)));
  }

  static json containers(const json& deploy) {
    return deploy["spec"]["template"]["spec"]["containers"];
  }

  json post_pod(const std::string& body, int status) {
    auto resp = sim.handle(
      make_request("POST", "/api/v1/namespaces/shop/pods?dryRun=All", body,
                   {{"Content-Type", "application/json"}}));
    EXPECT_EQ(resp.status, status) << resp.body;
    return body_of(resp);
  }

  k8s_simulator sim;
};

std::string app_resources(const std::string& resources) {
  return R"({"spec":{"template":{"spec":{"containers":[{"name":"app","resources":)"
         + resources + "}]}}}}";
}

std::string pod_with(const std::string& resources) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"probe"},
    "spec":{"containers":[{"name":"app","image":"x","resources":)"
         + resources + "}]}}";
}

} // namespace

// -- strategic merge
// ------------------------------------------------------------

TEST_F(SimK8sPatch, StrategicMergeChangesOnlyTheNamedContainer) {
  auto before = stored();
  auto after
    = dry_run(strategic, app_resources(R"({"limits":{"memory":"1Gi"}})"));
  auto cs = containers(after);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0]["name"], "app");
  EXPECT_EQ(cs[0]["resources"], json::parse(R"({
    "requests": {"cpu": "250m", "memory": "512Mi"},
    "limits": {"cpu": "1", "memory": "1Gi"}})"));
  // Everything else of app, and the sidecar, untouched.
  auto app_before = containers(before)[0];
  auto app_after = cs[0];
  app_before.erase("resources");
  app_after.erase("resources");
  EXPECT_EQ(app_after, app_before);
  EXPECT_EQ(cs[1], containers(before)[1]);
  EXPECT_EQ(after["spec"]["replicas"], 3);
  EXPECT_EQ(after["metadata"]["generation"], 8);
  // Nothing stored.
  EXPECT_EQ(stored(), before);
  EXPECT_EQ(containers(stored())[0]["resources"]["limits"]["memory"], "768Mi");
}

TEST_F(SimK8sPatch, StrategicMergeDirectives) {
  // `$patch: delete` removes one env entry; a new one is appended.
  auto env = dry_run(strategic, R"({"spec":{"template":{"spec":{"containers":[
    {"name":"app","env":[{"name":"LOG_LEVEL","$patch":"delete"},
                         {"name":"NEW","value":"1"}]}]}}}})");
  EXPECT_EQ(containers(env)[0]["env"], json::parse(R"([
    {"name":"JAVA_OPTS","value":"-XX:MaxRAMPercentage=60"},
    {"name":"NEW","value":"1"}])"));
  // null deletes a key.
  auto no_cpu = dry_run(strategic, app_resources(R"({"limits":{"cpu":null}})"));
  EXPECT_EQ(containers(no_cpu)[0]["resources"]["limits"],
            json::parse(R"({"memory":"768Mi"})"));
  // A new container is appended; mounts merge by mountPath, ports by
  // containerPort.
  auto more = dry_run(strategic, R"({"spec":{"template":{"spec":{"containers":[
    {"name":"app","volumeMounts":[{"name":"tmp","mountPath":"/tmp"}],
     "ports":[{"containerPort":8080,"protocol":"TCP"},
              {"containerPort":9090,"name":"metrics"}]},
    {"name":"log-shipper","image":"fluent-bit:3"}]}}}})");
  auto cs = containers(more);
  ASSERT_EQ(cs.size(), 3u);
  EXPECT_EQ(cs[2]["name"], "log-shipper");
  EXPECT_EQ(cs[0]["volumeMounts"].size(), 2u);
  EXPECT_EQ(cs[0]["ports"], json::parse(R"([
    {"containerPort":8080,"name":"http","protocol":"TCP"},
    {"containerPort":9090,"name":"metrics"}])"));
  // `$patch: delete` on a container.
  auto gone = dry_run(strategic, R"({"spec":{"template":{"spec":{"containers":[
    {"name":"istio-proxy","$patch":"delete"}]}}}})");
  ASSERT_EQ(containers(gone).size(), 1u);
  EXPECT_EQ(containers(gone)[0]["name"], "app");
  // A list item without its merge key is a bad request.
  auto bad = dry_run(strategic, R"({"spec":{"template":{"spec":{"containers":[
    {"image":"x"}]}}}})",
                     400);
  EXPECT_EQ(bad["message"], "map: {\"image\":\"x\"} does not contain "
                            "declared merge key: name");
}

TEST_F(SimK8sPatch, StrategicMergeFunctionDirectly) {
  auto original = json::parse(R"({"metadata":{"finalizers":["a"]},
    "spec":{"ports":[{"port":80,"name":"http"}],"selector":{"app":"x"}}})");
  auto result = strategic_merge_patch(original, json::parse(R"({
    "metadata":{"finalizers":["b","a"]},
    "spec":{"ports":[{"port":80,"targetPort":8080},{"port":443}],
            "$retainKeys":["ports"]}})"),
                                      "Service");
  ASSERT_TRUE(result.value) << result.message;
  EXPECT_EQ(*result.value, json::parse(R"({"metadata":{"finalizers":["a","b"]},
    "spec":{"ports":[{"port":80,"name":"http","targetPort":8080},
                     {"port":443}]}})"));
  auto replaced = strategic_merge_patch(
    original,
    json::parse(R"({"spec":{"$patch":"replace","type":"ClusterIP"}})"),
    "Service");
  ASSERT_TRUE(replaced.value);
  EXPECT_EQ((*replaced.value)["spec"], json::parse(R"({"type":"ClusterIP"})"));
}

// -- other patch types
// -----------------------------------------------------------

TEST_F(SimK8sPatch, MergePatchReplacesLists) {
  auto after = dry_run("application/merge-patch+json",
                       R"({"spec":{"replicas":4,"template":{"spec":{
                         "containers":[{"name":"app","image":"x:2"}]}}}})");
  EXPECT_EQ(after["spec"]["replicas"], 4);
  EXPECT_EQ(containers(after),
            json::parse(R"([{"name":"app","image":"x:2"}])"));
}

TEST_F(SimK8sPatch, JsonPatch) {
  auto after = dry_run("application/json-patch+json", R"([
    {"op":"test","path":"/metadata/resourceVersion","value":"884213"},
    {"op":"replace","path":"/spec/template/spec/containers/0/resources/limits/memory","value":"1536Mi"},
    {"op":"add","path":"/metadata/annotations/note","value":"x"}])");
  EXPECT_EQ(containers(after)[0]["resources"]["limits"]["memory"], "1536Mi");
  EXPECT_EQ(after["metadata"]["annotations"]["note"], "x");
  auto failed = dry_run("application/json-patch+json", R"([
    {"op":"test","path":"/metadata/resourceVersion","value":"1"}])",
                        422);
  EXPECT_EQ(failed["reason"], "Invalid");
  auto bad = dry_run("application/json-patch+json",
                     R"([{"op":"frobnicate","path":"/spec"}])", 400);
  EXPECT_EQ(bad["reason"], "BadRequest");
  auto missing = dry_run("application/json-patch+json",
                         R"([{"op":"remove","path":"/spec/nope"}])", 422);
  EXPECT_EQ(missing["code"], 422);
}

TEST_F(SimK8sPatch, ApplyPatchNeedsAFieldManager) {
  auto no_manager
    = dry_run("application/apply-patch+yaml", "spec:\n  replicas: 5\n", 422);
  EXPECT_EQ(no_manager["message"],
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: "
            "Required value: is required for apply patch");
  auto resp = patch(std::string{deployment_path}
                      + "?dryRun=All&fieldManager=k-fix&force=true",
                    "application/apply-patch+yaml", "spec:\n  replicas: 5\n");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(body_of(resp)["spec"]["replicas"], 5);
}

TEST_F(SimK8sPatch, UnknownContentTypeIs415) {
  auto body = dry_run("application/json", "{}", 415);
  EXPECT_EQ(body["reason"], "UnsupportedMediaType");
  EXPECT_EQ(body["code"], 415);
  EXPECT_THAT(body["message"].get<std::string>(),
              StartsWith("the body of the request was in an unknown format - "
                         "accepted media types include: "));
  // Parameters of the media type are ignored.
  dry_run("application/merge-patch+json; charset=utf-8", "{}", 200);
}

// -- validation
// -------------------------------------------------------------------

TEST_F(SimK8sPatch, RequestAboveLimitIs422) {
  auto body = dry_run(
    strategic,
    app_resources(R"({"requests":{"memory":"2Gi"},"limits":{"memory":"1Gi"}})"),
    422);
  EXPECT_EQ(body, json::parse(R"({"kind":"Status","apiVersion":"v1",
    "metadata":{},"status":"Failure",
    "message":"Deployment.apps \"checkout\" is invalid: spec.template.spec.containers[0].resources.requests: Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi",
    "reason":"Invalid",
    "details":{"name":"checkout","group":"apps","kind":"Deployment",
      "causes":[{"reason":"FieldValueInvalid",
        "message":"Invalid value: \"2Gi\": must be less than or equal to memory limit of 1Gi",
        "field":"spec.template.spec.containers[0].resources.requests"}]},
    "code":422})"));
  // Compared by value: 2048Mi is shown canonically, 1.5Gi below it is fine.
  auto sidecar
    = dry_run(strategic, R"({"spec":{"template":{"spec":{"containers":[
    {"name":"istio-proxy","resources":{"requests":{"cpu":"2"}}}]}}}})",
              422);
  EXPECT_EQ(sidecar["message"],
            "Deployment.apps \"checkout\" is invalid: "
            "spec.template.spec.containers[1].resources.requests: Invalid "
            "value: \"2\": must be less than or equal to cpu limit of 500m");
  auto two = dry_run(
    strategic,
    app_resources(
      R"({"requests":{"memory":"2048Mi","cpu":"1500m"},"limits":{"memory":"1.5Gi"}})"),
    422);
  EXPECT_EQ(two["message"],
            "Deployment.apps \"checkout\" is invalid: "
            "[spec.template.spec.containers[0].resources.requests: Invalid "
            "value: \"1500m\": must be less than or equal to cpu limit of 1, "
            "spec.template.spec.containers[0].resources.requests: Invalid "
            "value: \"2Gi\": must be less than or equal to memory limit of "
            "1536Mi]");
  EXPECT_EQ(two["details"]["causes"].size(), 2u);
}

TEST_F(SimK8sPatch, PodsAreValidatedToo) {
  auto resp = patch("/api/v1/namespaces/shop/pods/checkout-7d9f8c6b5-x2x8q"
                    "?dryRun=All",
                    strategic,
                    R"({"spec":{"containers":[{"name":"app","resources":
                       {"requests":{"memory":"1Gi"}}}]}})");
  EXPECT_EQ(resp.status, 422);
  auto body = body_of(resp);
  EXPECT_EQ(body["message"],
            "Pod \"checkout-7d9f8c6b5-x2x8q\" is invalid: "
            "spec.containers[0].resources.requests: Invalid value: \"1Gi\": "
            "must be less than or equal to memory limit of 768Mi");
  EXPECT_EQ(body["details"], json::parse(R"({
    "name":"checkout-7d9f8c6b5-x2x8q","kind":"Pod",
    "causes":[{"reason":"FieldValueInvalid",
      "message":"Invalid value: \"1Gi\": must be less than or equal to memory limit of 768Mi",
      "field":"spec.containers[0].resources.requests"}]})"));
}

TEST_F(SimK8sPatch, QuantitiesComeBackCanonical) {
  auto after = dry_run(
    strategic,
    app_resources(
      R"({"requests":{"memory":"1024Mi"},"limits":{"memory":"1.5Gi","cpu":2}})"));
  EXPECT_EQ(containers(after)[0]["resources"], json::parse(R"({
    "requests": {"cpu": "250m", "memory": "1Gi"},
    "limits": {"cpu": "2", "memory": "1536Mi"}})"));
  auto bad
    = dry_run(strategic, app_resources(R"({"limits":{"memory":"1GB"}})"), 400);
  EXPECT_THAT(bad["message"].get<std::string>(),
              StartsWith("quantities must match the regular expression"));
}

// -- refusals
// ---------------------------------------------------------------------

TEST_F(SimK8sPatch, WritesWithoutDryRunAreForbidden) {
  auto resp = patch(deployment_path, strategic, app_resources("{}"));
  EXPECT_EQ(resp.status, 403);
  EXPECT_EQ(body_of(resp), json::parse(R"({"kind":"Status","apiVersion":"v1",
    "metadata":{},"status":"Failure",
    "message":"deployments.apps \"checkout\" is forbidden: the simulated cluster is read-only; use dryRun=All",
    "reason":"Forbidden",
    "details":{"name":"checkout","group":"apps","kind":"deployments"},
    "code":403})"));
  auto del = sim.handle(make_request("DELETE", deployment_path));
  EXPECT_EQ(del.status, 403);
  auto bad_mode
    = patch(std::string{deployment_path} + "?dryRun=Some", strategic, "{}");
  EXPECT_EQ(bad_mode.status, 400);
}

TEST_F(SimK8sPatch, PatchOfAMissingObjectIs404) {
  auto resp = patch("/apis/apps/v1/namespaces/shop/deployments/nope"
                    "?dryRun=All",
                    strategic, "{}");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(body_of(resp)["message"], "deployments.apps \"nope\" not found");
}

// -- dry-run pod creation (LimitRange and ResourceQuota admission)
// ----------------

TEST_F(SimK8sPatch, PodCreationRunsAdmission) {
  auto too_big = post_pod(
    pod_with(R"({"requests":{"memory":"1Gi"},"limits":{"memory":"4Gi"}})"),
    403);
  EXPECT_EQ(too_big["message"],
            "pods \"probe\" is forbidden: maximum memory usage per Container "
            "is 2Gi, but limit is 4Gi");
  EXPECT_EQ(too_big["details"],
            json::parse(R"({"name":"probe","kind":"pods"})"));
  auto quota = post_pod(
    pod_with(R"({"requests":{"memory":"1Gi"},"limits":{"memory":"1536Mi"}})"),
    403);
  EXPECT_EQ(quota["message"],
            "pods \"probe\" is forbidden: exceeded quota: compute-quota, "
            "requested: limits.memory=1536Mi, used: limits.memory=15Gi, "
            "limited: limits.memory=16Gi");
  auto fits = post_pod(
    pod_with(R"({"requests":{"memory":"256Mi"},"limits":{"memory":"512Mi"}})"),
    201);
  EXPECT_EQ(fits["metadata"]["namespace"], "shop");
  EXPECT_EQ(fits["kind"], "Pod");
  // LimitRange defaults fill in missing values (512Mi limit, 256Mi request).
  auto defaulted = post_pod(pod_with("{}"), 201);
  EXPECT_EQ(defaulted["spec"]["containers"][0]["resources"],
            json::parse(R"({"limits":{"memory":"512Mi"},
                            "requests":{"memory":"256Mi"}})"));
  auto invalid = post_pod(
    pod_with(R"({"requests":{"memory":"1Gi"},"limits":{"memory":"512Mi"}})"),
    422);
  EXPECT_EQ(invalid["details"]["kind"], "Pod");
  auto exists = post_pod(R"({"metadata":{"name":"checkout-7d9f8c6b5-x2x8q"},
                            "spec":{"containers":[]}})",
                         409);
  EXPECT_EQ(exists["reason"], "AlreadyExists");
  auto real = sim.handle(
    make_request("POST", "/api/v1/namespaces/shop/pods", pod_with("{}")));
  EXPECT_EQ(real.status, 403);
}
