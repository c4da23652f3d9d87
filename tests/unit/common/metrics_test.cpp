#include "actors/common/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

namespace kfix::metrics {
namespace {

bool has_error(const registry& reg, const std::string& fragment) {
  for (const auto& err : reg.errors())
    if (render(err).find(fragment) != std::string::npos)
      return true;
  return false;
}

TEST(Metrics, CounterWithLabelsRendersExactly) {
  registry reg;
  auto& alerts = reg.counter("kfix_alerts_total", "Alerts received.",
                             {"source", "severity"});
  alerts.with({"webhook", "warning"}).inc();
  alerts.with({"webhook", "critical"}).inc(2);
  alerts.with({"replay", "critical"}).inc(0.5);
  alerts.with({"webhook", "critical"}).inc(-5); // ignored: never decreases
  EXPECT_EQ(reg.render(), "# HELP kfix_alerts_total Alerts received.\n"
                          "# TYPE kfix_alerts_total counter\n"
                          "kfix_alerts_total{source=\"replay\","
                          "severity=\"critical\"} 0.5\n"
                          "kfix_alerts_total{source=\"webhook\","
                          "severity=\"critical\"} 2\n"
                          "kfix_alerts_total{source=\"webhook\","
                          "severity=\"warning\"} 1\n");
}

TEST(Metrics, WithReturnsStableReferences) {
  registry reg;
  auto& family = reg.counter("requests_total", "Requests.", {"route"});
  auto& first = family.with({"/alerts"});
  for (int i = 0; i < 100; ++i)
    family.with({"/route" + std::to_string(i)});
  EXPECT_EQ(&first, &family.with({"/alerts"}));
  EXPECT_EQ(&first, &family.with(std::vector<std::string>{"/alerts"}));
  // Registering again returns the same family.
  EXPECT_EQ(&family, &reg.counter("requests_total", "Other help.", {"route"}));
}

TEST(Metrics, GaugeRendersExactlyAndFamiliesSortByName) {
  registry reg;
  auto& inflight = reg.gauge("kfix_inflight", "Incidents in flight.");
  auto& alerts = reg.counter("kfix_alerts_total", "Alerts.");
  inflight.with().set(5);
  inflight.with().inc(2.5);
  inflight.with().dec();
  alerts.with().inc(1000000);
  auto& temp = reg.gauge("kfix_temperature", "", {"zone"});
  temp.with({"b"}).set(-1.5);
  temp.with({"a"}).set(0.25);
  EXPECT_EQ(reg.render(), "# HELP kfix_alerts_total Alerts.\n"
                          "# TYPE kfix_alerts_total counter\n"
                          "kfix_alerts_total 1000000\n"
                          "# HELP kfix_inflight Incidents in flight.\n"
                          "# TYPE kfix_inflight gauge\n"
                          "kfix_inflight 6.5\n"
                          "# TYPE kfix_temperature gauge\n"
                          "kfix_temperature{zone=\"a\"} 0.25\n"
                          "kfix_temperature{zone=\"b\"} -1.5\n");
}

TEST(Metrics, UnlabelledFamilyRendersZeroLabelledEmptyFamilyNothing) {
  registry reg;
  reg.counter("a_total", "A.");
  reg.counter("b_total", "B.", {"kind"});
  EXPECT_EQ(reg.render(), "# HELP a_total A.\n"
                          "# TYPE a_total counter\n"
                          "a_total 0\n");
}

TEST(Metrics, CallbackGaugeEvaluatesAtRenderTime) {
  registry reg;
  double depth = 3;
  ASSERT_TRUE(
    reg.gauge_callback("kfix_queue_depth", "Queued alerts.", [&depth] {
      return depth;
    }));
  EXPECT_EQ(reg.render(), "# HELP kfix_queue_depth Queued alerts.\n"
                          "# TYPE kfix_queue_depth gauge\n"
                          "kfix_queue_depth 3\n");
  depth = 7;
  EXPECT_EQ(reg.render(), "# HELP kfix_queue_depth Queued alerts.\n"
                          "# TYPE kfix_queue_depth gauge\n"
                          "kfix_queue_depth 7\n");
  // Registering again replaces the callback.
  ASSERT_TRUE(reg.gauge_callback("kfix_queue_depth", "Queued alerts.", [] {
    return 42.0;
  }));
  EXPECT_NE(reg.render().find("kfix_queue_depth 42\n"), std::string::npos);
  // A throwing callback renders NaN instead of propagating.
  ASSERT_TRUE(
    reg.gauge_callback("kfix_queue_depth", "Queued alerts.", []() -> double {
      throw 1;
    }));
  EXPECT_NE(reg.render().find("kfix_queue_depth NaN\n"), std::string::npos);
  EXPECT_TRUE(reg.remove_gauge_callback("kfix_queue_depth"));
  EXPECT_FALSE(reg.remove_gauge_callback("kfix_queue_depth"));
  EXPECT_EQ(reg.render(), "");
}

TEST(Metrics, HistogramCountsBucketEdgesCumulatively) {
  registry reg;
  auto& latency = reg.histogram("kfix_fetch_seconds", "Fetch latency.",
                                {"source"}, {0.25, 0.5, 1});
  auto& k8s = latency.with({"k8s"});
  // On the edges: each lands in the bucket it equals (`le` is inclusive).
  for (auto v : {0.25, 0.5, 1.0, 2.0, 0.125})
    k8s.observe(v);
  latency.with({"logs"}).observe(0.5);
  k8s.observe(std::numeric_limits<double>::quiet_NaN()); // ignored
  EXPECT_EQ(reg.render(),
            "# HELP kfix_fetch_seconds Fetch latency.\n"
            "# TYPE kfix_fetch_seconds histogram\n"
            "kfix_fetch_seconds_bucket{source=\"k8s\",le=\"0.25\"} 2\n"
            "kfix_fetch_seconds_bucket{source=\"k8s\",le=\"0.5\"} 3\n"
            "kfix_fetch_seconds_bucket{source=\"k8s\",le=\"1\"} 4\n"
            "kfix_fetch_seconds_bucket{source=\"k8s\",le=\"+Inf\"} 5\n"
            "kfix_fetch_seconds_sum{source=\"k8s\"} 3.875\n"
            "kfix_fetch_seconds_count{source=\"k8s\"} 5\n"
            "kfix_fetch_seconds_bucket{source=\"logs\",le=\"0.25\"} 0\n"
            "kfix_fetch_seconds_bucket{source=\"logs\",le=\"0.5\"} 1\n"
            "kfix_fetch_seconds_bucket{source=\"logs\",le=\"1\"} 1\n"
            "kfix_fetch_seconds_bucket{source=\"logs\",le=\"+Inf\"} 1\n"
            "kfix_fetch_seconds_sum{source=\"logs\"} 0.5\n"
            "kfix_fetch_seconds_count{source=\"logs\"} 1\n");
  EXPECT_EQ(k8s.count(), 5u);
  EXPECT_EQ(k8s.bucket_count(3), 1u);
}

TEST(Metrics, HistogramDefaultBucketsWithoutLabels) {
  registry reg;
  auto& h = reg.histogram("kfix_llm_seconds", "LLM latency.");
  h.with().observe(0.003);
  h.with().observe(30);
  auto text = reg.render();
  std::string expected = "# HELP kfix_llm_seconds LLM latency.\n"
                         "# TYPE kfix_llm_seconds histogram\n";
  const char* les[]
    = {"0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
       "0.1",    "0.25",  "0.5",    "1",     "2.5",  "5",     "10"};
  for (size_t i = 0; i < 14; ++i)
    expected += "kfix_llm_seconds_bucket{le=\"" + std::string{les[i]} + "\"} "
                + (i < 3 ? "0" : "1") + "\n";
  expected += "kfix_llm_seconds_bucket{le=\"+Inf\"} 2\n"
              "kfix_llm_seconds_sum 30.003\n"
              "kfix_llm_seconds_count 2\n";
  EXPECT_EQ(text, expected);
}

TEST(Metrics, EscapesLabelValuesAndHelp) {
  registry reg;
  auto& family
    = reg.counter("kfix_errors_total", "Errors \\ per\nline.", {"message"});
  family.with({"a\\b\"c\nd"}).inc();
  EXPECT_EQ(reg.render(), "# HELP kfix_errors_total Errors \\\\ per\\nline.\n"
                          "# TYPE kfix_errors_total counter\n"
                          "kfix_errors_total{message=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(Metrics, FormatsValuesForPrometheus) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(-0.0), "0");
  EXPECT_EQ(format_value(1), "1");
  EXPECT_EQ(format_value(1000000), "1000000");
  EXPECT_EQ(format_value(123456789012345.0), "123456789012345");
  EXPECT_EQ(format_value(1e20), "100000000000000000000");
  EXPECT_EQ(format_value(1e21), "1e+21");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(-2.5), "-2.5");
  EXPECT_EQ(format_value(0.0005), "0.0005");
  EXPECT_EQ(format_value(0.00001), "1e-05");
  EXPECT_EQ(format_value(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(Metrics, ConcurrentIncrementsSumExactly) {
  registry reg;
  auto& family = reg.counter("kfix_hits_total", "Hits.", {"key"});
  auto& h = reg.histogram("kfix_work_seconds", "Work.", {}, {1, 2});
  constexpr int threads = 4;
  constexpr int per_thread = 100000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&family, &h, t] {
      for (int i = 0; i < per_thread; ++i) {
        // Every thread looks the shared series up (lock-free path) and
        // creates its own new ones (locked path) while others read.
        family.with({"shared"}).inc();
        if (i % 1000 == 0)
          family.with({"t" + std::to_string(t) + "-" + std::to_string(i)})
            .inc();
        h.with().observe(i % 3);
      }
    });
  for (auto& worker : workers)
    worker.join();
  EXPECT_EQ(family.with({"shared"}).value(), threads * per_thread);
  EXPECT_EQ(h.with().count(), static_cast<uint64_t>(threads * per_thread));
  // 0, 1, 2 repeating: 33333 full cycles of 3, then one 0.
  EXPECT_EQ(h.with().sum(), threads * 99999.0);
  auto text = reg.render();
  EXPECT_NE(text.find("kfix_hits_total{key=\"shared\"} 400000\n"),
            std::string::npos);
  EXPECT_NE(text.find("kfix_hits_total{key=\"t3-99000\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("kfix_work_seconds_count 400000\n"), std::string::npos);
}

TEST(Metrics, ValidatesNames) {
  for (auto name : {"a", "_a", ":a", "kfix_alerts_total", "a:b_c9", "A"})
    EXPECT_TRUE(registry::valid_name(name)) << name;
  for (auto name : {"", "9a", "a-b", "a b", "a.b", "ä"})
    EXPECT_FALSE(registry::valid_name(name)) << name;
  for (auto name : {"a", "_a", "source", "a9", "_"})
    EXPECT_TRUE(registry::valid_label_name(name)) << name;
  for (auto name : {"", "__name__", "__a", "a:b", "9a", "a-b"})
    EXPECT_FALSE(registry::valid_label_name(name)) << name;
}

TEST(Metrics, InvalidRegistrationsAreRejected) {
  registry reg;
  auto& bad_name = reg.counter("9lives_total", "Bad.");
  EXPECT_FALSE(bad_name.registered());
  bad_name.with().inc(); // detached, but usable
  EXPECT_TRUE(has_error(reg, "invalid metric name `9lives_total`"));
  EXPECT_FALSE(reg.gauge("ok", "Bad label.", {"__reserved"}).registered());
  EXPECT_TRUE(has_error(reg, "invalid label name `__reserved`"));
  EXPECT_FALSE(reg.gauge("ok2", "Bad label.", {"a:b"}).registered());
  EXPECT_FALSE(reg.gauge("ok3", "Dup.", {"a", "a"}).registered());
  EXPECT_TRUE(has_error(reg, "duplicate label name `a`"));
  EXPECT_FALSE(reg.histogram("h1", "Le.", {"le"}).registered());
  EXPECT_TRUE(has_error(reg, "`le` is reserved"));
  EXPECT_FALSE(reg.histogram("h2", "Unsorted.", {}, {1, 0.5}).registered());
  EXPECT_FALSE(
    reg.histogram("h3", "NaN.", {}, {0.5, std::nan("")}).registered());
  EXPECT_TRUE(reg
                .histogram("h4", "Trailing +Inf is fine.", {},
                           {1, std::numeric_limits<double>::infinity()})
                .registered());
  EXPECT_FALSE(reg.gauge_callback("bad-name", "Bad.", [] {
    return 1.0;
  }));
  EXPECT_FALSE(reg.gauge_callback("cb", "Empty.", nullptr));
  // Conflicts with registered families.
  auto& good = reg.counter("kfix_done_total", "Done.", {"stage"});
  EXPECT_TRUE(good.registered());
  EXPECT_FALSE(reg.gauge("kfix_done_total", "Other type.").registered());
  EXPECT_FALSE(
    reg.counter("kfix_done_total", "Other labels.", {"step"}).registered());
  EXPECT_FALSE(reg.gauge_callback("kfix_done_total", "Taken.", [] {
    return 1.0;
  }));
  EXPECT_FALSE(reg.counter("h4_count", "Clash.").registered());
  EXPECT_FALSE(reg.histogram("h4", "Other buckets.", {}, {1, 2}).registered());
  EXPECT_TRUE(has_error(reg, "already registered"));
  // The wrong number of label values hits a detached sink.
  good.with({"a", "b"}).inc();
  good.with({}).inc();
  EXPECT_TRUE(has_error(reg, "`kfix_done_total` takes 1 label values, got 2"));
  for (const auto& err : reg.errors())
    EXPECT_EQ(code_of(err), ec::invalid_input);
  // Only the valid families render; `kfix_done_total` has no series yet.
  auto text = reg.render();
  EXPECT_EQ(text.find("9lives"), std::string::npos);
  EXPECT_EQ(text.find("kfix_done_total"), std::string::npos);
  EXPECT_EQ(text.find("ok"), std::string::npos);
  EXPECT_NE(text.find("# TYPE h4 histogram\n"), std::string::npos);
  EXPECT_NE(text.find("h4_bucket{le=\"1\"} 0\n"), std::string::npos);
}

TEST(Metrics, ScopedTimerObservesOnDestruction) {
  registry reg;
  auto& h = reg.histogram("kfix_step_seconds", "Step.").with();
  {
    scoped_timer timer{h};
    EXPECT_GE(timer.elapsed(), 0);
  }
  EXPECT_EQ(h.count(), 1u);
  EXPECT_GE(h.sum(), 0);
  {
    scoped_timer timer{h};
    timer.cancel();
  }
  EXPECT_EQ(h.count(), 1u);
}

TEST(Metrics, DefaultRegistryIsProcessWide) {
  EXPECT_EQ(&default_registry(), &default_registry());
  EXPECT_EQ(content_type, "text/plain; version=0.0.4; charset=utf-8");
}

} // namespace
} // namespace kfix::metrics
