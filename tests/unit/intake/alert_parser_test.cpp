#include "actors/intake/alert_parser.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kfix::intake {
namespace {

using strings = std::vector<std::string>;

std::string read_data(const std::string& name) {
  std::ifstream in{std::string{KFIX_SOURCE_DIR} + "/tests/data/intake/" + name};
  EXPECT_TRUE(in) << "cannot open " << name;
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

enriched_alert parse_ok(const std::string& body) {
  auto alert = parse_alert(body);
  EXPECT_TRUE(alert) << render(alert.error());
  return alert ? *alert : enriched_alert{};
}

std::string parse_error(const std::string& body) {
  auto alert = parse_alert(body);
  EXPECT_FALSE(alert) << "parsed: " << body;
  if (alert)
    return {};
  EXPECT_EQ(code_of(alert.error()), ec::invalid_input);
  return render(alert.error());
}

bool has(const strings& xs, const std::string& x) {
  return std::find(xs.begin(), xs.end(), x) != xs.end();
}

// -- full payloads ------------------------------------------------------------

TEST(AlertParser, FullKfixPayloadOom) {
  auto a = parse_ok(read_data("kfix_oom_checkout.json"));
  EXPECT_EQ(a.delivery_id, "7716548234011234567");
  EXPECT_EQ(a.monitor_id, "148275309");
  EXPECT_EQ(a.cycle_key, "7716548234011234560");
  EXPECT_EQ(a.aggreg_key, "4f9a1c3e2b");
  EXPECT_EQ(a.transition, "Triggered");
  EXPECT_EQ(a.event_type, "query_alert_monitor");
  EXPECT_EQ(a.priority, "P2");
  EXPECT_EQ(a.date_ms, 1710410531000);
  EXPECT_EQ(
    a.link,
    "https://app.datadoghq.eu/event/jump_to?event_id=7716548234011234567");
  EXPECT_EQ(a.metric, "kubernetes.containers.last_state.terminated");
  ASSERT_TRUE(a.value);
  EXPECT_DOUBLE_EQ(*a.value, 1.0);
  EXPECT_DOUBLE_EQ(a.threshold.value_or(0), 1.0);
  EXPECT_FALSE(a.warn_threshold); // "warn_threshold=" is empty
  EXPECT_EQ(a.comparator, ">=");
  EXPECT_EQ(a.workload, (workload_ref{"Deployment", "shop", "checkout"}));
  EXPECT_EQ(a.pod, "checkout-7d9f8c6b5-x2x8q");
  EXPECT_EQ(a.container, "app");
  EXPECT_EQ(a.cluster, "eu-1");
  EXPECT_EQ(a.env, "prod");
  EXPECT_EQ(a.team, "payments");
  EXPECT_EQ(a.service, "checkout");
  EXPECT_EQ(a.tags.size(), 9u);
  EXPECT_TRUE(has(a.tags, "monitor"));
  EXPECT_EQ(a.type, alert_type::oom_killed);
  EXPECT_TRUE(a.missing.empty()) << ::testing::PrintToString(a.missing);
}

TEST(AlertParser, MemoryPressureFromScopeAndSpacedTags) {
  auto a = parse_ok(read_data("kfix_memory_pressure.json"));
  // Dedicated fields are empty: scope and tags ("a, b") fill in.
  EXPECT_EQ(a.workload, (workload_ref{"Deployment", "shop", "catalog"}));
  EXPECT_EQ(a.container, "server");
  EXPECT_EQ(a.cluster, "eu-1");
  EXPECT_EQ(a.env, "staging");
  EXPECT_EQ(a.tags,
            (strings{"env:staging", "kube_cluster_name:eu-1",
                     "kube_container_name:server", "kube_deployment:catalog",
                     "kube_namespace:shop", "monitor"}));
  EXPECT_DOUBLE_EQ(a.value.value_or(0), 0.9412);
  EXPECT_DOUBLE_EQ(a.threshold.value_or(0), 0.9);
  EXPECT_DOUBLE_EQ(a.warn_threshold.value_or(0), 0.8);
  EXPECT_EQ(a.comparator, ">");
  EXPECT_EQ(a.type, alert_type::memory_pressure);
}

TEST(AlertParser, DefaultPayloadIsAcceptedWithWhatItLacks) {
  auto a = parse_ok(read_data("default_payload.json"));
  EXPECT_EQ(a.delivery_id, "3089904566766935419");
  EXPECT_EQ(a.monitor_id, "");
  EXPECT_EQ(a.transition, "Triggered"); // from "[P2] [Triggered on {...}]"
  EXPECT_EQ(a.date_ms, 1735689600000);
  // The rendered monitor sentence gives metric, comparator and threshold.
  EXPECT_EQ(a.metric, "kubernetes.memory.usage");
  EXPECT_EQ(a.comparator, ">");
  EXPECT_DOUBLE_EQ(a.threshold.value_or(0), 900000000.0);
  EXPECT_FALSE(a.value);
  EXPECT_EQ(a.workload, (workload_ref{"Deployment", "shop", "checkout"}));
  EXPECT_EQ(a.type, alert_type::memory_pressure);
  for (const auto* field :
       {"kfix_payload", "alert_id", "alert_transition", "alert_cycle_key",
        "alert_query", "alert_scope", "tags", "kfix_line"})
    EXPECT_TRUE(has(a.missing, field)) << field;
  EXPECT_FALSE(has(a.missing, "date"));
  EXPECT_FALSE(has(a.missing, "alert_metric"));
}

TEST(AlertParser, DefaultPayloadRecovered) {
  auto a = parse_ok(read_data("default_payload_recovered.json"));
  EXPECT_EQ(a.transition, "Recovered");
  EXPECT_EQ(a.workload, (workload_ref{"Deployment", "shop", "checkout"}));
}

TEST(AlertParser, QuotesNewlinesAndExtraFields) {
  auto a = parse_ok(read_data("quotes_newlines.json"));
  EXPECT_EQ(a.title, "[Triggered on {kube_stateful_set:ledger-db}] "
                     "\"ledger-db\" restarts: OOMKilled");
  EXPECT_NE(a.body.find("said \"out of memory\"\r\n\tcontainer \"postgres\""),
            std::string::npos);
  EXPECT_NE(a.body.find("\\ check"), std::string::npos);
  EXPECT_NE(a.body.find("\xc3\xa9t\xc3\xa9 \xe2\x9c\x93"), std::string::npos);
  EXPECT_EQ(a.transition, "Re-Triggered");
  EXPECT_DOUBLE_EQ(a.value.value_or(0), 5);
  EXPECT_DOUBLE_EQ(a.threshold.value_or(0), 3);
  EXPECT_DOUBLE_EQ(a.warn_threshold.value_or(0), 2);
  EXPECT_EQ(a.comparator, ">");
  // Namespace from the KFIX line's ns=, workload from the tags.
  EXPECT_EQ(a.workload, (workload_ref{"StatefulSet", "ledger", "ledger-db"}));
  EXPECT_EQ(a.pod, "ledger-db-1");
  EXPECT_EQ(a.container, "postgres");
  EXPECT_EQ(a.type, alert_type::oom_killed); // restarts + "OOMKilled"
  EXPECT_TRUE(has(a.missing, "alert_cycle_key"));
}

TEST(AlertParser, NumbersMayArriveAsNumbers) {
  auto a = parse_ok(read_data("numbers_as_numbers.json"));
  EXPECT_EQ(a.delivery_id, "7716548234011230002");
  EXPECT_EQ(a.monitor_id, "148275400");
  EXPECT_EQ(a.cycle_key, "7716548234011230000");
  EXPECT_EQ(a.date_ms, 1710410531000);
  EXPECT_EQ(a.workload, (workload_ref{"Deployment", "web", "search"}));
  EXPECT_EQ(a.type, alert_type::cpu_throttling);
}

TEST(AlertParser, EmptyStringsMeanAbsent) {
  auto a = parse_ok(read_data("empty_strings.json"));
  EXPECT_EQ(a.title, "");
  EXPECT_EQ(a.cycle_key, "");
  EXPECT_EQ(a.metric, "kubernetes.memory.working_set"); // from the query
  EXPECT_EQ(a.comparator, ">");
  EXPECT_DOUBLE_EQ(a.threshold.value_or(0), 900000000);
  // The query's scope names the pod; the workload comes from its name.
  EXPECT_EQ(a.pod, "checkout-7d9f8c6b5-x2x8q");
  EXPECT_EQ(a.workload, (workload_ref{"Deployment", "shop", "checkout"}));
  EXPECT_EQ(a.type, alert_type::memory_pressure);
  for (const auto* field :
       {"alert_cycle_key", "alert_scope", "tags", "kfix_line"})
    EXPECT_TRUE(has(a.missing, field)) << field;
  EXPECT_FALSE(has(a.missing, "alert_query"));
}

TEST(AlertParser, PodNameIsTheLastResortForTheWorkload) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j["kube_deployment"] = "";
  j["tags"] = "env:prod,pod_name:checkout-7d9f8c6b5-x2x8q";
  j["alert_scope"] = "pod_name:checkout-7d9f8c6b5-x2x8q";
  j["title"] = "checkout OOM";
  j["alert_query"] = "max(last_10m):max:kubernetes.containers.last_state."
                     "terminated{reason:oomkilled} >= 1";
  auto a = parse_ok(j.dump());
  EXPECT_EQ(a.workload, (workload_ref{"Deployment", "shop", "checkout"}));
}

TEST(AlertParser, StatefulSetFieldBeatsDeploymentTag) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j["kube_deployment"] = "";
  j["kube_stateful_set"] = "ledger-db";
  auto a = parse_ok(j.dump());
  EXPECT_EQ(a.workload, (workload_ref{"StatefulSet", "shop", "ledger-db"}));
}

// -- errors -------------------------------------------------------------------

class AlertParserMissing : public ::testing::TestWithParam<const char*> {};

TEST_P(AlertParserMissing, AbsentFieldIsNamed) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j.erase(GetParam());
  EXPECT_EQ(parse_error(j.dump()),
            std::string{"invalid_input: missing required field \""} + GetParam()
              + "\"");
}

TEST_P(AlertParserMissing, EmptyFieldIsNamed) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j[GetParam()] = "";
  EXPECT_EQ(parse_error(j.dump()),
            std::string{"invalid_input: missing required field \""} + GetParam()
              + "\"");
}

TEST_P(AlertParserMissing, NullFieldIsNamed) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j[GetParam()] = nullptr;
  EXPECT_EQ(parse_error(j.dump()),
            std::string{"invalid_input: missing required field \""} + GetParam()
              + "\"");
}

INSTANTIATE_TEST_SUITE_P(AlertParser, AlertParserMissing,
                         ::testing::Values("id", "alert_id", "alert_transition",
                                           "date"));

TEST(AlertParser, MissingAlertIdWithoutKfixPayloadMarkerIsDefaultPayload) {
  // Without kfix_payload and alert_id the body is taken as Datadog's
  // default payload, which is accepted with what it has.
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j.erase("kfix_payload");
  j.erase("alert_id");
  auto a = parse_ok(j.dump());
  EXPECT_TRUE(has(a.missing, "alert_id"));
  EXPECT_EQ(a.transition, "Triggered");
}

TEST(AlertParser, AlertIdAloneMarksTheKfixPayload) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j.erase("kfix_payload");
  j.erase("date");
  EXPECT_EQ(parse_error(j.dump()),
            "invalid_input: missing required field \"date\"");
}

TEST(AlertParser, QueryOrMetricRequired) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j.erase("alert_query");
  EXPECT_TRUE(parse_alert(j.dump())); // alert_metric is enough
  j["alert_metric"] = "";
  EXPECT_EQ(parse_error(j.dump()),
            "invalid_input: missing required field \"alert_query\" (or "
            "\"alert_metric\")");
}

TEST(AlertParser, DefaultPayloadStillNeedsAnId) {
  auto j = nlohmann::json::parse(read_data("default_payload.json"));
  j.erase("id");
  EXPECT_EQ(parse_error(j.dump()),
            "invalid_input: missing required field \"id\"");
}

TEST(AlertParser, WrongTypeNamesFieldAndType) {
  EXPECT_EQ(parse_error(read_data("wrong_type_alert_id.json")),
            "invalid_input: field \"alert_id\" has type object, expected a "
            "string");
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j["title"] = nlohmann::json::array({"a", "b"});
  EXPECT_EQ(parse_error(j.dump()),
            "invalid_input: field \"title\" has type array, expected a "
            "string");
  j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j["alert_transition"] = true;
  EXPECT_EQ(parse_error(j.dump()),
            "invalid_input: field \"alert_transition\" has type boolean, "
            "expected a string");
}

TEST(AlertParser, TagsMayBeAnArrayOfStrings) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j["tags"] = nlohmann::json::array({"env:prod", "team:payments, monitor"});
  auto a = parse_ok(j.dump());
  EXPECT_EQ(a.tags, (strings{"env:prod", "team:payments", "monitor"}));
  j["tags"] = nlohmann::json::array({"env:prod", 3});
  EXPECT_NE(parse_error(j.dump()).find("field \"tags\""), std::string::npos);
}

TEST(AlertParser, DateMustBeEpochMillis) {
  auto j = nlohmann::json::parse(read_data("kfix_oom_checkout.json"));
  j["date"] = "yesterday";
  EXPECT_EQ(parse_error(j.dump()),
            "invalid_input: field \"date\" is not epoch milliseconds: "
            "\"yesterday\"");
  j["date"] = "1710410531"; // $DATE_POSIX: seconds
  EXPECT_EQ(parse_ok(j.dump()).date_ms, 1710410531000);
}

TEST(AlertParser, MalformedJsonGivesTheParserReason) {
  for (const auto* file :
       {"malformed_truncated.json", "malformed_unescaped_quote.json"}) {
    auto msg = parse_error(read_data(file));
    EXPECT_EQ(msg.rfind("invalid_input: malformed JSON: ", 0), 0u) << msg;
    EXPECT_GT(msg.size(), std::string{"invalid_input: malformed JSON: "}.size())
      << msg;
  }
  EXPECT_EQ(parse_error(""),
            "invalid_input: malformed JSON: Empty: no JSON found");
}

TEST(AlertParser, RootMustBeAnObject) {
  EXPECT_EQ(parse_error("[1, 2]"),
            "invalid_input: payload is a JSON array, expected an object");
  EXPECT_EQ(parse_error("\"text\""),
            "invalid_input: payload is a JSON string, expected an object");
}

// -- pieces -------------------------------------------------------------------

TEST(AlertParserPieces, SplitTags) {
  EXPECT_EQ(split_tags("a:b,c:d"), (strings{"a:b", "c:d"}));
  EXPECT_EQ(split_tags("availability-zone:us-east-1a, role:computing-node"),
            (strings{"availability-zone:us-east-1a", "role:computing-node"}));
  EXPECT_EQ(split_tags(" , monitor,,image:repo:1.2 "),
            (strings{"monitor", "image:repo:1.2"}));
  EXPECT_TRUE(split_tags("").empty());
}

struct pod_case {
  const char* pod;
  const char* kind;
  const char* name;
};

class AlertParserPodName : public ::testing::TestWithParam<pod_case> {};

TEST_P(AlertParserPodName, InfersOwner) {
  auto ref = workload_from_pod_name(GetParam().pod);
  EXPECT_EQ(ref.kind, GetParam().kind) << GetParam().pod;
  EXPECT_EQ(ref.name, GetParam().name) << GetParam().pod;
}

INSTANTIATE_TEST_SUITE_P(
  AlertParser, AlertParserPodName,
  ::testing::Values(
    pod_case{"checkout-7d9f8c6b5-x2x8q", "Deployment", "checkout"},
    pod_case{"api-gateway-5f4d7c9b8-zk2lp", "Deployment", "api-gateway"},
    pod_case{"web-3954254367-xk2vq", "Deployment", "web"},
    pod_case{"ledger-db-1", "StatefulSet", "ledger-db"},
    pod_case{"postgres-0", "StatefulSet", "postgres"},
    pod_case{"node-exporter-x2x8q", "", ""},
    pod_case{"my-app-worker-abcde", "", ""}, pod_case{"checkout", "", ""},
    pod_case{"", "", ""}));

TEST(AlertParserPieces, TransitionFromTitle) {
  EXPECT_EQ(transition_from_title("[Triggered] checkout memory"), "Triggered");
  EXPECT_EQ(transition_from_title(
              "[P2] [Recovered on {@conditions:NOT_SYNCHRONIZED}] xDai UE2-A"),
            "Recovered");
  EXPECT_EQ(transition_from_title("[Re-Triggered on {host:a}] x"),
            "Re-Triggered");
  EXPECT_EQ(transition_from_title("[No Data on {host:a}] x"), "No Data");
  EXPECT_EQ(transition_from_title("[Warn] disk"), "Warn");
  EXPECT_EQ(transition_from_title("checkout memory"), "");
}

TEST(AlertParserPieces, KfixLine) {
  auto line = parse_kfix_line(
    "text before\nKFIX value=1.02e9 threshold=9e8 warn_threshold= "
    "comparator=&gt; ns=shop deploy=checkout @webhook-kfix trailing=x\n");
  ASSERT_TRUE(line);
  EXPECT_DOUBLE_EQ(line->value.value_or(0), 1.02e9);
  EXPECT_DOUBLE_EQ(line->threshold.value_or(0), 9e8);
  EXPECT_FALSE(line->warn_threshold);
  EXPECT_EQ(line->comparator, ">");
  EXPECT_EQ(line->fields.at("ns"), "shop");
  EXPECT_EQ(line->fields.at("deploy"), "checkout");
  EXPECT_EQ(line->fields.count("trailing"), 0u); // stops at @webhook-kfix
  EXPECT_FALSE(parse_kfix_line("no line here"));
  EXPECT_FALSE(parse_kfix_line("XKFIX value=1")); // not a word of its own
  auto commas = parse_kfix_line("KFIX value=1,020,000 threshold=n/a");
  ASSERT_TRUE(commas);
  EXPECT_DOUBLE_EQ(commas->value.value_or(0), 1020000);
  EXPECT_FALSE(commas->threshold);
}

// -- classification -----------------------------------------------------------

struct classify_case {
  const char* name;
  const char* metric;
  const char* query;
  const char* title;
  const char* body;
  alert_type expected;
};

class AlertParserClassify : public ::testing::TestWithParam<classify_case> {};

TEST_P(AlertParserClassify, Table) {
  const auto& c = GetParam();
  enriched_alert a;
  a.metric = c.metric;
  a.query = c.query;
  a.title = c.title;
  a.body = c.body;
  EXPECT_EQ(to_string(classify(a)), to_string(c.expected)) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
  AlertParser, AlertParserClassify,
  ::testing::Values(
    classify_case{"last_state oomkilled", "",
                  "max(last_10m):max:kubernetes.containers.last_state."
                  "terminated{reason:oomkilled} by {pod_name} >= 1",
                  "", "", alert_type::oom_killed},
    classify_case{"last_state error is not OOM",
                  "kubernetes.containers.last_state.terminated",
                  "max(last_10m):max:kubernetes.containers.last_state."
                  "terminated{reason:error} by {pod_name} >= 1",
                  "pod terminated", "", alert_type::unknown},
    classify_case{"oom events", "container.memory.oom_events", "", "", "",
                  alert_type::oom_killed},
    classify_case{"restarts with OOM", "kubernetes.containers.restarts", "",
                  "checkout restarting (OOMKilled)", "",
                  alert_type::oom_killed},
    classify_case{"restarts alone", "kubernetes.containers.restarts", "",
                  "checkout restarting", "", alert_type::crash_loop},
    classify_case{"words only", "", "", "[Triggered] checkout OOMKilled", "",
                  alert_type::oom_killed},
    classify_case{"near OOM is pressure", "kubernetes.memory.working_set", "",
                  "checkout near OOM", "", alert_type::memory_pressure},
    classify_case{"working set", "kubernetes.memory.working_set", "", "", "",
                  alert_type::memory_pressure},
    classify_case{"rss over limits", "",
                  "avg(last_5m): kubernetes.memory.rss / "
                  "kubernetes.memory.limits * 100 > 95",
                  "", "", alert_type::memory_pressure},
    classify_case{"memory title", "custom.heap", "", "Java memory high", "",
                  alert_type::memory_pressure},
    classify_case{"throttling", "kubernetes.cpu.cfs.throttled.periods", "", "",
                  "", alert_type::cpu_throttling},
    classify_case{"cpu usage", "kubernetes.cpu.usage.total", "", "", "",
                  alert_type::cpu_saturation},
    classify_case{"crashloop reason", "",
                  "max(last_10m):max:kubernetes_state.container.status_report."
                  "count.waiting{reason:crashloopbackoff} by {pod_name} >= 1",
                  "", "", alert_type::crash_loop},
    classify_case{"image pull reason", "",
                  "max(last_10m):max:kubernetes_state.container.status_report."
                  "count.waiting{reason:imagepullbackoff} by {pod_name} >= 1",
                  "", "", alert_type::image_pull},
    classify_case{"hpa", "kubernetes_state.hpa.current_replicas", "",
                  "hpa at max", "", alert_type::hpa_maxed},
    classify_case{"pending", "",
                  "max(last_10m):sum:kubernetes_state.pod.status_phase{pod_"
                  "phase:pending} by {kube_namespace} > 3",
                  "", "", alert_type::pending_pods},
    classify_case{"nothing", "trace.http.request.hits", "", "traffic", "",
                  alert_type::unknown},
    classify_case{"config error reason", "kubernetes.containers.state.waiting",
                  "max(last_10m):max:kubernetes.containers.state.waiting{"
                  "reason:createcontainerconfigerror} by {pod_name} >= 1",
                  "", "", alert_type::crash_loop},
    classify_case{"APM error rate", "trace.http.request.errors",
                  "sum(last_10m):sum:trace.http.request.errors{service:a}."
                  "as_count() / sum:trace.http.request.hits{service:a}."
                  "as_count() > 0.05",
                  "", "", alert_type::error_rate},
    classify_case{"APM latency", "trace.http.request.duration.by.service.99p",
                  "avg(last_10m):avg:trace.http.request.duration.by.service."
                  "99p{service:a} > 0.5",
                  "", "", alert_type::latency},
    classify_case{"liveness failures",
                  "kubernetes.liveness_probe.failure.total", "", "", "",
                  alert_type::probe_failure},
    classify_case{"storage evictions", "kubernetes.kubelet.evictions", "",
                  "pods evicted (ephemeral storage)", "",
                  alert_type::ephemeral_storage},
    // A business metric with nothing Kubernetes about it: no row may match
    // by default (a row without patterns once classified everything as an
    // OOM kill).
    classify_case{"business metric", "shop.checkout.abandoned",
                  "sum(last_30m):sum:shop.checkout.abandoned{env:prod}."
                  "as_count() > 300",
                  "Checkout abandonment above normal", "",
                  alert_type::unknown}));

} // namespace
} // namespace kfix::intake
