// The eval's reports, their comparison and the CI gate.

#include "eval/report.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kfix::eval;
using nlohmann::json;

incident_score incident(std::string id, bool correct, int unsafe = 0) {
  incident_score s;
  s.id = std::move(id);
  s.title = "<b>title</b>";
  s.alert_type = "oom_killed";
  s.env = "prod";
  s.expected_decision = "fix";
  s.decision = correct ? "fix" : "escalate";
  s.decision_correct = s.top1_correct = s.any3_correct = correct;
  s.unsafe_published = unsafe;
  s.complete = true;
  s.latency_ms = 20;
  return s;
}

eval_report report_of(std::vector<incident_score> incidents) {
  eval_report r;
  r.dataset = "unit";
  strategy_report s;
  s.name = "rules";
  s.incidents = std::move(incidents);
  std::vector<const incident_score*> all;
  for (const auto& i : s.incidents)
    all.push_back(&i);
  s.summary = summarize(all);
  s.per_type = summarize_by(s.incidents, [](const incident_score& x) {
    return x.alert_type;
  });
  r.strategies.push_back(std::move(s));
  strategy_report skipped;
  skipped.name = "llm";
  skipped.skipped = true;
  skipped.skip_reason = "no endpoint and no recorded exchanges";
  r.strategies.push_back(std::move(skipped));
  return r;
}

TEST(EvalReport, JsonHasTheStableSchema) {
  auto j = report_json(report_of({incident("a", true), incident("b", false)}));
  EXPECT_EQ(j["schema"], "kfix-eval-report/v1");
  const auto& rules = j["strategies"]["rules"];
  for (const char* key :
       {"incidents", "decision_accuracy", "top1_correct_rate",
        "any3_correct_rate", "unsafe_published", "false_rejections",
        "complete_rate", "p50_ms", "p95_ms"})
    EXPECT_TRUE(rules["summary"].contains(key)) << key;
  EXPECT_DOUBLE_EQ(rules["summary"]["top1_correct_rate"].get<double>(), 0.5);
  EXPECT_TRUE(rules["per_type"].contains("oom_killed"));
  EXPECT_EQ(rules["incidents"].size(), 2u);
  EXPECT_TRUE(j["strategies"]["llm"]["skipped"].get<bool>());
}

TEST(EvalReport, MarkdownAndHtmlShowFiguresAndEscapeText) {
  auto r = report_of({incident("a", true), incident("b", false)});
  auto md = report_markdown(r);
  EXPECT_NE(md.find("| rules | 2 | 50.0 %"), std::string::npos) << md;
  EXPECT_NE(md.find("llm | skipped"), std::string::npos);
  EXPECT_NE(md.find("| b |"), std::string::npos);
  auto html = report_html(r);
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("<details>"), std::string::npos);
  EXPECT_NE(html.find("&lt;b&gt;title&lt;/b&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<b>title</b>"), std::string::npos);
}

TEST(EvalReport, DiffFindsRegressionsIncidentByIncident) {
  auto before = report_json(report_of(
    {incident("a", true), incident("b", false), incident("c", true)}));
  auto after
    = report_json(report_of({incident("a", false), incident("b", true),
                             incident("d", true), incident("c", true, 1)}));
  auto d = diff_reports(before, after);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->regressions(), 2u); // a wrong now, c unsafe now
  auto text = render_diff(*d);
  EXPECT_NE(text.find("regression  rules  a"), std::string::npos) << text;
  EXPECT_NE(text.find("improvement  rules  b"), std::string::npos);
  EXPECT_NE(text.find("new  rules  d"), std::string::npos);
  EXPECT_FALSE(diff_reports(json::object(), after));
}

TEST(EvalReport, GateFailsBelowTheBaselineAndOnUnsafePublications) {
  auto good
    = report_json(report_of({incident("a", true), incident("b", true)}));
  auto baseline = baseline_of(good);
  EXPECT_TRUE(gate_failures(good, baseline).empty());
  auto worse
    = report_json(report_of({incident("a", true), incident("b", false)}));
  auto failures = gate_failures(worse, baseline);
  EXPECT_FALSE(failures.empty());
  bool names_figure = false;
  for (const auto& f : failures)
    names_figure
      = names_figure || f.find("top1_correct_rate") != std::string::npos;
  EXPECT_TRUE(names_figure);
  auto unsafe = report_json(report_of({incident("a", true, 1)}));
  auto no_baseline = json{{"strategies", json::object()}};
  ASSERT_EQ(gate_failures(unsafe, no_baseline).size(), 1u);
  EXPECT_NE(gate_failures(unsafe, no_baseline)[0].find("unsafe_published"),
            std::string::npos);
}

} // namespace
