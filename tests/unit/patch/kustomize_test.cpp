#include "actors/patch/kustomize.hpp"
#include "actors/patch/manifest_edit.hpp"
#include "actors/patch/patch_synthesis.hpp"
#include "tests/unit/patch/patch_test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace {

using namespace kfix;
using namespace kfix::patch_test;
using nlohmann::json;
using patching::synthesis_options;
using patching::synthesize_patch;

// The layout: apps/cart/base (Deployment + HPA) built by overlays/prod
// (patch files, `images:`, `replicas:`), overlays/staging (an inline patch),
// overlays/dev (`transformers:`) and overlays/qa (a JSON 6902 patch).

const std::string base = "apps/cart/base/deployment.yaml";
const std::string base_hpa = "apps/cart/base/hpa.yaml";
const std::string prod_patch = "apps/cart/overlays/prod/deployment-patch.yaml";
const std::string prod_hpa_patch = "apps/cart/overlays/prod/hpa-patch.yaml";
const std::string prod_k = "apps/cart/overlays/prod/kustomization.yaml";
const std::string staging_k = "apps/cart/overlays/staging/kustomization.yaml";
const workload_ref cart{"Deployment", "shop", "cart"};

std::vector<repo_file> files() {
  return read_tree(data_dir / "synthesis" / "overlay");
}

std::string file_of(const std::string& path) {
  for (const auto& f : files())
    if (f.path == path)
      return f.content;
  ADD_FAILURE() << "no file " << path;
  return {};
}

plan one(action_type type, std::string container,
         std::map<std::string, std::string> params) {
  return plan_of({act(type, std::move(container), std::move(params))});
}

/// The plan must change exactly `path`, as the line operations say.
void expect_edit(const plan& p, const std::string& env, const std::string& path,
                 const std::vector<line_op>& ops,
                 const workload_ref& w = cart) {
  auto made = synthesize_patch(p, w, files(), {env, "2026-05-02T09:00:00Z"});
  ASSERT_TRUE(made) << render(made.error());
  ASSERT_EQ(made->files.size(), 1u) << made->diff;
  EXPECT_EQ(made->files[0].path, path) << made->diff;
  EXPECT_EQ(made->files[0].after, expected_text(file_of(path), ops))
    << made->diff;
}

void expect_error(const plan& p, const std::string& env,
                  const std::vector<std::string>& needles) {
  auto made = synthesize_patch(p, cart, files(), {env, ""});
  ASSERT_FALSE(made) << made->diff;
  auto msg = render(made.error());
  for (const auto& n : needles)
    EXPECT_NE(msg.find(n), std::string::npos) << msg;
}

// -- which file sets the effective value --------------------------------------

TEST(KustomizeOverlay, TheOverlayPatchSetsTheResources) {
  expect_edit(one(action_type::set_resources, "app",
                  {{"memory_limit", "2Gi"}, {"memory_request", "1536Mi"}}),
              "prod", prod_patch,
              {replace(13, "              memory: 1536Mi"),
               replace(16, "              memory: 2Gi")});
}

TEST(KustomizeOverlay, TheBaseSetsWhatNoOverlayOverrides) {
  expect_edit(one(action_type::set_resources, "app", {{"cpu_request", "250m"}}),
              "prod", base, {replace(24, "              cpu: 250m")});
  // No `images:` in staging: the base's image is the effective one.
  expect_edit(one(action_type::set_image, "app",
                  {{"image", "registry.example.com/shop/cart:1.9.3"}}),
              "staging", base,
              {replace(18, "          image: registry.example.com/shop/"
                           "cart:1.9.3")});
  expect_edit(one(action_type::set_env, "app",
                  {{"name", "LOG_LEVEL"}, {"value", "warn"}}),
              "prod", base, {replace(21, "              value: warn")});
}

TEST(KustomizeOverlay, ImagesTransformerEntry) {
  expect_edit(one(action_type::rollback, "app",
                  {{"to_revision", "7"},
                   {"image", "registry.example.com/shop/cart:2.0.9"}}),
              "prod", prod_k,
              {replace(11, "    newTag: 2.0.9 # release 2026-05-02")});
  expect_edit(one(action_type::set_image, "app",
                  {{"image", "registry.example.com/shop/cart-v2:3.0.0"}}),
              "prod", prod_k,
              {replace(11, "    newTag: 3.0.0 # release 2026-05-02"),
               insert_after(11, {"    newName: registry.example.com/shop/"
                                 "cart-v2"})});
  expect_edit(
    one(action_type::set_image, "app",
        {{"image", "registry.example.com/shop/cart@sha256:0123abcd"}}),
    "prod", prod_k, {replace(11, "    digest: sha256:0123abcd")});
}

TEST(KustomizeOverlay, ReplicasFieldAndInlinePatch) {
  expect_edit(one(action_type::scale_replicas, "", {{"replicas", "6"}}), "prod",
              prod_k, {replace(14, "    count: 6")});
  expect_edit(one(action_type::scale_replicas, "", {{"replicas", "3"}}),
              "staging", staging_k, {replace(16, "        replicas: 3")});
  expect_edit(one(action_type::set_env, "app",
                  {{"name", "LOG_LEVEL"}, {"value", "warn"}}),
              "staging", staging_k,
              {replace(23, "                    value: warn")});
  // A new variable in staging goes into the inline patch, quoted.
  expect_edit(
    one(action_type::set_env, "app", {{"name", "CACHE_TTL"}, {"value", "300"}}),
    "staging", staging_k,
    {insert_after(23, {"                  - name: CACHE_TTL",
                       "                    value: \"300\""})});
}

TEST(KustomizeOverlay, NewFieldsStayInTheEnvironmentsPatch) {
  expect_edit(one(action_type::set_probe, "app",
                  {{"probe", "liveness"}, {"failure_threshold", "5"}}),
              "prod", prod_patch,
              {insert_after(16, {"          livenessProbe:",
                                 "            failureThreshold: 5"})});
  expect_edit(one(action_type::restart, "", {}), "prod", prod_patch,
              {insert_after(7, {"    metadata:", "      annotations:",
                                "        kubectl.kubernetes.io/restartedAt: "
                                "\"2026-05-02T09:00:00Z\""})});
  // A new startupProbe copies the base's liveness handler.
  expect_edit(one(action_type::set_probe, "app",
                  {{"probe", "startup"},
                   {"period_seconds", "10"},
                   {"failure_threshold", "30"}}),
              "prod", prod_patch,
              {insert_after(
                16, {"          startupProbe:", "            httpGet:",
                     "              path: /healthz", "              port: http",
                     "            periodSeconds: 10",
                     "            failureThreshold: 30"})});
}

TEST(KustomizeOverlay, RemovingAnOverriddenValueWritesNull) {
  auto made = synthesize_patch(
    one(action_type::set_resources, "app", {{"cpu_limit", "unset"}}), cart,
    files(), {"prod", ""});
  ASSERT_TRUE(made) << render(made.error());
  ASSERT_EQ(made->files.size(), 1u);
  EXPECT_EQ(made->files[0].path, prod_patch);
  EXPECT_EQ(made->files[0].after,
            expected_text(file_of(prod_patch),
                          {replace(15, "              cpu: null")}));
  EXPECT_EQ(json::parse(made->k8s_patch), json::parse(R"({"spec":{"template":
    {"spec":{"containers":[{"name":"app",
     "resources":{"limits":{"cpu":null}}}]}}}})"));
  // Set only in the base: removed there.
  expect_edit(
    one(action_type::set_resources, "app", {{"cpu_request", "unset"}}), "prod",
    base, {erase(24, 24)});
}

TEST(KustomizeOverlay, HpaFieldsFromPatchAndBase) {
  auto made
    = synthesize_patch(one(action_type::set_hpa, "",
                           {{"max_replicas", "14"}, {"min_replicas", "2"}}),
                       cart, files(), {"prod", ""});
  ASSERT_TRUE(made) << render(made.error());
  ASSERT_EQ(made->files.size(), 2u) << made->diff;
  EXPECT_EQ(made->files[0].path, base_hpa);
  EXPECT_EQ(
    made->files[0].after,
    expected_text(file_of(base_hpa), {replace(10, "  minReplicas: 2")}));
  EXPECT_EQ(made->files[1].path, prod_hpa_patch);
  EXPECT_EQ(
    made->files[1].after,
    expected_text(file_of(prod_hpa_patch), {replace(6, "  maxReplicas: 14")}));
  ASSERT_EQ(made->dry_run_targets.size(), 1u);
  EXPECT_EQ(
    made->dry_run_targets[0].path,
    "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/cart");
  EXPECT_EQ(json::parse(made->dry_run_targets[0].patch),
            json::parse(R"({"spec":{"maxReplicas":14,"minReplicas":2}})"));
}

TEST(KustomizeOverlay, SeveralActionsSeveralFiles) {
  plan p = one(
    action_type::rollback, "app",
    {{"to_revision", "7"}, {"image", "registry.example.com/shop/cart:2.0.9"}});
  action env;
  env.type = action_type::set_env;
  env.container = "app";
  env.params = {{"name", "LOG_LEVEL"}, {"value", "warn"}};
  action mem;
  mem.type = action_type::set_resources;
  mem.container = "app";
  mem.params = {{"memory_limit", "1536Mi"}};
  p.actions.push_back(env);
  p.actions.push_back(mem);
  auto made = synthesize_patch(p, cart, files(), {"production", ""});
  ASSERT_TRUE(made) << render(made.error());
  std::vector<std::string> paths;
  for (const auto& f : made->files)
    paths.push_back(f.path);
  EXPECT_EQ(paths, (std::vector<std::string>{base, prod_patch, prod_k}));
  EXPECT_EQ(json::parse(made->k8s_patch), json::parse(R"({"spec":{"template":
    {"spec":{"containers":[{"name":"app",
     "image":"registry.example.com/shop/cart:2.0.9",
     "env":[{"name":"LOG_LEVEL","value":"warn"}],
     "resources":{"limits":{"memory":"1536Mi"}}}]}}}})"));
  EXPECT_NE(made->diff.find("-    newTag: 2.1.0"), std::string::npos)
    << made->diff;
}

// -- what cannot be edited ----------------------------------------------------

TEST(KustomizeOverlay, UnmodelledAndUneditableLayouts) {
  expect_error(one(action_type::set_resources, "app", {{"cpu_request", "1"}}),
               "dev",
               {"apps/cart/overlays/dev/kustomization.yaml", "`transformers`"});
  expect_error(
    one(action_type::set_image, "app",
        {{"image", "registry.example.com/shop/cart:2.0.9"}}),
    "qa",
    {"JSON 6902 patch apps/cart/overlays/qa/image-patch.yaml", "cannot edit"});
  expect_error(one(action_type::set_resources, "app", {{"cpu_request", "1"}}),
               "uat",
               {"no kustomize build of apps/cart/base/deployment.yaml is for "
                "the environment `uat`",
                "apps/cart/overlays/prod/", "apps/cart/overlays/staging/"});
  expect_error(one(action_type::set_resources, "app", {{"cpu_request", "1"}}),
               "", {"unknown environment"});
}

TEST(KustomizeOverlay, Json6902PatchesOfOtherFieldsDoNotBlock) {
  expect_edit(one(action_type::set_resources, "app", {{"cpu_request", "250m"}}),
              "qa", base, {replace(24, "              cpu: 250m")},
              {"Deployment", "shop-qa", "cart"});
}

TEST(KustomizeOverlay, InlineStrategicMergeStringsAndComponents) {
  const std::string head = "apiVersion: apps/v1\n"
                           "kind: Deployment\n"
                           "metadata:\n"
                           "  name: api\n"
                           "spec:\n"
                           "  template:\n"
                           "    spec:\n"
                           "      containers:\n"
                           "        - name: app\n";
  const std::string manifest = head + "          image: r/api:1\n";
  const std::string overlay = "namespace: web\n"
                              "resources:\n"
                              "  - ../base\n"
                              "components:\n"
                              "  - ../sizing\n"
                              "patchesStrategicMerge:\n"
                              "  - |-\n"
                              "    apiVersion: apps/v1\n"
                              "    kind: Deployment\n"
                              "    metadata:\n"
                              "      name: api\n"
                              "    spec:\n"
                              "      replicas: 2\n";
  const std::string component = "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
                                "kind: Component\n"
                                "patches:\n"
                                "  - path: memory.yaml\n";
  const std::string memory
    = head + "          resources: {limits: {memory: 1Gi}}\n";
  std::vector<repo_file> fs{
    {"web/base/deployment.yaml", manifest, ""},
    {"web/base/kustomization.yaml", "resources:\n  - deployment.yaml\n", ""},
    {"web/prod/kustomization.yaml", overlay, ""},
    {"web/sizing/kustomization.yaml", component, ""},
    {"web/sizing/memory.yaml", memory, ""}};
  workload_ref api{"Deployment", "web", "api"};
  plan p = one(action_type::scale_replicas, "", {{"replicas", "5"}});
  action mem;
  mem.type = action_type::set_resources;
  mem.container = "app";
  mem.params = {{"memory_limit", "2Gi"}};
  p.actions.push_back(mem);
  auto made = synthesize_patch(p, api, fs, {"prod", ""});
  ASSERT_TRUE(made) << render(made.error());
  ASSERT_EQ(made->files.size(), 2u) << made->diff;
  EXPECT_EQ(made->files[0].path, "web/prod/kustomization.yaml");
  EXPECT_EQ(made->files[0].after,
            expected_text(overlay, {replace(13, "      replicas: 5")}));
  EXPECT_EQ(made->files[1].path, "web/sizing/memory.yaml");
  EXPECT_EQ(made->files[1].after,
            expected_text(memory, {replace(10, "          resources: {limits: "
                                               "{memory: 2Gi}}")}));
}

// -- the model
// ------------------------------------------------------------------

TEST(KustomizeModel, PatchFilesAreNotManifests) {
  auto fs = files();
  auto patches = patching::kustomize_patch_files(fs);
  EXPECT_EQ(patches,
            (std::set<std::string>{prod_patch, prod_hpa_patch,
                                   "apps/cart/overlays/qa/image-patch.yaml"}));
  auto loc = patching::find_workload_manifest(fs, cart);
  ASSERT_TRUE(loc) << render(loc.error());
  EXPECT_EQ(loc->path, base);
  auto ns = patching::kustomize_namespaces(fs);
  EXPECT_EQ(ns[base], (std::vector<std::string>{"shop-dev", "shop", "shop-qa",
                                                "shop-staging"}));
  auto other
    = patching::find_workload_manifest(fs, {"Deployment", "x", "cart"});
  EXPECT_FALSE(other);
}

TEST(KustomizeModel, LayersAndRender) {
  auto fs = files();
  auto s = patching::resolve_sources(fs, base, 0, "prod");
  ASSERT_TRUE(s) << render(s.error());
  EXPECT_EQ(s->overlay, "apps/cart/overlays/prod");
  std::vector<std::string> kinds;
  for (const auto& l : s->layers)
    kinds.emplace_back(patching::to_string(l.type));
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"manifest", "strategic-merge patch",
                                      "replicas: entry", "images: entry"}));
  auto r = patching::render_object(*s);
  ASSERT_TRUE(r) << render(r.error());
  const auto& c = (*r)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "registry.example.com/shop/cart:2.1.0");
  EXPECT_EQ(c["resources"], json::parse(R"({"requests":{"cpu":"100m",
    "memory":"1Gi"},"limits":{"cpu":"2","memory":"1Gi"}})"));
  EXPECT_EQ((*r)["spec"]["replicas"], "4");
  auto staging = patching::resolve_sources(fs, base, 0, "stg");
  ASSERT_TRUE(staging) << render(staging.error());
  ASSERT_EQ(staging->layers.size(), 2u);
  EXPECT_EQ(patching::to_string(staging->layers[1].inline_at),
            "patches[0].patch");
}

TEST(KustomizeModel, StrategicMergeAndImages) {
  auto target = json::parse(R"({"spec":{"containers":[
    {"name":"a","image":"x:1","env":[{"name":"A","value":"1"},
     {"name":"B","value":"2"}],"args":["--x"]},{"name":"b","image":"y:1"}]}})");
  patching::strategic_merge(target, json::parse(R"({"spec":{"containers":[
    {"name":"a","env":[{"name":"B","value":"3"},{"name":"C","value":"4"},
     {"name":"A","$patch":"delete"}],"args":["--y"],"image":null},
    {"name":"c","image":"z:1"}]}})"));
  EXPECT_EQ(target, json::parse(R"({"spec":{"containers":[
    {"name":"a","env":[{"name":"B","value":"3"},{"name":"C","value":"4"}],
     "args":["--y"]},{"name":"b","image":"y:1"},{"name":"c","image":"z:1"}]}})"));
  auto ref = patching::parse_image("registry:5000/team/app:1.2@sha256:ff");
  EXPECT_EQ(ref.name, "registry:5000/team/app");
  EXPECT_EQ(ref.tag, "1.2");
  EXPECT_EQ(ref.digest, "sha256:ff");
  EXPECT_EQ(patching::parse_image("registry:5000/app").tag, "");
  EXPECT_EQ(ref.str(), "registry:5000/team/app:1.2@sha256:ff");
  EXPECT_EQ(patching::env_class("Production"), "prod");
  EXPECT_EQ(patching::env_class("stg"), "staging");
  EXPECT_EQ(patching::env_class("development"), "dev");
  EXPECT_EQ(patching::env_class("eu-1"), "eu-1");
}

} // namespace
