#include "eval/sim/datadog_simulator.hpp"
#include "eval/sim/dd_logs.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

using namespace kfix;
using namespace kfix::sim;
using namespace kfix::sim::test;
using ::testing::ElementsAre;
using ::testing::StartsWith;
using json = nlohmann::json;

namespace {

const std::vector<std::pair<std::string, std::string>> keys{
  {"DD-API-KEY", "k"}, {"DD-APPLICATION-KEY", "a"}};

constexpr const char* search_path = "/api/v2/logs/events/search";

class SimDatadogLogs : public ::testing::Test {
protected:
  SimDatadogLogs() : sim(test_state()) {}

  http::response search_raw(const json& body) {
    return sim.handle(make_request("POST", search_path, body.dump(), keys));
  }

  json search(const json& body, int status = 200) {
    auto resp = search_raw(body);
    EXPECT_EQ(resp.status, status) << body.dump() << ": " << resp.body;
    return body_of(resp);
  }

  /// Log numbers (AQAAAsimlog07 -> 7) of a query over the whole morning.
  std::vector<int> hits(const std::string& query,
                        const std::string& sort = "-timestamp") {
    auto body = search(json{
      {"filter",
       {{"query", query}, {"from", "2026-03-14T09:00:00Z"}, {"to", "now"}}},
      {"page", {{"limit", 100}}},
      {"sort", sort}});
    return numbers(body);
  }

  static std::vector<int> numbers(const json& body) {
    std::vector<int> result;
    for (const auto& item : body["data"])
      result.push_back(std::stoi(item["id"].get<std::string>().substr(11)));
    return result;
  }

  datadog_simulator sim;
};

} // namespace

TEST_F(SimDatadogLogs, DefaultsToTheLastFifteenMinutesNewestFirst) {
  EXPECT_EQ(sim.now(), 1773482520000); // newest log, 10:02:00
  auto body = search(json::object());
  EXPECT_THAT(numbers(body), ElementsAre(12, 10, 9, 8, 7, 6, 5, 4, 3, 2));
  EXPECT_EQ(body["data"][0]["type"], "log");
  EXPECT_EQ(body["data"][0]["attributes"]["message"],
            "Payment accepted for order 1234");
  EXPECT_EQ(body["meta"]["status"], "done");
  EXPECT_TRUE(body["meta"].contains("request_id"));
  EXPECT_TRUE(body["meta"].contains("elapsed"));
  auto after = body["meta"]["page"]["after"].get<std::string>();
  EXPECT_FALSE(after.empty());
  EXPECT_THAT(body["links"]["next"].get<std::string>(),
              StartsWith("https://api.datadoghq.com/api/v2/logs/events?"));
  auto next = search(json{{"page", {{"cursor", after}}}});
  EXPECT_THAT(numbers(next), ElementsAre(1));
  EXPECT_FALSE(next["meta"].contains("page"));
  EXPECT_FALSE(next.contains("links"));
}

TEST_F(SimDatadogLogs, PaginatesToTheEnd) {
  json request{{"filter", {{"from", "2026-03-14T00:00:00Z"}, {"to", "now"}}},
               {"page", {{"limit", 3}}}};
  std::vector<int> all;
  int pages = 0;
  for (;;) {
    auto body = search(request);
    ++pages;
    auto page = numbers(body);
    all.insert(all.end(), page.begin(), page.end());
    if (!body["meta"].contains("page"))
      break;
    request["page"]["cursor"] = body["meta"]["page"]["after"];
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 4);
  EXPECT_THAT(all, ElementsAre(12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 11));
  // Ascending order pages the other way.
  request = json{{"filter", {{"from", "2026-03-14T00:00:00Z"}}},
                 {"page", {{"limit", 5}}},
                 {"sort", "timestamp"}};
  auto first = search(request);
  EXPECT_THAT(numbers(first), ElementsAre(11, 1, 2, 3, 4));
  request["page"]["cursor"] = first["meta"]["page"]["after"];
  EXPECT_THAT(numbers(search(request)), ElementsAre(5, 6, 7, 8, 9));
  EXPECT_EQ(search(json{{"page", {{"cursor", "nope"}}}}, 400)["errors"][0],
            "Invalid cursor: nope");
}

TEST_F(SimDatadogLogs, FiltersByReservedAttributesAndTags) {
  EXPECT_THAT(hits("service:checkout status:error"), ElementsAre(10, 8, 4, 1));
  EXPECT_THAT(hits("service:checkout status:error", "timestamp"),
              ElementsAre(1, 4, 8, 10));
  EXPECT_THAT(hits("status:error -service:checkout"), ElementsAre(9, 5));
  EXPECT_THAT(hits("service:checkout AND NOT status:error"),
              ElementsAre(12, 6, 3, 2, 11));
  EXPECT_THAT(hits("(service:frontend OR service:ledger)"), ElementsAre(9, 5));
  EXPECT_THAT(hits("service:(frontend OR ledger)"), ElementsAre(9, 5));
  EXPECT_THAT(hits("kube_namespace:payments"), ElementsAre(9));
  EXPECT_THAT(hits("host:node-2"), ElementsAre(12, 9, 8, 4));
  EXPECT_THAT(hits("source:envoy"), ElementsAre(7));
  EXPECT_THAT(hits("pod_name:checkout-7d9f8c6b5-abcde"), ElementsAre(12, 8, 4));
  EXPECT_EQ(hits("service:check*").size(), 9u);
  EXPECT_THAT(hits("status:warn OR service:istio-proxy"), ElementsAre(7, 3));
  EXPECT_EQ(hits("*").size(), 12u);
  EXPECT_EQ(hits("").size(), 12u);
}

TEST_F(SimDatadogLogs, FiltersByFacetsAndText) {
  EXPECT_THAT(hits("@http.status_code:503"), ElementsAre(4));
  EXPECT_THAT(hits("@http.status_code:>=500"), ElementsAre(5, 4, 1));
  EXPECT_THAT(hits("@http.status_code:[200 TO 299]"), ElementsAre(12, 2));
  EXPECT_THAT(hits("@http.method:POST"), ElementsAre(12, 4, 1));
  EXPECT_THAT(hits("@duration:>1000000000"), ElementsAre(1));
  EXPECT_THAT(hits("@http.url:\"/api/checkout\""), ElementsAre(12, 4, 1));
  EXPECT_THAT(hits("OutOfMemoryError"), ElementsAre(8, 1));
  EXPECT_THAT(hits("outofmemoryerror"), ElementsAre(8, 1));
  EXPECT_THAT(hits("\"heap space\""), ElementsAre(1));
  EXPECT_THAT(hits("Metasp*"), ElementsAre(8));
  EXPECT_THAT(hits("OutOfMemoryError -Metaspace"), ElementsAre(1));
  EXPECT_THAT(hits("nothing-like-this"), ElementsAre());
}

TEST_F(SimDatadogLogs, TimeWindows) {
  auto window = [&](json from, json to) {
    return numbers(search(json{{"filter", {{"from", from}, {"to", to}}},
                               {"page", {{"limit", 100}}}}));
  };
  EXPECT_THAT(window("2026-03-14T10:01:00Z", "2026-03-14T10:01:30Z"),
              ElementsAre(7, 6, 5, 4));
  EXPECT_THAT(window(1773482460000, "1773482490000"), ElementsAre(7, 6, 5, 4));
  EXPECT_THAT(window("now-1m", "now"), ElementsAre(12, 10, 9, 8, 7, 6, 5, 4));
  sim.set_now(1773482460000); // 10:01:00
  EXPECT_THAT(window("now-30s", "now"), ElementsAre(4, 3));
  EXPECT_EQ(search(json{{"filter", {{"from", "yesterday"}}}}, 400)["errors"][0],
            "Invalid filter.from: \"yesterday\"");
}

TEST_F(SimDatadogLogs, ValidatesTheRequest) {
  EXPECT_THAT(search(json{{"page", {{"limit", 1001}}}}, 400)["errors"][0]
                .get<std::string>(),
              StartsWith("API input validation failed: page.limit"));
  search(json{{"page", {{"limit", 1000}}}}, 200);
  search(json{{"sort", "newest"}}, 400);
  search(json{{"filter", {{"query", "(service:x"}}}}, 400);
  auto garbage = sim.handle(make_request("POST", search_path, "{", keys));
  EXPECT_EQ(garbage.status, 400);
  auto get = sim.handle(
    make_request("GET",
                 "/api/v2/logs/events?filter%5Bquery%5D=service%3Aledger"
                 "&filter%5Bfrom%5D=now-1h",
                 {}, keys));
  ASSERT_EQ(get.status, 200);
  EXPECT_THAT(numbers(body_of(get)), ElementsAre(9));
  auto unknown = sim.handle(make_request("GET", "/api/v1/nothing", {}, keys));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(body_of(unknown), json::parse(R"({"errors":["Not found"]})"));
  EXPECT_THAT(sim.unknown_requests(), ElementsAre("GET /api/v1/nothing"));
  auto wrong_method = sim.handle(make_request("GET", search_path, {}, keys));
  EXPECT_EQ(wrong_method.status, 405);
}

TEST_F(SimDatadogLogs, NeedsKeysAndInjectsFaults) {
  auto denied = sim.handle(make_request("POST", search_path, "{}"));
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(body_of(denied), json::parse(R"({"errors":["Forbidden"]})"));
  sim.fail_path("/api/v2/logs", 429, 2);
  for (int i = 0; i < 2; ++i) {
    auto limited = search_raw(json::object());
    EXPECT_EQ(limited.status, 429);
    EXPECT_EQ(header_of(limited, "X-RateLimit-Limit"), "300");
    EXPECT_EQ(header_of(limited, "X-RateLimit-Period"), "3600");
    EXPECT_EQ(header_of(limited, "X-RateLimit-Remaining"), "0");
    EXPECT_EQ(header_of(limited, "X-RateLimit-Reset"), "1");
    EXPECT_EQ(header_of(limited, "X-RateLimit-Name"), "logs_query");
  }
  EXPECT_EQ(search_raw(json::object()).status, 200);
  sim.fail_path("/api/v2/logs", 500);
  EXPECT_EQ(body_of(search_raw(json::object())),
            json::parse(R"({"errors":["Internal Server Error"]})"));
  sim.clear_faults();
  EXPECT_EQ(search_raw(json::object()).status, 200);
  EXPECT_EQ(sim.request_count(), 6u);
}

TEST(SimLogQuery, ParsesAndMatches) {
  auto event = json::parse(R"({"attributes":{"message":"Timeout: upstream",
    "service":"api","status":"error","tags":["env:prod","team:core"],
    "attributes":{"http":{"status_code":504},"user":{"ids":[1,2,3]}}}})");
  auto match = [&](const char* q) {
    auto parsed = log_query::parse(q);
    EXPECT_TRUE(parsed) << q;
    return parsed && parsed->matches(event);
  };
  EXPECT_TRUE(match("service:api env:prod"));
  EXPECT_TRUE(match("team:core AND @http.status_code:504"));
  EXPECT_TRUE(match("@user.ids:2"));
  EXPECT_TRUE(match("timeout"));
  EXPECT_TRUE(match("-service:web"));
  EXPECT_TRUE(match("service:web OR status:error"));
  EXPECT_TRUE(match("NOT (service:web OR status:ok)"));
  EXPECT_FALSE(match("env:dev"));
  EXPECT_FALSE(match("service:api -status:error"));
  EXPECT_FALSE(match("@http.status_code:<500"));
  EXPECT_FALSE(log_query::parse("service:(a OR b"));
  EXPECT_FALSE(log_query::parse("\"unterminated"));
  EXPECT_EQ(parse_log_time("now-15m", 1000000000), 1000000000 - 900000);
  EXPECT_EQ(parse_log_time("now-2h", 10000000), 10000000 - 7200000);
  EXPECT_EQ(parse_log_time("2026-03-14T10:01:58.123Z", 0), 1773482518123);
  EXPECT_EQ(parse_log_time("2026-03-14T11:01:58+01:00", 0), 1773482518000);
  EXPECT_FALSE(parse_log_time("now-5x", 0));
}
