#include "actors/patch/patch_synthesis.hpp"
#include "tests/unit/patch/patch_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include <map>
#include <string>
#include <vector>

namespace {

using namespace kfix;
using namespace kfix::patch_test;
using nlohmann::json;
using patching::synthesis_options;
using patching::synthesize_patch;

// -- helpers ------------------------------------------------------------------

std::vector<repo_file> layout(const std::string& name) {
  return read_tree(data_dir / "synthesis" / name);
}

std::string file_of(const std::vector<repo_file>& files,
                    const std::string& path) {
  for (const auto& f : files)
    if (f.path == path)
      return f.content;
  ADD_FAILURE() << "no file " << path;
  return {};
}

/// The new content of `path`, failing when the patch leaves it alone.
std::string after_of(const patch& p, const std::string& path) {
  for (const auto& f : p.files)
    if (f.path == path)
      return f.after;
  ADD_FAILURE() << "the patch does not change " << path;
  return {};
}

std::vector<std::string> changed_paths(const patch& p) {
  std::vector<std::string> out;
  for (const auto& f : p.files)
    out.push_back(f.path);
  return out;
}

json target_patch(const patch& p, const std::string& path) {
  for (const auto& t : p.dry_run_targets)
    if (t.path == path)
      return json::parse(t.patch);
  ADD_FAILURE() << "no dry-run target " << path;
  return {};
}

const workload_ref checkout{"Deployment", "shop", "checkout"};
const workload_ref orders_api{"Deployment", "orders", "orders-api"};
const workload_ref es_data{"StatefulSet", "search", "es-data"};
const workload_ref node_agent{"DaemonSet", "monitoring", "node-agent"};
const workload_ref label_printer{"Deployment", "fulfilment", "label-printer"};

/// Synthesises one plan on a layout, expecting success, and checks the one
/// changed file against the expected line operations.
void expect_edit(const std::string& dir, const workload_ref& w, const plan& p,
                 const std::string& path, const std::vector<line_op>& ops,
                 const synthesis_options& options = {},
                 const std::string& eol = "\n") {
  auto files = layout(dir);
  auto made = synthesize_patch(p, w, files, options);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(changed_paths(*made), std::vector<std::string>{path});
  EXPECT_EQ(after_of(*made, path),
            expected_text(file_of(files, path), ops, eol));
  EXPECT_NE(made->diff.find("+++ b/" + path), std::string::npos);
}

/// Synthesises one plan expecting a failure whose message has `needle`.
void expect_error(const std::string& dir, const workload_ref& w, const plan& p,
                  const std::string& needle,
                  const synthesis_options& options = {}) {
  auto made = synthesize_patch(p, w, layout(dir), options);
  ASSERT_FALSE(made) << "unexpected patch:\n" << made->diff;
  auto msg = render(made.error());
  EXPECT_NE(msg.find(needle), std::string::npos) << msg;
  EXPECT_NE(msg.find("plan " + p.id), std::string::npos) << msg;
}

const char* plain = "deployment.yaml";
const char* multi = "all.yaml";
const char* flow = "statefulset.yaml";
const char* crlf = "daemonset.yaml";
const char* bare = "deployment.yaml";

// -- set_resources
// --------------------------------------------------------------

TEST(SynthesisResources, RaiseMemoryOnPlainManifest) {
  expect_edit(
    "plain", checkout,
    plan_of({act(action_type::set_resources, "app",
                 {{"memory_limit", "1Gi"}, {"memory_request", "1Gi"}})}),
    plain,
    {replace(36, "              memory: 1Gi"),
     replace(38, "              memory: 1Gi")});
}

TEST(SynthesisResources, FlowMapKeepsQuotes) {
  expect_edit(
    "flow", es_data,
    plan_of({act(action_type::set_resources, "app",
                 {{"memory_limit", "6Gi"}, {"cpu_limit", "2"}})}),
    flow,
    {replace(25, "        resources: {requests: {cpu: \"1\", memory: "
                 "\"4Gi\"}, limits: {memory: \"6Gi\", cpu: \"2\"}}")});
}

TEST(SynthesisResources, UnsetCpuLimitOnCrlf) {
  expect_edit("crlf", node_agent,
              plan_of({act(action_type::set_resources, "agent",
                           {{"cpu_limit", "unset"}, {"cpu_request", "100m"}})}),
              crlf,
              {erase(23, 23), insert_after(24, {"          requests:",
                                                "            cpu: 100m"})},
              {}, "\r\n");
}

// -- set_image and rollback
// -----------------------------------------------------

TEST(SynthesisImage, SetImageKeepsTheComment) {
  expect_edit(
    "plain", checkout,
    plan_of({act(action_type::set_image, "app",
                 {{"image", "registry.example.com/shop/checkout:1.4.1"}})}),
    plain,
    {replace(22, "          image: registry.example.com/shop/checkout:1.4.1 "
                 "# pinned by release")});
}

TEST(SynthesisImage, RollbackOfTheQuotedSidecar) {
  expect_edit(
    "plain", checkout,
    plan_of({act(action_type::rollback, "log-shipper",
                 {{"to_revision", "6"}, {"image", "fluent/fluent-bit:2.1"}})}),
    plain, {replace(51, "          image: \"fluent/fluent-bit:2.1\"")});
}

TEST(SynthesisImage, FlowAndCrlf) {
  expect_edit(
    "flow", es_data,
    plan_of({act(action_type::set_image, "app",
                 {{"image", "registry.example.com/search/es-data:8.13.2"}})}),
    flow,
    {replace(18, "        image: "
                 "\"registry.example.com/search/es-data:8.13.2\"")});
  expect_edit("crlf", node_agent,
              plan_of({act(action_type::rollback, "agent",
                           {{"to_revision", "3"},
                            {"image", "registry.example.com/monitoring/"
                                      "node-agent:0.9.0"}})}),
              crlf,
              {replace(17, "        image: registry.example.com/monitoring/"
                           "node-agent:0.9.0")},
              {}, "\r\n");
}

TEST(SynthesisImage, RollbackWithoutImageSaysWhatThePlanMustName) {
  expect_error(
    "plain", checkout,
    plan_of({act(action_type::rollback, "app", {{"to_revision", "4"}})}),
    "must name the revision's images");
  expect_error(
    "plain", checkout,
    plan_of({act(action_type::rollback, "", {{"to_revision", "4"}})}),
    "to revision 4 names no image");
}

TEST(SynthesisImage, RollbackWithEnvAndResourcesIsOnePatch) {
  // The reasoning adds one rollback per changed container and set_env /
  // set_resources for what else the revision changed.
  auto files = layout("plain");
  auto made = synthesize_patch(
    plan_of(
      {act(action_type::rollback, "app",
           {{"to_revision", "4"},
            {"image", "registry.example.com/shop/checkout:1.4.1"}}),
       act(action_type::set_env, "app",
           {{"name", "LOG_LEVEL"}, {"value", "warn"}}),
       act(action_type::set_resources, "app", {{"memory_limit", "640Mi"}}),
       act(action_type::rollback, "log-shipper",
           {{"to_revision", "4"}, {"image", "fluent/fluent-bit:2.1"}})}),
    checkout, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(
    after_of(*made, plain),
    expected_text(file_of(files, plain),
                  {replace(22, "          image: registry.example.com/shop/"
                               "checkout:1.4.1 # pinned by release"),
                   replace(25, "              value: warn"),
                   replace(38, "              memory: 640Mi"),
                   replace(51, "          image: \"fluent/fluent-bit:2.1\"")}));
  EXPECT_EQ(json::parse(made->k8s_patch), json::parse(R"({"spec":{"template":
    {"spec":{"containers":[
      {"name":"app","image":"registry.example.com/shop/checkout:1.4.1",
       "env":[{"name":"LOG_LEVEL","value":"warn"}],
       "resources":{"limits":{"memory":"640Mi"}}},
      {"name":"log-shipper","image":"fluent/fluent-bit:2.1"}]}}}})"));
  ASSERT_EQ(made->dry_run_targets.size(), 1u);
  EXPECT_EQ(made->dry_run_targets[0].path,
            "/apis/apps/v1/namespaces/shop/deployments/checkout");
  EXPECT_EQ(made->dry_run_targets[0].patch, made->k8s_patch);
}

// -- scale_replicas
// -------------------------------------------------------------

TEST(SynthesisReplicas, ReplaceKeepsTheComment) {
  expect_edit(
    "plain", checkout,
    plan_of({act(action_type::scale_replicas, "", {{"replicas", "5"}})}), plain,
    {replace(9, "  replicas: 5 # no HPA: scaled by hand")});
}

TEST(SynthesisReplicas, InsertedWhenAbsent) {
  auto files = layout("multi");
  auto made = synthesize_patch(
    plan_of({act(action_type::scale_replicas, "", {{"replicas", "4"}})}),
    orders_api, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(
    after_of(*made, multi),
    expected_text(file_of(files, multi), {insert_after(7, {"  replicas: 4"})}));
  EXPECT_EQ(json::parse(made->k8s_patch),
            json::parse(R"({"spec":{"replicas":4}})"));
}

TEST(SynthesisReplicas, DaemonSetHasNone) {
  expect_error(
    "crlf", node_agent,
    plan_of({act(action_type::scale_replicas, "", {{"replicas", "2"}})}),
    "DaemonSet runs one pod per node");
  expect_error(
    "plain", checkout,
    plan_of({act(action_type::scale_replicas, "", {{"replicas", "x"}})}),
    "replicas must be a whole number");
}

// -- set_hpa
// --------------------------------------------------------------------

TEST(SynthesisHpa, BoundsAndCpuTargetInAMultiDocumentFile) {
  auto files = layout("multi");
  auto made
    = synthesize_patch(plan_of({act(action_type::set_hpa, "",
                                    {{"min_replicas", "6"},
                                     {"max_replicas", "16"},
                                     {"target_cpu_utilization", "70"}})}),
                       orders_api, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(after_of(*made, multi),
            expected_text(file_of(files, multi),
                          {replace(46, "  minReplicas: 6"),
                           replace(47, "  maxReplicas: 16 # raised for the "
                                       "spring sale"),
                           replace(54, "          averageUtilization: 70")}));
  // The workload does not change: only the HPA is dry-run; `metrics` has no
  // merge key, so its patch carries the whole list.
  EXPECT_TRUE(made->k8s_patch.empty());
  ASSERT_EQ(made->dry_run_targets.size(), 1u);
  EXPECT_EQ(target_patch(*made, "/apis/autoscaling/v2/namespaces/orders/"
                                "horizontalpodautoscalers/orders-api"),
            json::parse(R"({"spec":{"minReplicas":6,"maxReplicas":16,
              "metrics":[{"type":"Resource","resource":{"name":"cpu",
              "target":{"type":"Utilization","averageUtilization":70}}}]}})"));
}

TEST(SynthesisHpa, MemoryMetricIsAppended) {
  auto files = layout("multi");
  auto made
    = synthesize_patch(plan_of({act(action_type::set_hpa, "",
                                    {{"target_memory_utilization", "80"}})}),
                       orders_api, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(
    after_of(*made, multi),
    expected_text(
      file_of(files, multi),
      {insert_after(54, {"    - type: Resource",
                         "      resource:", "        name: memory",
                         "        target:", "          type: Utilization",
                         "          averageUtilization: 80"})}));
}

TEST(SynthesisHpa, AutoscalingV1) {
  auto files = layout("hpa-v1");
  workload_ref w{"Deployment", "messaging", "push-dispatcher"};
  auto made = synthesize_patch(
    plan_of({act(action_type::set_hpa, "",
                 {{"max_replicas", "15"}, {"target_cpu_utilization", "60"}})}),
    w, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(
    after_of(*made, "hpa.yaml"),
    expected_text(file_of(files, "hpa.yaml"),
                  {replace(12, "  maxReplicas: 15"),
                   replace(13, "  targetCPUUtilizationPercentage: 60")}));
  EXPECT_EQ(made->dry_run_targets.at(0).path,
            "/apis/autoscaling/v1/namespaces/messaging/"
            "horizontalpodautoscalers/push-dispatcher");
  expect_error("hpa-v1", w,
               plan_of({act(action_type::set_hpa, "",
                            {{"target_memory_utilization", "60"}})}),
               "autoscaling/v1 HorizontalPodAutoscaler push-dispatcher has no "
               "memory target");
}

TEST(SynthesisHpa, NoHpaManifestNamesTheWorkload) {
  expect_error(
    "plain", checkout,
    plan_of({act(action_type::set_hpa, "", {{"max_replicas", "6"}})}),
    "no manifest of a HorizontalPodAutoscaler targeting Deployment "
    "shop/checkout");
  expect_error("multi", orders_api,
               plan_of({act(action_type::set_hpa, "",
                            {{"min_replicas", "9"}, {"max_replicas", "8"}})}),
               "min_replicas 9 exceeds max_replicas 8");
}

// -- set_probe
// ------------------------------------------------------------------

TEST(SynthesisProbe, ExistingFieldsAreReplacedMissingOnesInserted) {
  expect_edit("plain", checkout,
              plan_of({act(action_type::set_probe, "app",
                           {{"probe", "liveness"},
                            {"initial_delay_seconds", "60"},
                            {"failure_threshold", "6"}})}),
              plain,
              {replace(43, "            initialDelaySeconds: 60"),
               insert_after(44, {"            failureThreshold: 6"})});
  expect_edit(
    "flow", es_data,
    plan_of({act(action_type::set_probe, "app",
                 {{"probe", "readiness"}, {"timeout_seconds", "3"}})}),
    flow,
    {replace(30, "        readinessProbe: {tcpSocket: {port: \"http\"}, "
                 "periodSeconds: 5, timeoutSeconds: 3}")});
}

TEST(SynthesisProbe, NewStartupProbeCopiesTheLivenessHandler) {
  auto files = layout("plain");
  auto made = synthesize_patch(plan_of({act(action_type::set_probe, "app",
                                            {{"probe", "startup"},
                                             {"period_seconds", "10"},
                                             {"failure_threshold", "30"}})}),
                               checkout, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(after_of(*made, plain),
            expected_text(
              file_of(files, plain),
              {insert_after(
                49, {"          startupProbe:", "            httpGet:",
                     "              path: /healthz", "              port: 8080",
                     "            periodSeconds: 10",
                     "            failureThreshold: 30"})}));
  // The handler travels typed: the port stays a number.
  EXPECT_EQ(json::parse(made->k8s_patch), json::parse(R"({"spec":{"template":
    {"spec":{"containers":[{"name":"app","startupProbe":{
      "httpGet":{"path":"/healthz","port":8080},
      "periodSeconds":10,"failureThreshold":30}}]}}}})"));
}

TEST(SynthesisProbe, NewStartupProbeInFlowStyleAndFromReadiness) {
  expect_edit("flow", es_data,
              plan_of({act(action_type::set_probe, "app",
                           {{"probe", "startup"},
                            {"period_seconds", "10"},
                            {"failure_threshold", "24"}})}),
              flow,
              {insert_after(30, {"        startupProbe:",
                                 "          httpGet: {path: "
                                 "\"/_cluster/health\", port: \"http\"}",
                                 "          periodSeconds: 10",
                                 "          failureThreshold: 24"})});
  // No liveness probe: the readiness probe's exec handler, flow list and
  // all.
  expect_edit(
    "bare", label_printer,
    plan_of({act(action_type::set_probe, "app",
                 {{"probe", "startup"}, {"failure_threshold", "12"}})}),
    bare,
    {insert_after(18, {"          startupProbe:", "            exec:",
                       "              command: [\"sh\", \"-c\", "
                       "\"test -f /tmp/ready\"]",
                       "            failureThreshold: 12"})});
}

TEST(SynthesisProbe, StartupProbeWithoutAHandlerToCopyIsAnError) {
  expect_error(
    "bare", label_printer,
    plan_of({act(action_type::set_probe, "sidecar",
                 {{"probe", "startup"}, {"failure_threshold", "12"}})}),
    "no livenessProbe or readinessProbe whose handler");
}

TEST(SynthesisProbe, RemoveDeletesTheBlock) {
  auto files = layout("plain");
  auto made = synthesize_patch(
    plan_of({act(action_type::set_probe, "app",
                 {{"probe", "liveness"}, {"remove", "true"}})}),
    checkout, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(after_of(*made, plain),
            expected_text(file_of(files, plain), {erase(39, 44)}));
  EXPECT_EQ(json::parse(made->k8s_patch), json::parse(R"({"spec":{"template":
    {"spec":{"containers":[{"name":"app","livenessProbe":null}]}}}})"));
  expect_edit("flow", es_data,
              plan_of({act(action_type::set_probe, "app",
                           {{"probe", "readiness"}, {"remove", "true"}})}),
              flow, {erase(30, 30)});
}

TEST(SynthesisProbe, InvalidParameters) {
  for (const auto& [params, needle] :
       std::vector<std::pair<std::map<std::string, std::string>, std::string>>{
         {{{"probe", "warmup"}},
          "probe must be liveness, readiness or startup"},
         {{{"probe", "liveness"}}, "no probe field to change"},
         {{{"probe", "liveness"}, {"period_seconds", "0"}},
          "period_seconds must be a whole number of at least 1"},
         {{{"probe", "liveness"}, {"success_threshold", "2"}},
          "success_threshold must be 1 for a liveness probe"},
         {{{"probe", "liveness"}, {"remove", "true"}, {"period_seconds", "5"}},
          "remove: true sets no probe fields"},
         {{{"probe", "liveness"}, {"periodSeconds", "5"}},
          "no parameter `periodSeconds`"}})
    expect_error("plain", checkout,
                 plan_of({act(action_type::set_probe, "app", params)}), needle);
}

// -- set_env
// --------------------------------------------------------------------

TEST(SynthesisEnv, ExistingValueKeepsItsQuoteStyle) {
  expect_edit("plain", checkout,
              plan_of({act(action_type::set_env, "app",
                           {{"name", "POOL_SIZE"}, {"value", "40"}})}),
              plain, {replace(27, "              value: \"40\"")});
  expect_edit("plain", checkout,
              plan_of({act(action_type::set_env, "app",
                           {{"name", "LOG_LEVEL"}, {"value", "debug"}})}),
              plain, {replace(25, "              value: debug")});
  // Plain text that would not read back as a string gets quotes.
  expect_edit("plain", checkout,
              plan_of({act(action_type::set_env, "app",
                           {{"name", "LOG_LEVEL"}, {"value", "true"}})}),
              plain, {replace(25, "              value: \"true\"")});
  expect_edit(
    "flow", es_data,
    plan_of({act(action_type::set_env, "app",
                 {{"name", "ES_JAVA_OPTS"}, {"value", "-Xms3g -Xmx3g"}})}),
    flow, {replace(22, "          value: \"-Xms3g -Xmx3g\"")});
}

TEST(SynthesisEnv, NewEntryIsAppendedQuoted) {
  expect_edit("plain", checkout,
              plan_of({act(action_type::set_env, "app",
                           {{"name", "GOMEMLIMIT"}, {"value", "900MiB"}})}),
              plain,
              {insert_after(32, {"            - name: GOMEMLIMIT",
                                 "              value: \"900MiB\""})});
  expect_edit("flow", es_data,
              plan_of({act(action_type::set_env, "app",
                           {{"name", "ES_HEAP"}, {"value", "3g"}})}),
              flow,
              {insert_after(24, {"        - name: \"ES_HEAP\"",
                                 "          value: \"3g\""})});
  expect_edit(
    "crlf", node_agent,
    plan_of({act(action_type::set_env, "agent",
                 {{"name", "GOGC"}, {"value", "50"}})}),
    crlf,
    {insert_after(20, {"        - name: GOGC", "          value: \"50\""})}, {},
    "\r\n");
}

TEST(SynthesisEnv, EnvIsCreatedWhenAbsent) {
  auto files = layout("bare");
  auto made = synthesize_patch(
    plan_of({act(action_type::set_env, "sidecar",
                 {{"name", "SPOOL_DIR"}, {"value", "/var/spool"}})}),
    label_printer, files);
  ASSERT_TRUE(made) << render(made.error());
  EXPECT_EQ(
    after_of(*made, bare),
    expected_text(
      file_of(files, bare),
      {insert_after(20, {"          env:", "            - name: SPOOL_DIR",
                         "              value: "
                         "\"/var/spool\""})}));
  EXPECT_EQ(json::parse(made->k8s_patch), json::parse(R"({"spec":{"template":
    {"spec":{"containers":[{"name":"sidecar","env":[
      {"name":"SPOOL_DIR","value":"/var/spool"}]}]}}}})"));
}

TEST(SynthesisEnv, ValueFromIsNotOverwritten) {
  expect_error("plain", checkout,
               plan_of({act(action_type::set_env, "app",
                            {{"name", "DB_PASSWORD"}, {"value", "hunter2"}})}),
               "comes from valueFrom");
  expect_error("flow", es_data,
               plan_of({act(action_type::set_env, "app",
                            {{"name", "NODE_NAME"}, {"value", "x"}})}),
               "comes from valueFrom");
  expect_error("plain", checkout,
               plan_of({act(action_type::set_env, "app",
                            {{"name", "1BAD"}, {"value", "x"}})}),
               "invalid variable name `1BAD`");
}

// -- restart
// --------------------------------------------------------------------

const synthesis_options at_alert{"prod", "2026-03-14T10:02:11Z"};

TEST(SynthesisRestart, AnnotationJoinsTheExistingOnes) {
  expect_edit("plain", checkout, plan_of({act(action_type::restart, "")}),
              plain,
              {insert_after(18, {"        kubectl.kubernetes.io/restartedAt: "
                                 "\"2026-03-14T10:02:11Z\""})},
              at_alert);
}

TEST(SynthesisRestart, AnnotationsAndMetadataAreCreated) {
  expect_edit("multi", orders_api, plan_of({act(action_type::restart, "")}),
              multi,
              {insert_after(14, {"      annotations:",
                                 "        kubectl.kubernetes.io/restartedAt: "
                                 "\"2026-03-14T10:02:11Z\""})},
              at_alert);
  expect_edit("bare", label_printer, plan_of({act(action_type::restart, "")}),
              bare,
              {insert_after(10, {"    metadata:", "      annotations:",
                                 "        kubectl.kubernetes.io/restartedAt: "
                                 "\"2026-03-14T10:02:11Z\""})},
              at_alert);
  expect_edit("crlf", node_agent, plan_of({act(action_type::restart, "")}),
              crlf,
              {insert_after(13, {"      annotations:",
                                 "        kubectl.kubernetes.io/restartedAt: "
                                 "\"2026-03-14T10:02:11Z\""})},
              at_alert, "\r\n");
}

TEST(SynthesisRestart, AgainReplacesTheTimestamp) {
  auto files = layout("plain");
  auto first = synthesize_patch(plan_of({act(action_type::restart, "")}),
                                checkout, files, at_alert);
  ASSERT_TRUE(first) << render(first.error());
  files[0].content = first->files.at(0).after;
  auto again
    = synthesize_patch(plan_of({act(action_type::restart, "")}), checkout,
                       files, {"prod", "2026-03-15T08:00:00Z"});
  ASSERT_TRUE(again) << render(again.error());
  EXPECT_EQ(
    again->files.at(0).after,
    expected_text(files[0].content,
                  {replace(19, "        kubectl.kubernetes.io/"
                               "restartedAt: \"2026-03-15T08:00:00Z\"")}));
  EXPECT_EQ(json::parse(again->k8s_patch), json::parse(R"({"spec":{"template":
    {"metadata":{"annotations":{
      "kubectl.kubernetes.io/restartedAt":"2026-03-15T08:00:00Z"}}}}})"));
}

TEST(SynthesisRestart, NeedsATimestamp) {
  expect_error("plain", checkout, plan_of({act(action_type::restart, "")}),
               "synthesis_options::restart_timestamp");
}

TEST(SynthesisOptions, FromTheAlert) {
  enriched_alert a;
  a.env = "staging";
  a.date_ms = 1773482531000;
  auto o = patching::options_for(a);
  EXPECT_EQ(o.env, "staging");
  EXPECT_EQ(o.restart_timestamp, "2026-03-14T10:02:11Z");
  EXPECT_TRUE(
    patching::options_for(enriched_alert{}).restart_timestamp.empty());
}

// -- escalate, decisions and errors
// ---------------------------------------------

TEST(SynthesisAll, EscalateOnlyPlansNeedNoPatchAndDoNotFail) {
  decision d;
  d.kind = decision_kind::fix;
  d.plans = {
    plan_of({act(action_type::escalate, "", {{"reason", "bad secret"}})}, "p1"),
    plan_of({act(action_type::scale_replicas, "", {{"replicas", "4"}}),
             act(action_type::escalate, "", {{"reason", "also"}})},
            "p2"),
    plan_of({act(action_type::set_image, "nope", {{"image", "x:1"}})}, "p3")};
  auto set = patching::synthesize_all(d, checkout, layout("plain"));
  ASSERT_EQ(set.patches.size(), 1u);
  EXPECT_EQ(set.patches[0].plan_id, "p2");
  ASSERT_EQ(set.failures.size(), 1u);
  EXPECT_EQ(set.failures[0].first, "p3");
  EXPECT_NE(set.failures[0].second.find(
              "no container `nope` in Deployment shop/checkout; containers: "
              "app, log-shipper"),
            std::string::npos)
    << set.failures[0].second;
  auto only = synthesize_patch(d.plans[0], checkout, layout("plain"));
  ASSERT_FALSE(only);
  EXPECT_NE(render(only.error()).find("no action changes a manifest"),
            std::string::npos);
  d.kind = decision_kind::escalate;
  auto none = patching::synthesize_all(d, checkout, layout("plain"));
  EXPECT_TRUE(none.patches.empty() && none.failures.empty());
}

TEST(SynthesisErrors, ClearMessages) {
  expect_error("plain", checkout,
               plan_of({act(action_type::set_resources, "app",
                            {{"memory_limit", "400m"}})}),
               "memory");
  expect_error("plain", checkout,
               plan_of({act(action_type::set_image, "app", {{"image", ""}})}),
               "names no image");
  expect_error(
    "plain", checkout,
    plan_of({act(action_type::set_image, "app", {{"image", "a b"}})}),
    "invalid image `a b`");
  expect_error("plain", checkout,
               plan_of({act(action_type::restart, "", {{"when", "now"}})}),
               "no parameter `when` (it takes none)", at_alert);
  expect_error(
    "plain", {"Deployment", "shop", "nothere"},
    plan_of({act(action_type::set_image, "app", {{"image", "x:1"}})}),
    "no manifest of Deployment shop/nothere");
  expect_error("plain", checkout,
               plan_of({act(action_type::set_resources, "app",
                            {{"memory_limit", "768Mi"}})}),
               "the GitOps files already hold the plan's values");
}

TEST(SynthesisErrors, AliasedEnvFailsVerification) {
  std::vector<repo_file> files{{"d.yaml",
                                "apiVersion: apps/v1\n"
                                "kind: Deployment\n"
                                "metadata:\n"
                                "  name: checkout\n"
                                "spec:\n"
                                "  template:\n"
                                "    spec:\n"
                                "      containers:\n"
                                "        - name: a\n"
                                "          env: &env\n"
                                "            - name: MODE\n"
                                "              value: fast\n"
                                "        - name: b\n"
                                "          env: *env\n",
                                ""}};
  auto made
    = synthesize_patch(plan_of({act(action_type::set_env, "a",
                                    {{"name", "MODE"}, {"value", "slow"}})}),
                       checkout, files);
  ASSERT_FALSE(made);
  EXPECT_NE(render(made.error()).find("verification"), std::string::npos)
    << render(made.error());
}

TEST(SynthesisErrors, StrategicPatchFromThePlanAlone) {
  auto k8s = patching::strategic_patch_of(
    plan_of({act(action_type::set_resources, "app", {{"cpu_limit", "unset"}}),
             act(action_type::set_probe, "app",
                 {{"probe", "readiness"}, {"timeout_seconds", "3"}})}),
    {"StatefulSet", "ledger", "db"});
  ASSERT_TRUE(k8s) << render(k8s.error());
  EXPECT_EQ(json::parse(*k8s), json::parse(R"({"spec":{"template":{"spec":
    {"containers":[{"name":"app","resources":{"limits":{"cpu":null}},
     "readinessProbe":{"timeoutSeconds":3}}]}}}})"));
  auto hpa_only = patching::strategic_patch_of(
    plan_of({act(action_type::set_hpa, "", {{"max_replicas", "5"}})}),
    {"Deployment", "shop", "checkout"});
  EXPECT_FALSE(hpa_only);
}

TEST(SynthesisPaths, ApiPaths) {
  EXPECT_EQ(patching::api_path("StatefulSet", "", "search", "es-data"),
            "/apis/apps/v1/namespaces/search/statefulsets/es-data");
  EXPECT_EQ(patching::api_path("DaemonSet", "", "monitoring", "node-agent"),
            "/apis/apps/v1/namespaces/monitoring/daemonsets/node-agent");
  EXPECT_EQ(patching::api_path("HorizontalPodAutoscaler", "", "shop", "x"),
            "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/x");
  EXPECT_EQ(patching::api_path("CronJob", "", "ops", "nightly"),
            "/apis/batch/v1/namespaces/ops/cronjobs/nightly");
  EXPECT_EQ(patching::api_path("Service", "", "shop", "x"), "");
}

} // namespace
