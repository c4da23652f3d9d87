#include "actors/common/quantity.hpp"
#include "actors/patch/manifest_edit.hpp"
#include "actors/patch/unified_diff.hpp"
#include "tests/unit/patch/patch_test_support.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace kfix;
using kfix::patching::apply_resource_edits;
using kfix::patching::find_workload_manifest;
using kfix::patching::read_container_resources;
using kfix::patching::resource_edit;

namespace {

using namespace kfix::patch_test;

/// The input lines no op touches must appear, byte for byte and in order,
/// in the output.
void expect_untouched_lines_identical(const std::string& input,
                                      const std::string& output,
                                      const std::vector<line_op>& ops) {
  auto in = lines_of(input);
  auto out = lines_of(output);
  size_t j = 0;
  for (size_t i = 0; i < in.size(); ++i) {
    auto no = i + 1;
    auto touched = std::any_of(ops.begin(), ops.end(), [&](const line_op& op) {
      return (op.kind == line_op::replace && op.line == no)
             || (op.kind == line_op::erase && op.line <= no && no <= op.last)
             || (op.kind == line_op::insert_after && op.line == no
                 && i + 1 == in.size());
    });
    if (touched)
      continue;
    auto it = std::find(out.begin() + static_cast<long>(j), out.end(), in[i]);
    ASSERT_NE(it, out.end())
      << "untouched line " << no << " changed: " << in[i];
    j = static_cast<size_t>(it - out.begin()) + 1;
  }
}

struct edit_case {
  std::string name;
  std::string file;
  size_t document;
  std::vector<resource_edit> edits;
  std::vector<line_op> ops;
  std::string eol = "\n";
};

void PrintTo(const edit_case& c, std::ostream* os) {
  *os << c.name;
}

// Quick constructors for edits.
resource_edit set(std::string c, std::string f, std::string r, std::string v) {
  return {std::move(c), std::move(f), std::move(r), std::move(v)};
}

resource_edit unset(std::string c, std::string f, std::string r) {
  return {std::move(c), std::move(f), std::move(r), "unset"};
}

const std::vector<edit_case>& edit_cases() {
  static const std::vector<edit_case> cases = {
    // -- deployment_two_containers.yaml: indented sequences, comments ----
    {"replace_plain_value_keeps_comment",
     "deployment_two_containers.yaml",
     0,
     {set("app", "limits", "memory", "768Mi")},
     {replace(41,
              "              memory: 768Mi   # OOMKilled at 512Mi in March")}},
    {"replace_quoted_value_keeps_quotes",
     "deployment_two_containers.yaml",
     0,
     {set("app", "requests", "cpu", "300m")},
     {replace(38, "              cpu: \"300m\"")}},
    {"insert_key_into_existing_map",
     "deployment_two_containers.yaml",
     0,
     {set("app", "limits", "cpu", "1")},
     {insert_after(41, {"              cpu: 1"})}},
    {"unset_only_key_removes_emptied_map",
     "deployment_two_containers.yaml",
     0,
     {unset("app", "limits", "memory")},
     {erase(40, 41)}},
    {"unset_key_keeps_siblings",
     "deployment_two_containers.yaml",
     0,
     {unset("app", "requests", "cpu")},
     {erase(38, 38)}},
    {"two_edits_same_container",
     "deployment_two_containers.yaml",
     0,
     {set("app", "limits", "memory", "1Gi"),
      set("app", "requests", "memory", "1Gi")},
     {replace(39, "              memory: 1Gi"),
      replace(41,
              "              memory: 1Gi   # OOMKilled at 512Mi in March")}},
    {"second_container_only",
     "deployment_two_containers.yaml",
     0,
     {set("istio-proxy", "limits", "memory", "512Mi")},
     {replace(54, "              memory: 512Mi")}},
    {"set_same_value_is_no_change",
     "deployment_two_containers.yaml",
     0,
     {set("app", "limits", "memory", "640Mi")},
     {}},
    // -- statefulset_compact.yaml: `- name` at the key's indentation -----
    {"compact_insert_requests_block",
     "statefulset_compact.yaml",
     0,
     {set("postgres", "requests", "memory", "1Gi")},
     {insert_after(24, {"          requests:", "            memory: 1Gi"})}},
    {"compact_unset_keeps_sibling",
     "statefulset_compact.yaml",
     0,
     {unset("postgres", "limits", "cpu")},
     {erase(24, 24)}},
    {"compact_replace_single_quoted",
     "statefulset_compact.yaml",
     0,
     {set("postgres", "limits", "cpu", "1500m")},
     {replace(24, "            cpu: '1500m'")}},
    {"compact_second_container_before_top_level_key",
     "statefulset_compact.yaml",
     0,
     {set("exporter", "requests", "memory", "64Mi"),
      set("exporter", "limits", "memory", "128Mi")},
     {replace(33, "            memory: 128Mi"),
      insert_after(33, {"          requests:", "            memory: 64Mi"})}},
    {"compact_insert_then_replace",
     "statefulset_compact.yaml",
     0,
     {set("postgres", "requests", "cpu", "500m"),
      set("postgres", "limits", "memory", "2Gi")},
     {replace(23, "            memory: 2Gi"),
      insert_after(24, {"          requests:", "            cpu: 500m"})}},
    // -- daemonset_no_resources.yaml: missing and empty resources --------
    {"insert_resources_after_last_key",
     "daemonset_no_resources.yaml",
     0,
     {set("shipper", "limits", "memory", "256Mi")},
     {insert_after(25, {"        resources:", "          limits:",
                        "            memory: 256Mi"})}},
    {"insert_resources_limits_and_requests",
     "daemonset_no_resources.yaml",
     0,
     {set("shipper", "limits", "memory", "256Mi"),
      set("shipper", "requests", "memory", "128Mi")},
     {insert_after(25, {"        resources:", "          limits:",
                        "            memory: 256Mi",
                        "          requests:", "            memory: 128Mi"})}},
    {"empty_flow_resources_becomes_block",
     "daemonset_no_resources.yaml",
     0,
     {set("reloader", "requests", "cpu", "10m")},
     {replace(28, "        resources:"),
      insert_after(28, {"          requests:", "            cpu: 10m"})}},
    {"unset_missing_key_is_no_change",
     "daemonset_no_resources.yaml",
     0,
     {unset("reloader", "limits", "memory"),
      unset("shipper", "limits", "memory")},
     {}},
    // -- deployment_block_scalar.yaml: a block scalar with `#` and blanks --
    {"insert_after_block_scalar",
     "deployment_block_scalar.yaml",
     0,
     {set("migrate", "limits", "memory", "1Gi")},
     {insert_after(20, {"          resources:", "            limits:",
                        "              memory: 1Gi"})}},
    // -- pod_flow.yaml: flow maps -----------------------------------------
    {"flow_replace_value",
     "pod_flow.yaml",
     0,
     {set("shell", "limits", "memory", "1Gi")},
     {replace(12, "        limits: {memory: 1Gi, cpu: 500m}")}},
    {"flow_insert_key",
     "pod_flow.yaml",
     0,
     {set("shell", "requests", "cpu", "100m")},
     {replace(13, "        requests: {memory: 256Mi, cpu: 100m}")}},
    {"flow_unset_last_key",
     "pod_flow.yaml",
     0,
     {unset("shell", "limits", "cpu")},
     {replace(12, "        limits: {memory: 512Mi}")}},
    {"flow_unset_first_key",
     "pod_flow.yaml",
     0,
     {unset("shell", "limits", "memory")},
     {replace(12, "        limits: {cpu: 500m}")}},
    {"flow_unset_only_key_removes_block_entry",
     "pod_flow.yaml",
     0,
     {unset("shell", "requests", "memory")},
     {erase(13, 13)}},
    {"flow_container_replace",
     "pod_flow.yaml",
     0,
     {set("tail", "limits", "memory", "64Mi")},
     {replace(14, "    - {name: tail, image: busybox:1.36, resources: "
                  "{limits: {memory: 64Mi}}}")}},
    {"flow_container_insert_map",
     "pod_flow.yaml",
     0,
     {set("tail", "requests", "memory", "32Mi")},
     {replace(14, "    - {name: tail, image: busybox:1.36, resources: "
                  "{limits: {memory: 32Mi}, requests: {memory: 32Mi}}}")}},
    {"flow_container_unset_cascades",
     "pod_flow.yaml",
     0,
     {unset("tail", "limits", "memory")},
     {replace(14, "    - {name: tail, image: busybox:1.36}")}},
    // -- multi_doc.yaml: only the given document --------------------------
    {"multi_doc_second_deployment_untouched",
     "multi_doc.yaml",
     1,
     {set("app", "limits", "memory", "512Mi")},
     {replace(37, "            memory: 512Mi")}},
    {"multi_doc_last_document",
     "multi_doc.yaml",
     2,
     {set("app", "requests", "memory", "384Mi")},
     {replace(59, "            memory: 384Mi")}},
    // -- null_blocks.yaml: `resources:` and `limits:` without value -------
    {"null_resources_gets_block",
     "null_blocks.yaml",
     0,
     {set("report", "limits", "memory", "256Mi")},
     {insert_after(
       16, {"                limits:", "                  memory: 256Mi"})}},
    {"null_limits_gets_block",
     "null_blocks.yaml",
     0,
     {set("uploader", "limits", "memory", "128Mi")},
     {insert_after(23, {"                  memory: 128Mi"})}},
    {"unset_cascades_to_field_only",
     "null_blocks.yaml",
     0,
     {unset("uploader", "requests", "cpu")},
     {erase(24, 25)}},
    // -- crlf.yaml ------------------------------------------------------------
    {"crlf_replace_quoted",
     "crlf.yaml",
     0,
     {set("api", "limits", "memory", "2Gi")},
     {replace(14, "              memory: \"2Gi\"   # set by hand on the "
                  "Windows box")},
     "\r\n"},
    {"crlf_insert_block_at_end",
     "crlf.yaml",
     0,
     {set("api", "requests", "memory", "2Gi")},
     {insert_after(15, {"            requests:", "              memory: 2Gi"})},
     "\r\n"},
    // -- job_four_spaces.yaml: 4-space indentation, no final newline ---------
    {"four_spaces_no_final_newline",
     "job_four_spaces.yaml",
     0,
     {set("migrate", "limits", "memory", "256Mi")},
     {insert_after(
       14, {"                  resources:", "                      limits:",
            "                          memory: 256Mi"})}},
  };
  return cases;
}

class ManifestEdit : public testing::TestWithParam<edit_case> {};

TEST_P(ManifestEdit, ExactOutput) {
  const auto& c = GetParam();
  auto input = data(c.file);
  auto expected = expected_text(input, c.ops, c.eol);
  auto result = apply_resource_edits(input, c.document, c.edits);
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(*result, expected);
  expect_untouched_lines_identical(input, *result, c.ops);
}

TEST_P(ManifestEdit, ReadBackGivesRequestedValues) {
  const auto& c = GetParam();
  auto result = apply_resource_edits(data(c.file), c.document, c.edits);
  ASSERT_TRUE(result) << render(result.error());
  for (const auto& e : c.edits) {
    auto res = read_container_resources(*result, c.document, e.container);
    ASSERT_TRUE(res) << render(res.error());
    if (e.value == "unset") {
      auto f = res->find(e.field);
      EXPECT_TRUE(f == res->end() || f->second.count(e.resource) == 0);
    } else {
      EXPECT_EQ((*res)[e.field][e.resource], e.value);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Manifest, ManifestEdit,
                         testing::ValuesIn(edit_cases()),
                         [](const testing::TestParamInfo<edit_case>& info) {
                           return info.param.name;
                         });

// -- properties beyond the table ----------------------------------------------

TEST(ManifestEditProperties, SecondContainerUntouched) {
  auto input = data("deployment_two_containers.yaml");
  auto result = apply_resource_edits(input, 0,
                                     {set("app", "limits", "memory", "1Gi"),
                                      set("app", "limits", "cpu", "2"),
                                      set("app", "requests", "memory", "1Gi")});
  ASSERT_TRUE(result) << render(result.error());
  // The sidecar's block is the text from `- name: istio-proxy` to the end.
  auto sidecar = [](const std::string& text) {
    return text.substr(text.find("        - name: istio-proxy"));
  };
  EXPECT_EQ(sidecar(*result), sidecar(input));
  auto before = read_container_resources(input, 0, "istio-proxy");
  auto after = read_container_resources(*result, 0, "istio-proxy");
  ASSERT_TRUE(before && after);
  EXPECT_EQ(*before, *after);
}

TEST(ManifestEditProperties, CrlfEverywhere) {
  auto input = data("crlf.yaml");
  ASSERT_NE(input.find("\r\n"), std::string::npos)
    << "crlf.yaml lost its CRLF line endings (git autocrlf?)";
  auto result = apply_resource_edits(input, 0,
                                     {set("api", "requests", "memory", "2Gi"),
                                      set("api", "requests", "cpu", "500m"),
                                      unset("api", "limits", "cpu")});
  ASSERT_TRUE(result) << render(result.error());
  for (size_t i = 0; i < result->size(); ++i) {
    if ((*result)[i] == '\n') {
      ASSERT_TRUE(i > 0 && (*result)[i - 1] == '\r') << "bare LF at " << i;
    }
  }
}

TEST(ManifestEditProperties, OnlyTheRequestedDocumentChanges) {
  auto input = data("multi_doc.yaml");
  auto result = apply_resource_edits(
    input, 1,
    {set("app", "limits", "memory", "1Gi"), set("app", "limits", "cpu", "1")});
  ASSERT_TRUE(result) << render(result.error());
  auto worker = [](const std::string& text) {
    return text.substr(text.find("  name: payments-worker"));
  };
  EXPECT_EQ(worker(*result), worker(input));
  auto docs_before = YAML::LoadAll(input);
  auto docs_after = YAML::LoadAll(*result);
  ASSERT_EQ(docs_before.size(), 3u);
  ASSERT_EQ(docs_after.size(), 3u);
  EXPECT_EQ(YAML::Dump(docs_before[0]), YAML::Dump(docs_after[0]));
  EXPECT_EQ(YAML::Dump(docs_before[2]), YAML::Dump(docs_after[2]));
}

// -- errors -------------------------------------------------------------------

TEST(ManifestEditErrors, UnknownContainerListsPresentOnes) {
  auto result
    = apply_resource_edits(data("deployment_two_containers.yaml"), 0,
                           {set("worker", "limits", "memory", "1Gi")});
  ASSERT_FALSE(result);
  EXPECT_EQ(code_of(result.error()), ec::not_found);
  auto msg = render(result.error());
  EXPECT_NE(msg.find("`worker`"), std::string::npos) << msg;
  EXPECT_NE(msg.find("app, istio-proxy"), std::string::npos) << msg;
}

TEST(ManifestEditErrors, InvalidEdits) {
  auto input = data("deployment_two_containers.yaml");
  for (const auto& e :
       {set("app", "limit", "memory", "1Gi"), set("app", "limits", "gpu", "1"),
        set("app", "limits", "memory", "512MB"),
        set("app", "limits", "memory", "400m"),
        set("app", "limits", "memory", "1K"), set("app", "limits", "cpu", "-1"),
        set("app", "limits", "cpu", "1 # x"), set("", "limits", "cpu", "1")}) {
    auto result = apply_resource_edits(input, 0, {e});
    ASSERT_FALSE(result) << e.field << "." << e.resource << "=" << e.value;
    EXPECT_EQ(code_of(result.error()), ec::invalid_input)
      << render(result.error());
  }
}

TEST(ManifestEditErrors, DocumentAndKind) {
  auto input = data("multi_doc.yaml");
  auto service
    = apply_resource_edits(input, 0, {set("app", "limits", "cpu", "1")});
  ASSERT_FALSE(service);
  EXPECT_EQ(code_of(service.error()), ec::invalid_input);
  EXPECT_NE(render(service.error()).find("Service"), std::string::npos);
  auto out_of_range
    = apply_resource_edits(input, 3, {set("app", "limits", "cpu", "1")});
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(code_of(out_of_range.error()), ec::invalid_input);
  auto broken = apply_resource_edits("kind: Deployment\nspec: [\n", 0,
                                     {set("app", "limits", "cpu", "1")});
  ASSERT_FALSE(broken);
  EXPECT_EQ(code_of(broken.error()), ec::invalid_input);
}

TEST(ManifestEditErrors, DuplicateContainerName) {
  std::string input = "kind: Pod\n"
                      "metadata:\n"
                      "  name: p\n"
                      "spec:\n"
                      "  containers:\n"
                      "  - name: app\n"
                      "  - name: app\n";
  auto result
    = apply_resource_edits(input, 0, {set("app", "limits", "cpu", "1")});
  ASSERT_FALSE(result);
  EXPECT_EQ(code_of(result.error()), ec::invalid_input);
  EXPECT_NE(render(result.error()).find("twice"), std::string::npos);
}

TEST(ManifestEditErrors, AliasedResourcesFailVerification) {
  // Both containers share one resources map through an alias: patching the
  // anchor would change the second container too, which verification must
  // catch instead of returning a wrong manifest.
  std::string input = "kind: Pod\n"
                      "metadata:\n"
                      "  name: p\n"
                      "spec:\n"
                      "  containers:\n"
                      "  - name: a\n"
                      "    resources: &r\n"
                      "      limits:\n"
                      "        memory: 1Gi\n"
                      "  - name: b\n"
                      "    resources: *r\n";
  auto result
    = apply_resource_edits(input, 0, {set("a", "limits", "memory", "2Gi")});
  ASSERT_FALSE(result);
  EXPECT_EQ(code_of(result.error()), ec::unspecified);
  EXPECT_NE(render(result.error()).find("verification"), std::string::npos)
    << render(result.error());
}

// -- read_container_resources -------------------------------------------------

using resource_map = std::map<std::string, std::map<std::string, std::string>>;

TEST(ManifestRead, ContainerResourcesAsWritten) {
  auto app = read_container_resources(data("deployment_two_containers.yaml"), 0,
                                      "app");
  ASSERT_TRUE(app) << render(app.error());
  EXPECT_EQ(
    *app, (resource_map{{"limits", {{"memory", "640Mi"}}},
                        {"requests", {{"cpu", "250m"}, {"memory", "512Mi"}}}}));
  auto shipper = read_container_resources(data("daemonset_no_resources.yaml"),
                                          0, "shipper");
  ASSERT_TRUE(shipper);
  EXPECT_TRUE(shipper->empty());
  auto tail = read_container_resources(data("pod_flow.yaml"), 0, "tail");
  ASSERT_TRUE(tail);
  EXPECT_EQ(*tail, (resource_map{{"limits", {{"memory", "32Mi"}}}}));
  auto uploader
    = read_container_resources(data("null_blocks.yaml"), 0, "uploader");
  ASSERT_TRUE(uploader);
  EXPECT_EQ(*uploader, (resource_map{{"requests", {{"cpu", "50m"}}}}));
  auto worker = read_container_resources(data("multi_doc.yaml"), 2, "app");
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->at("limits").at("memory"), "384Mi");
  auto missing = read_container_resources(data("pod_flow.yaml"), 0, "nope");
  ASSERT_FALSE(missing);
  EXPECT_EQ(code_of(missing.error()), ec::not_found);
  EXPECT_NE(render(missing.error()).find("shell, tail"), std::string::npos);
}

// -- find_workload_manifest ---------------------------------------------------

class ManifestFind : public testing::Test {
protected:
  std::vector<repo_file> files = read_tree(data_dir / "gitops");
};

TEST_F(ManifestFind, ExactNamespaceBeatsNamespaceless) {
  auto loc = find_workload_manifest(files, {"Deployment", "shop", "checkout"});
  ASSERT_TRUE(loc) << render(loc.error());
  EXPECT_EQ(loc->path, "apps/checkout/deployment.yaml");
  EXPECT_EQ(loc->document, 0u);
}

TEST_F(ManifestFind, KindIsCaseInsensitive) {
  auto loc = find_workload_manifest(files, {"deployment", "shop", "checkout"});
  ASSERT_TRUE(loc) << render(loc.error());
  EXPECT_EQ(loc->path, "apps/checkout/deployment.yaml");
}

TEST_F(ManifestFind, OtherNamespace) {
  auto loc
    = find_workload_manifest(files, {"Deployment", "shop-staging", "checkout"});
  ASSERT_TRUE(loc) << render(loc.error());
  EXPECT_EQ(loc->path, "staging/checkout.yaml");
}

TEST_F(ManifestFind, NamespacelessMatchesAnyNamespace) {
  auto loc = find_workload_manifest(files, {"Deployment", "prod", "checkout"});
  ASSERT_TRUE(loc) << render(loc.error());
  EXPECT_EQ(loc->path, "base/checkout.yaml");
}

TEST_F(ManifestFind, KustomizationNamespaceAndMultiDoc) {
  auto loc
    = find_workload_manifest(files, {"Deployment", "shop", "payments-worker"});
  ASSERT_TRUE(loc) << render(loc.error());
  EXPECT_EQ(loc->path, "apps/payments/all.yml");
  EXPECT_EQ(loc->document, 2u);
  // The kustomization's namespace is the documents' namespace: another
  // namespace does not match although the documents have none.
  auto other
    = find_workload_manifest(files, {"Deployment", "prod", "payments"});
  ASSERT_FALSE(other);
  EXPECT_EQ(code_of(other.error()), ec::not_found);
}

TEST_F(ManifestFind, NotFoundNamesTheWorkload) {
  auto loc = find_workload_manifest(files, {"StatefulSet", "shop", "checkout"});
  ASSERT_FALSE(loc);
  EXPECT_EQ(code_of(loc.error()), ec::not_found);
  auto msg = render(loc.error());
  EXPECT_NE(msg.find("StatefulSet shop/checkout"), std::string::npos) << msg;
}

TEST_F(ManifestFind, UnparsableFilesAreSkipped) {
  // Precondition: the Helm template really does not parse.
  auto helm = std::find_if(files.begin(), files.end(), [](const repo_file& f) {
    return f.path == "charts/checkout/templates/deployment.yaml";
  });
  ASSERT_NE(helm, files.end());
  EXPECT_ANY_THROW(YAML::LoadAll(helm->content));
  auto loc = find_workload_manifest(files, {"Deployment", "shop", "payments"});
  ASSERT_TRUE(loc) << render(loc.error());
  EXPECT_EQ(loc->path, "apps/payments/all.yml");
  EXPECT_EQ(loc->document, 1u);
}

TEST_F(ManifestFind, AmbiguousListsBothPaths) {
  auto copy = files;
  copy.push_back({"apps/checkout/deployment-copy.yml",
                  data("deployment_two_containers.yaml"), ""});
  auto loc = find_workload_manifest(copy, {"Deployment", "shop", "checkout"});
  ASSERT_FALSE(loc);
  EXPECT_EQ(code_of(loc.error()), ec::invalid_input);
  auto msg = render(loc.error());
  EXPECT_NE(msg.find("apps/checkout/deployment.yaml"), std::string::npos)
    << msg;
  EXPECT_NE(msg.find("apps/checkout/deployment-copy.yml"), std::string::npos)
    << msg;
}

TEST_F(ManifestFind, FoundManifestIsEditable) {
  auto loc = find_workload_manifest(files, {"Deployment", "shop", "payments"});
  ASSERT_TRUE(loc);
  auto file = std::find_if(files.begin(), files.end(), [&](const repo_file& f) {
    return f.path == loc->path;
  });
  auto result = apply_resource_edits(file->content, loc->document,
                                     {set("app", "limits", "memory", "512Mi")});
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(patching::unified_diff(loc->path, file->content, *result),
            "--- a/apps/payments/all.yml\n"
            "+++ b/apps/payments/all.yml\n"
            "@@ -29,7 +29,7 @@\n"
            "         image: registry.example.com/shop/payments:1.8.0\n"
            "         resources:\n"
            "           limits:\n"
            "-            memory: 384Mi\n"
            "+            memory: 512Mi\n"
            " ---\n"
            " apiVersion: apps/v1\n"
            " kind: Deployment\n");
}

// -- the dataset samples, when present ----------------------------------------

TEST(ManifestSamples, RaiseMemoryOnEachSampleWorkload) {
  auto root = fs::path{KFIX_SOURCE_DIR} / "datasets/samples";
  if (!fs::is_directory(root))
    GTEST_SKIP() << "no datasets/samples yet";
  size_t tried = 0;
  for (const auto& dir : fs::directory_iterator(root)) {
    auto gitops = dir.path() / "gitops";
    auto incident = dir.path() / "incident.yaml";
    if (!fs::is_directory(gitops) || !fs::exists(incident))
      continue;
    SCOPED_TRACE(dir.path().filename().string());
    auto meta = YAML::LoadFile(incident.string());
    auto wl = meta["workload"];
    if (!wl.IsMap())
      continue;
    workload_ref w{wl["kind"].as<std::string>(""),
                   wl["namespace"].as<std::string>(""),
                   wl["name"].as<std::string>("")};
    auto files = read_tree(gitops);
    auto loc = find_workload_manifest(files, w);
    ASSERT_TRUE(loc) << render(loc.error());
    auto file
      = std::find_if(files.begin(), files.end(), [&](const repo_file& f) {
          return f.path == loc->path;
        });
    // The container: the one the ground truth names, else the first one.
    std::string container;
    for (const auto& entry : meta["expected"]["accept"])
      if (entry["container"])
        container = entry["container"].as<std::string>();
    auto docs = YAML::LoadAll(file->content);
    auto doc = docs.at(loc->document);
    auto kind = doc["kind"].as<std::string>();
    auto pod = kind == "Pod" ? doc["spec"]
               : kind == "CronJob"
                 ? doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
                 : doc["spec"]["template"]["spec"];
    if (container.empty())
      container = pod["containers"][0]["name"].as<std::string>();
    auto current
      = read_container_resources(file->content, loc->document, container);
    if (!current && code_of(current.error()) == ec::not_found)
      continue; // e.g. a kustomize patch without the container
    ASSERT_TRUE(current) << render(current.error());
    int64_t bytes = 512 * units::mib;
    if (auto l = current->find("limits"); l != current->end())
      if (auto m = l->second.find("memory"); m != l->second.end())
        if (auto q = parse_quantity(m->second))
          bytes = q->bytes() * 5 / 4;
    auto raised = format_memory(round_up_memory(bytes));
    auto result
      = apply_resource_edits(file->content, loc->document,
                             {set(container, "limits", "memory", raised)});
    ASSERT_TRUE(result) << render(result.error());
    auto after = read_container_resources(*result, loc->document, container);
    ASSERT_TRUE(after);
    EXPECT_EQ(after->at("limits").at("memory"), raised);
    auto diff = patching::unified_diff(loc->path, file->content, *result);
    EXPECT_NE(diff.find("+++ b/" + loc->path), std::string::npos);
    ++tried;
  }
  if (tried == 0)
    GTEST_SKIP() << "no sample has gitops files yet";
}

} // namespace
