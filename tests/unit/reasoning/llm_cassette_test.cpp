#include "actors/reasoning/llm_cassette.hpp"
#include "actors/reasoning/llm_replay.hpp"
#include "tests/unit/reasoning/llm_fixtures.hpp"
#include "tests/unit/sim/sim_test_support.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace kfix::reasoning {
namespace {

namespace fs = std::filesystem;
using test::scripted_client;
using test::test_llm_config;

struct cassette_dir : ::testing::Test {
  sim::test::temp_dir dir;
  fs::path file = dir.path() / "cassette.jsonl";

  std::string text() const {
    return sim::test::read_file(file);
  }
};

constexpr const char* k8s_line
  = R"({"service":"kubernetes","request":{"method":"GET","path":"/api/v1/namespaces/shop/pods","query":{},"body":null},"response":{"status":200,"headers":{"content-type":"application/json"},"body":{"kind":"PodList","items":[]}}})";

TEST_F(cassette_dir, ReplaceKeepsOtherServicesAndReadsBack) {
  EXPECT_FALSE(cassette::has_service(file, "llm"));
  auto none = cassette::read(file);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  std::ofstream{file} << k8s_line << "\n";
  nlohmann::json x{{"service", "llm"},
                   {"request",
                    {{"method", "POST"},
                     {"path", "/v1/messages"},
                     {"query", nlohmann::json::object()},
                     {"body", {{"model", "m"}}}}},
                   {"response",
                    {{"status", 200},
                     {"headers", nlohmann::json::object()},
                     {"body", "plain text"}}}};
  ASSERT_FALSE(cassette::replace_service(file, "llm", {x, x}));
  ASSERT_FALSE(cassette::replace_service(file, "llm", {x}));
  auto all = cassette::read(file);
  ASSERT_TRUE(all) << render(all.error());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].service, "kubernetes");
  EXPECT_EQ((*all)[1].service, "llm");
  EXPECT_EQ((*all)[1].response_body, "plain text");
  EXPECT_EQ(text().rfind(k8s_line, 0), 0u); // kept byte for byte
  EXPECT_TRUE(cassette::has_service(file, "llm"));
  std::ofstream{file, std::ios::app} << "{oops\n";
  auto broken = cassette::read(file);
  ASSERT_FALSE(broken);
  EXPECT_NE(render(broken.error()).find("line 3: not JSON"), std::string::npos);
}

llm_request plain_request(const std::string& user) {
  llm_request req;
  req.system = "sys";
  req.turns.push_back({"user", user});
  req.schema = nlohmann::json::object();
  return req;
}

TEST_F(cassette_dir, RecordedLinesFollowTheSpecAndNeverHoldCredentials) {
  auto cfg = test_llm_config();
  auto live = std::make_shared<scripted_client>(cfg);
  live->answer("{}", 19, 10);
  auto& ex = live->script.back();
  ex.response_body
    = R"({"api_key":"sk-live-123","usage":{"prompt_tokens":19}})";
  ex.response_headers = {{"content-type", "application/json"},
                         {"set-cookie", "session=1"},
                         {"authorization", "Bearer x"},
                         {"x-ratelimit-remaining-requests", "499"}};
  recorded_completion rec{file, cfg, live};
  rec.complete(plain_request(
    "login failed: Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123"));
  ASSERT_FALSE(rec.save());
  auto all = cassette::read(file);
  ASSERT_TRUE(all) << render(all.error());
  ASSERT_EQ(all->size(), 1u);
  const auto& line = (*all)[0].line;
  EXPECT_EQ(line["service"], "llm");
  EXPECT_EQ(line["request"]["method"], "POST");
  EXPECT_EQ(line["request"]["path"], "/v1/chat/completions");
  EXPECT_EQ(line["request"]["query"], nlohmann::json::object());
  EXPECT_EQ(line["request"]["body"]["model"], "gpt-4o");
  EXPECT_EQ(line["response"]["status"], 200);
  EXPECT_EQ(line["response"]["body"]["api_key"], "<redacted>");
  // Token counts are no secrets.
  EXPECT_EQ(line["response"]["body"]["usage"]["prompt_tokens"], 19);
  EXPECT_EQ(line["response"]["headers"]["x-ratelimit-remaining-requests"],
            "499");
  EXPECT_FALSE(line["response"]["headers"].contains("authorization"));
  auto written = text();
  EXPECT_EQ(written.find("abcdefghijklmnopqrstuvwxyz0123"), std::string::npos);
  EXPECT_EQ(written.find("session=1"), std::string::npos);
  EXPECT_EQ(written.find("sk-live-123"), std::string::npos);
}

TEST_F(cassette_dir, RecordsLiveThenReplaysIdenticalBodiesOnly) {
  auto cfg = test_llm_config();
  std::ofstream{file} << k8s_line << "\n";
  auto live = std::make_shared<scripted_client>(cfg);
  live->answer(test::valid_answer().dump(), 1200, 300);
  live->script.back().response_body
    = R"({"choices":[{"index":0,"message":{"role":"assistant","content":"{}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":300}})";
  live->script.back().response_headers
    = {{"x-ratelimit-remaining-requests", "499"}};
  {
    recorded_completion rec{file, cfg, live};
    auto ex = rec.complete(plain_request("incident A"));
    EXPECT_EQ(ex.source, "live");
    EXPECT_TRUE(rec.recorded_live());
    ASSERT_FALSE(rec.save());
  }
  auto lines = cassette::read(file, "llm");
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 1u);
  EXPECT_EQ((*lines)[0].path, "/v1/chat/completions");
  EXPECT_EQ((*lines)[0].request_body["model"], "gpt-4o");
  EXPECT_EQ((*lines)[0].response_headers["x-ratelimit-remaining-requests"],
            "499");
  EXPECT_EQ(cassette::read(file, "kubernetes")->size(), 1u);
  // Replay without an endpoint: the same body answers from the cassette.
  recorded_completion offline{file, cfg, nullptr};
  auto replayed = offline.complete(plain_request("incident A"));
  EXPECT_EQ(replayed.source, "replay");
  EXPECT_EQ(replayed.http_status, 200);
  EXPECT_EQ(replayed.reply.outcome, llm_outcome::ok);
  EXPECT_EQ(replayed.reply.prompt_tokens, 1200);
  EXPECT_FALSE(offline.recorded_live());
  // A changed prompt is stale and calls nothing.
  auto stale = offline.complete(plain_request("incident A, prompt v2"));
  EXPECT_EQ(stale.source, "stale");
  EXPECT_EQ(stale.reply.outcome, llm_outcome::stale);
  EXPECT_NE(stale.reply.detail.find("none of the 1 LLM exchanges"),
            std::string::npos);
  // So does a changed model.
  auto other = cfg;
  other.model = "gpt-4.1";
  recorded_completion changed{file, other, nullptr};
  EXPECT_EQ(changed.complete(plain_request("incident A")).source, "stale");
  EXPECT_EQ(live->requests.size(), 1u);
}

TEST_F(cassette_dir, NothingRecordedIsStale) {
  recorded_completion rec{file, test_llm_config(), nullptr};
  auto ex = rec.complete(plain_request("x"));
  EXPECT_EQ(ex.reply.outcome, llm_outcome::stale);
  EXPECT_NE(ex.reply.detail.find("no LLM exchange is recorded"),
            std::string::npos);
  ASSERT_FALSE(rec.save());
  EXPECT_FALSE(fs::exists(file));
}

} // namespace
} // namespace kfix::reasoning
