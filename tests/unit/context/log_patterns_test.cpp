#include "actors/context/log_patterns.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace kfix::context {
namespace {

log_record rec(std::string ts, std::string status, std::string message,
               std::string service = "api") {
  return log_record{std::move(ts), std::move(status), std::move(service),
                    std::move(message)};
}

TEST(LogPatterns, TemplateReplacesVariableParts) {
  EXPECT_EQ(log_template("GET /orders/123 took 250ms"),
            "GET /orders/<num> took <num>ms");
  EXPECT_EQ(log_template("request 0b6c1e2a-3c2b-4d4e-9a51-0b8f2f1c9e11 "
                         "failed"),
            "request <uuid> failed");
  EXPECT_EQ(log_template("2026-03-14T10:01:58.123Z connection to "
                         "10.0.3.17:5432 refused"),
            "<time> connection to <ip> refused");
  EXPECT_EQ(
    log_template("trace 0xdeadbeef span 4bf92f3577b34da6a3ce929d0e0e4736"),
    "trace <hex> span <hex>");
  EXPECT_EQ(log_template("pod checkout-7d9f8c6b5-x2x8q OOMKilled"),
            "pod checkout-<id> OOMKilled");
  EXPECT_EQ(log_template("  many\t\tspaces \n here "), "many spaces here");
  EXPECT_EQ(log_template("password=<redacted> rejected"),
            "password=<redacted> rejected");
  EXPECT_LE(log_template(std::string(10000, 'x')).size(), 300u);
}

TEST(LogPatterns, GroupsCountsAndTimes) {
  log_pattern_builder b;
  b.add(rec("2026-03-14T10:00:00Z", "error", "timeout after 30s calling db"));
  b.add(rec("2026-03-14T10:05:00Z", "error", "timeout after 31s calling db"));
  b.add(rec("2026-03-14T09:55:00Z", "error", "timeout after 29s calling db"));
  b.add(rec("2026-03-14T10:01:00Z", "warn", "timeout after 30s calling db"));
  b.add(rec("2026-03-14T10:02:00Z", "error", "OutOfMemoryError: Java heap"));
  EXPECT_EQ(b.events(), 5);
  auto patterns = b.finish(10);
  ASSERT_EQ(patterns.size(), 3u);
  const auto& top = patterns[0];
  EXPECT_EQ(top.pattern, "timeout after <num>s calling db");
  EXPECT_EQ(top.status, "error");
  EXPECT_EQ(top.service, "api");
  EXPECT_EQ(top.count, 3);
  EXPECT_EQ(top.first_seen, "2026-03-14T09:55:00Z");
  EXPECT_EQ(top.last_seen, "2026-03-14T10:05:00Z");
  EXPECT_EQ(top.example, "timeout after 31s calling db"); // the newest
  // Same count: the more recent first.
  EXPECT_EQ(patterns[1].pattern, "OutOfMemoryError: Java heap");
  EXPECT_EQ(patterns[2].status, "warn");
  EXPECT_EQ(b.finish(1).size(), 1u);
}

TEST(LogPatterns, BoundedGroups) {
  log_pattern_builder b{2};
  b.add(rec("2026-03-14T10:00:00Z", "error", "alpha"));
  b.add(rec("2026-03-14T10:00:00Z", "error", "beta"));
  b.add(rec("2026-03-14T10:00:00Z", "error", "gamma"));
  b.add(rec("2026-03-14T10:00:00Z", "error", "alpha"));
  EXPECT_EQ(b.events(), 4);
  EXPECT_EQ(b.ungrouped(), 1);
  auto patterns = b.finish(10);
  ASSERT_EQ(patterns.size(), 2u);
  EXPECT_EQ(patterns[0].count, 2);
}

TEST(LogPatterns, LinearTimeOnHostileInput) {
  // Nested digits and dots that backtracking engines choke on.
  std::string hostile;
  for (int i = 0; i < 4000; ++i)
    hostile += "1.";
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i)
    (void)log_template(hostile);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds{2});
}

} // namespace
} // namespace kfix::context
