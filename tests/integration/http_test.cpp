// The HTTP layer over real loopback sockets: the Beast server's limits and
// the curl client's retries.

#include "actors/common/http_client.hpp"
#include "actors/common/http_server.hpp"
#include "actors/common/metrics.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <mutex>
#include <thread>

namespace {

using namespace kfix;

struct server_fixture {
  explicit server_fixture(http::handler fn, http::server_config cfg = {}) {
    auto started = http::start_server(cfg, std::move(fn));
    EXPECT_TRUE(started) << render(started.error());
    server = std::move(*started);
  }
  std::unique_ptr<http::server> server;
};

http::outgoing request_to(const std::string& url, int attempts = 3) {
  http::outgoing req;
  req.service = "test";
  req.url = url;
  req.max_attempts = attempts;
  req.timeout = std::chrono::milliseconds{2000};
  return req;
}

http::client_config fast_retries() {
  http::client_config cfg;
  cfg.backoff_base = std::chrono::milliseconds{5};
  cfg.backoff_cap = std::chrono::milliseconds{20};
  return cfg;
}

TEST(HttpServer, RejectsOversizedBodiesWith413) {
  http::server_config cfg;
  cfg.body_limit = 1024;
  server_fixture s{http::sync_handler([](const http::request& r) {
                     return http::json_response(200, {{"size", r.body.size()}});
                   }),
                   cfg};
  auto client = http::make_curl_client();
  auto req = request_to(s.server->base_url() + "/x", 1);
  req.method = "POST";
  req.body = std::string(1024, 'a');
  auto ok = client->send(req);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  req.body = std::string(4096, 'a');
  auto big = client->send(req);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_NE(big->body.find("exceeds 1024 bytes"), std::string::npos);
}

TEST(HttpServer, DecodesPathAndQueryAndLowercasesHeaders) {
  http::request seen;
  server_fixture s{http::sync_handler([&](const http::request& r) {
    seen = r;
    return http::response{};
  })};
  auto client = http::make_curl_client();
  auto req
    = request_to(s.server->base_url()
                   + "/api/v1/query?query=avg%3Amem%7Bns%3Ashop%7D&from=1",
                 1);
  req.headers = {{"X-Custom", "Value"}};
  ASSERT_TRUE(client->send(req));
  EXPECT_EQ(seen.path, "/api/v1/query");
  EXPECT_EQ(seen.query_param("query"), "avg:mem{ns:shop}");
  EXPECT_EQ(seen.query_param("from"), "1");
  EXPECT_EQ(seen.header("x-custom"), "Value");
}

TEST(HttpServer, AnswersLaterThroughTheResponder) {
  std::vector<std::thread> workers;
  server_fixture s{[&](http::request&&, http::responder respond) {
    workers.emplace_back([respond] {
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
      respond(http::json_response(202, {{"later", true}}));
    });
  }};
  auto answer
    = http::make_curl_client()->send(request_to(s.server->base_url() + "/", 1));
  for (auto& w : workers)
    w.join();
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 202);
}

TEST(HttpClient, RetriesServerErrorsThenSucceeds) {
  std::atomic<int> calls{0};
  server_fixture s{http::sync_handler([&](const http::request&) {
    if (++calls < 3)
      return http::error_response(503, "busy");
    return http::json_response(200, {{"ok", true}});
  })};
  auto answer = http::make_curl_client(fast_retries())
                  ->send(request_to(s.server->base_url() + "/", 3));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->attempts, 3);
  EXPECT_EQ(calls.load(), 3);
}

TEST(HttpClient, HonoursRetryAfterAndGivesUpAfterMaxAttempts) {
  std::atomic<int> calls{0};
  server_fixture s{http::sync_handler([&](const http::request&) {
    ++calls;
    auto resp = http::error_response(429, "slow down");
    resp.header("retry-after-ms", "120");
    return resp;
  })};
  auto started = std::chrono::steady_clock::now();
  auto answer = http::make_curl_client(fast_retries())
                  ->send(request_to(s.server->base_url() + "/", 2));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 429); // the last answer is returned as a value
  EXPECT_EQ(calls.load(), 2);
  EXPECT_GE(took, std::chrono::milliseconds{120});
}

TEST(HttpClient, DoesNotRetryClientErrors) {
  std::atomic<int> calls{0};
  server_fixture s{http::sync_handler([&](const http::request&) {
    ++calls;
    return http::error_response(403, "forbidden");
  })};
  auto answer = http::make_curl_client(fast_retries())
                  ->send(request_to(s.server->base_url() + "/", 3));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 403);
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpClient, ConnectionFailureIsAnErrorNamingTheService) {
  uint16_t port = 0;
  {
    server_fixture s{http::sync_handler([](const http::request&) {
      return http::response{};
    })};
    port = s.server->port();
  }
  auto req = request_to("http://127.0.0.1:" + std::to_string(port) + "/", 2);
  req.service = "datadog";
  auto answer = http::make_curl_client(fast_retries())->send(req);
  ASSERT_FALSE(answer);
  EXPECT_EQ(code_of(answer.error()), ec::unavailable);
  EXPECT_NE(render(answer.error()).find("datadog GET"), std::string::npos)
    << render(answer.error());
  // Counted by service for /metrics.
  EXPECT_NE(metrics::default_registry().render().find(
              "kfix_external_call_errors_total{service=\"datadog\",kind="
              "\"network\"}"),
            std::string::npos);
}

TEST(HttpClient, TimeoutIsATimeoutError) {
  // Holds the request open past the client's timeout, then answers.
  std::vector<http::responder> pending;
  std::mutex mtx;
  server_fixture s{[&](http::request&&, http::responder respond) {
    std::lock_guard<std::mutex> guard{mtx};
    pending.push_back(std::move(respond));
  }};
  auto req = request_to(s.server->base_url() + "/", 1);
  req.timeout = std::chrono::milliseconds{150};
  auto answer = http::make_curl_client(fast_retries())->send(req);
  ASSERT_FALSE(answer);
  EXPECT_EQ(code_of(answer.error()), ec::timeout) << render(answer.error());
  std::lock_guard<std::mutex> guard{mtx};
  for (auto& respond : pending)
    respond(http::response{});
}

TEST(HttpClient, SendAllRunsConcurrentlyAndKeepsOrderAndObserves) {
  server_fixture s{http::sync_handler([](const http::request& r) {
                     std::this_thread::sleep_for(
                       std::chrono::milliseconds{200});
                     http::response resp;
                     resp.body = r.path;
                     return resp;
                   }),
                   [] {
                     http::server_config cfg;
                     cfg.threads = 4;
                     return cfg;
                   }()};
  std::atomic<int> observed{0};
  auto cfg = fast_retries();
  cfg.observer = [&](const http::outgoing&, const http::incoming&) {
    ++observed;
  };
  std::vector<http::outgoing> reqs;
  for (auto path : {"/a", "/b", "/c", "/d"})
    reqs.push_back(request_to(s.server->base_url() + path, 1));
  auto started = std::chrono::steady_clock::now();
  auto answers = http::make_curl_client(cfg)->send_all(reqs);
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0]->body, "/a");
  EXPECT_EQ(answers[3]->body, "/d");
  EXPECT_EQ(observed.load(), 4);
  // Sequential calls would take 800 ms; concurrent ones about 200 ms.
  EXPECT_LT(took, std::chrono::milliseconds{650});
}

} // namespace
