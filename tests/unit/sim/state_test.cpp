#include "eval/sim/quantity.hpp"
#include "eval/sim/state.hpp"
#include "eval/sim/yaml_json.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace kfix;
using namespace kfix::sim;
using namespace kfix::sim::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

// -- YAML to JSON -------------------------------------------------------------

TEST(SimYaml, ScalarTypesFollowTheYamlResolver) {
  auto doc = parse_yaml("a: \"42\"\n"
                        "b: 42\n"
                        "c: true\n"
                        "d: 'true'\n"
                        "e: null\n"
                        "f: ~\n"
                        "g: 0.75\n"
                        "h: 0644\n"
                        "i: 1e3\n"
                        "j: yes\n"
                        "k: 08\n"
                        "l: 0x1F\n"
                        "m: -7\n"
                        "n: \"\"\n"
                        "o:\n"
                        "p: 512Mi\n"
                        "q: !!str 12\n"
                        "r: |\n  two\n  lines\n"
                        "s: 2026-03-14T10:02:11Z\n"
                        "t: [1, \"1\", x]\n"
                        "u: 12345678901234\n",
                        "test.yaml");
  ASSERT_TRUE(doc) << render(doc.error());
  auto expected = json::parse(R"({
    "a": "42", "b": 42, "c": true, "d": "true", "e": null, "f": null,
    "g": 0.75, "h": 420, "i": "1e3", "j": true, "k": "08", "l": 31,
    "m": -7, "n": "", "o": null, "p": "512Mi", "q": "12",
    "r": "two\nlines\n", "s": "2026-03-14T10:02:11Z", "t": [1, "1", "x"],
    "u": 12345678901234})");
  EXPECT_EQ(*doc, expected);
  EXPECT_TRUE((*doc)["b"].is_number_integer());
  EXPECT_TRUE((*doc)["g"].is_number_float());
}

TEST(SimYaml, ErrorsNameFileAndLine) {
  auto docs
    = parse_yaml_documents("a: 1\nb: [1, 2\nc: 3\n", "state/kubernetes.yaml");
  ASSERT_FALSE(docs);
  EXPECT_EQ(error_message(docs.error()),
            "state/kubernetes.yaml:3:2: end of sequence flow not found");
  auto two = parse_yaml("a: 1\n---\nb: 2\n", "x.yaml");
  ASSERT_FALSE(two);
  EXPECT_EQ(error_message(two.error()),
            "x.yaml: expected a single YAML document, got 2");
}

// -- state files --------------------------------------------------------------

TEST(SimState, LoadsTheTestState) {
  const auto& state = test_state();
  EXPECT_EQ(state.objects.size(), 25u);
  EXPECT_EQ(state.metric_series.size(), 9u);
  EXPECT_EQ(state.logs.size(), 12u);
  const json* checkout = nullptr;
  for (const auto& obj : state.objects)
    if (obj["kind"] == "Deployment" && obj["metadata"]["name"] == "checkout")
      checkout = &obj;
  ASSERT_NE(checkout, nullptr);
  EXPECT_EQ((*checkout)["spec"]["replicas"], 3);
  EXPECT_EQ((*checkout)["metadata"]["resourceVersion"], "884213");
  EXPECT_EQ(
    (*checkout)["metadata"]["annotations"]["deployment.kubernetes.io/revision"],
    "3");
  EXPECT_EQ((*checkout)["spec"]["template"]["spec"]["containers"][0]
                       ["resources"]["limits"]["cpu"],
            "1");
  EXPECT_EQ((*checkout)["spec"]["template"]["spec"]["containers"][0]["ports"][0]
                       ["containerPort"],
            8080);
}

TEST(SimState, KubernetesYamlErrorsNameLineAndDocument) {
  auto result = parse_kubernetes_yaml("apiVersion: v1\n"
                                      "kind: Pod\n"
                                      "metadata: {name: a, namespace: x}\n"
                                      "---\n"
                                      "apiVersion: v1\n"
                                      "kind: Pod\n"
                                      "metadata: {namespace: x}\n",
                                      "state/kubernetes.yaml");
  ASSERT_FALSE(result);
  EXPECT_EQ(error_message(result.error()),
            "state/kubernetes.yaml:5: document 2: object without "
            "metadata.name (Pod)");
  auto dup = parse_kubernetes_yaml("apiVersion: v1\n"
                                   "kind: Pod\n"
                                   "metadata: {name: a, namespace: x}\n"
                                   "---\n"
                                   "---\n"
                                   "apiVersion: v1\n"
                                   "kind: Pod\n"
                                   "metadata: {name: a, namespace: x}\n",
                                   "state/kubernetes.yaml");
  ASSERT_FALSE(dup);
  EXPECT_EQ(error_message(dup.error()),
            "state/kubernetes.yaml: duplicate object Pod x/a");
  auto no_version = parse_kubernetes_json(
    R"([{"kind": "Pod", "metadata": {"name": "a"}}])", "state/kubernetes.json");
  ASSERT_FALSE(no_version);
  EXPECT_EQ(error_message(no_version.error()),
            "state/kubernetes.json: [0]: object without apiVersion (Pod)");
}

TEST(SimState, MetricsAndLogsErrorsNameTheField) {
  auto metrics = parse_metrics_json(
    R"({"series": [{"metric": "m", "points": [[1, 2], [3]]}]})",
    "state/metrics.json");
  ASSERT_FALSE(metrics);
  EXPECT_EQ(error_message(metrics.error()),
            "state/metrics.json: series[0]: points[1] must be [timestamp, "
            "value]");
  auto logs = parse_logs_jsonl(
    "{\"attributes\":{\"timestamp\":\"2026-03-14T10:00:00Z\"}}\n\nnot json\n",
    "state/logs.jsonl");
  ASSERT_FALSE(logs);
  EXPECT_THAT(error_message(logs.error()),
              StartsWith("state/logs.jsonl:3: [json.exception.parse_error"));
  auto no_time = parse_logs_jsonl("{\"attributes\":{\"message\":\"x\"}}\n",
                                  "state/logs.jsonl");
  ASSERT_FALSE(no_time);
  EXPECT_EQ(error_message(no_time.error()),
            "state/logs.jsonl:1: no attributes.timestamp");
  auto empty = parse_metrics_json("{}", "state/metrics.json");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

// -- quantities ---------------------------------------------------------------

TEST(SimQuantity, ParsesByValue) {
  auto value = [](const char* text) {
    auto q = parse_quantity(text);
    EXPECT_TRUE(q) << text;
    return q ? q->value() : -1.0;
  };
  EXPECT_DOUBLE_EQ(value("512Mi"), 536870912.0);
  EXPECT_DOUBLE_EQ(value("1Gi"), value("1024Mi"));
  EXPECT_DOUBLE_EQ(value("500m"), 0.5);
  EXPECT_DOUBLE_EQ(value("0.5"), 0.5);
  EXPECT_DOUBLE_EQ(value("1e3"), 1000.0);
  EXPECT_DOUBLE_EQ(value("1k"), 1000.0);
  EXPECT_DOUBLE_EQ(value("900M"), 9e8);
  EXPECT_DOUBLE_EQ(value("1.5Gi"), 1610612736.0);
  EXPECT_DOUBLE_EQ(value("1E"), 1e18);
  EXPECT_DOUBLE_EQ(value("2E3"), 2000.0);
  EXPECT_DOUBLE_EQ(value("-1"), -1.0);
  EXPECT_DOUBLE_EQ(value(".5"), 0.5);
  EXPECT_EQ(parse_quantity("1n")->nanos, 1);
  EXPECT_EQ(parse_quantity("1.5n")->nanos, 2); // rounded up
  for (auto bad : {"", "Mi", "1.2.3", "2GB", "1ki", "abc", "1e", "1 Gi"})
    EXPECT_FALSE(parse_quantity(bad)) << bad;
  EXPECT_GT(compare(*parse_quantity("2Gi"), *parse_quantity("1536Mi")), 0);
  EXPECT_EQ(compare(*parse_quantity("1Gi"), *parse_quantity("1024Mi")), 0);
  EXPECT_LT(compare(*parse_quantity("250m"), *parse_quantity("0.3")), 0);
}

TEST(SimQuantity, CanonicalFormsMatchTheApiServer) {
  EXPECT_EQ(canonical_quantity("1024Mi"), "1Gi");
  EXPECT_EQ(canonical_quantity("1536Mi"), "1536Mi");
  EXPECT_EQ(canonical_quantity("1.5Gi"), "1536Mi");
  EXPECT_EQ(canonical_quantity("2048Mi"), "2Gi");
  EXPECT_EQ(canonical_quantity("0.5Ki"), "512");
  EXPECT_EQ(canonical_quantity("0.5"), "500m");
  EXPECT_EQ(canonical_quantity("1000m"), "1");
  EXPECT_EQ(canonical_quantity("1500M"), "1500M");
  EXPECT_EQ(canonical_quantity("2000M"), "2G");
  EXPECT_EQ(canonical_quantity("100m"), "100m");
  EXPECT_EQ(canonical_quantity("1e3"), "1e3");
  EXPECT_EQ(canonical_quantity("0"), "0");
  EXPECT_EQ(canonical_quantity("0Gi"), "0");
  EXPECT_EQ(canonical_quantity("900000000"), "900M");
  EXPECT_EQ(canonical_quantity("bogus"), "bogus");
}
