#include "actors/publish/merge_request.hpp"

#include <gtest/gtest.h>

#include <string>

namespace kfix::publish {
namespace {

plan make_plan(std::string id, std::string title) {
  plan p;
  p.id = std::move(id);
  p.title = std::move(title);
  p.justification = "3 OOMKilled restarts in 10 minutes; peak working set "
                    "858Mi against a 768Mi limit.";
  p.expected_effect = "No further OOM kills at the observed peak.";
  p.risk = "Low: one Deployment, 3 replicas, +768Mi per pod.";
  p.alternatives = {"Scale replicas: more pods do not lower per-pod memory.",
                    "Roll back: no recent image change."};
  p.rollback = "Revert this MR to restore limits.memory 768Mi.";
  p.confidence = 0.82;
  p.source = "rules.oom_killed";
  action a;
  a.type = action_type::set_resources;
  a.container = "app";
  a.params["memory_limit"] = "1536Mi";
  p.actions.push_back(a);
  return p;
}

incident_result make_result() {
  incident_result r;
  r.incident_id = 42;
  r.stage = incident_stage::validated;
  r.workload = {"Deployment", "shop", "checkout"};
  r.alert_type = "oom_killed";
  r.decision.kind = decision_kind::fix;
  r.decision.reason = "memory limit too low for the observed peak";
  r.decision.plans = {make_plan("p1", "Raise checkout memory limit to 1536Mi"),
                      make_plan("p2", "Scale checkout to 6 replicas")};
  verdict v1;
  v1.plan_id = "p1";
  v1.accepted = true;
  v1.checks = {{"request_le_limit", true, false, "512Mi <= 1536Mi"},
               {"memory_increase_cap", true, false, "2.0x of 768Mi allowed"},
               {"dry_run", false, true, "no cluster configured"}};
  verdict v2;
  v2.plan_id = "p2";
  v2.accepted = false;
  v2.checks
    = {{"quota", false, false, "limits.memory would reach 17Gi of 16Gi"}};
  r.verdicts = {v1, v2};
  r.chosen_plan = "p1";
  r.context.sources = {
    {"kubernetes", source_status::ok, "", 120},
    {"datadog.logs", source_status::timeout, "deadline 8000 ms passed", 8000}};
  return r;
}

patch make_patch() {
  patch p;
  p.plan_id = "p1";
  file_change f;
  f.path = "apps/checkout/deployment.yaml";
  f.before = "limits:\n  memory: 768Mi\n";
  f.after = "limits:\n  memory: 1536Mi\n";
  p.files.push_back(f);
  p.diff = "--- a/apps/checkout/deployment.yaml\n"
           "+++ b/apps/checkout/deployment.yaml\n"
           "@@ -1,2 +1,2 @@\n"
           " limits:\n"
           "-  memory: 768Mi\n"
           "+  memory: 1536Mi\n";
  return p;
}

alert_facts prod_facts() {
  alert_facts f;
  f.env = "prod";
  f.cluster = "eu-1";
  f.team = "payments";
  f.title = "checkout OOMKilled";
  return f;
}

mr_content render_default() {
  auto r = make_result();
  return render_merge_request(r, r.decision.plans[0], make_patch(),
                              {"shop/deploy", "main"}, {"k-fix"}, prod_facts());
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(MergeRequest, BranchTitleAndCommitMessage) {
  auto mr = render_default();
  EXPECT_EQ(mr.branch, "k-fix/shop-checkout-42");
  EXPECT_EQ(mr.title,
            "K-Fix: Raise checkout memory limit to 1536Mi (shop/checkout)");
  EXPECT_TRUE(contains(mr.commit_message, "Raise checkout memory limit"));
  EXPECT_TRUE(contains(mr.commit_message, "Incident 42"));
  EXPECT_TRUE(is_valid_ref_name(mr.branch));
}

TEST(MergeRequest, DescriptionHasEverySection) {
  auto d = render_default().description;
  const char* sections[] = {"## Summary\n",
                            "## Evidence and justification\n",
                            "## Proposed change\n",
                            "## Alternatives considered\n",
                            "## Rollback plan\n",
                            "## Safety checks\n",
                            "## Risk\n"};
  size_t last = 0;
  for (const auto* s : sections) {
    auto pos = d.find(s);
    ASSERT_NE(pos, std::string::npos) << s;
    EXPECT_GT(pos + 1, last) << s << " out of order";
    last = pos;
  }
  // Summary facts.
  EXPECT_TRUE(contains(d, "`oom_killed`"));
  EXPECT_TRUE(contains(d, "`shop/checkout`"));
  EXPECT_TRUE(contains(d, "| **Environment** | prod |"));
  EXPECT_TRUE(contains(d, "| **Cluster** | eu-1 |"));
  EXPECT_TRUE(contains(d, "fix: memory limit too low"));
  // Evidence: justification and sources with status.
  EXPECT_TRUE(contains(d, "peak working set 858Mi"));
  EXPECT_TRUE(contains(d, "| kubernetes | ok |"));
  EXPECT_TRUE(contains(d, "| datadog.logs | timeout | deadline 8000 ms"));
  // The diff in a diff block.
  EXPECT_TRUE(contains(d, "```diff\n--- a/apps/checkout/deployment.yaml\n"));
  EXPECT_TRUE(contains(d, "+  memory: 1536Mi\n```\n"));
  // Alternatives as bullets, rollback, risk.
  EXPECT_TRUE(contains(d, "- Scale replicas: more pods"));
  EXPECT_TRUE(contains(d, "- Roll back: no recent image change."));
  EXPECT_TRUE(contains(d, "Revert this MR to restore"));
  EXPECT_TRUE(contains(d, "Low: one Deployment"));
  // Safety table: every check of the chosen plan, and the rejected plan.
  EXPECT_TRUE(contains(d, "| Rule | Result | Detail |"));
  EXPECT_TRUE(
    contains(d, "| `request_le_limit` | passed | 512Mi &lt;= 1536Mi |"));
  EXPECT_TRUE(contains(d, "| `memory_increase_cap` | passed |"));
  EXPECT_TRUE(contains(d, "| `dry_run` | skipped | no cluster configured |"));
  EXPECT_TRUE(contains(d, "Plan `p2` (Scale checkout to 6 replicas) was "
                          "rejected: quota: limits.memory would reach 17Gi"));
  // Footer.
  EXPECT_TRUE(contains(d, "never auto-merges"));
  EXPECT_TRUE(contains(d, "in prod"));
  EXPECT_TRUE(contains(d, "produced by K-Fix for incident 42"));
}

TEST(MergeRequest, SectionsPresentWhenPlanIsSparse) {
  auto r = make_result();
  r.verdicts.clear();
  r.context.sources.clear();
  plan bare;
  bare.id = "p9";
  bare.title = "Bare";
  patch empty;
  auto d = render_merge_request(r, bare, empty, {}, {}).description;
  for (const auto* s : {"## Summary", "## Evidence and justification",
                        "## Proposed change", "## Alternatives considered",
                        "## Rollback plan", "## Safety checks", "## Risk"})
    EXPECT_TRUE(contains(d, s)) << s;
  EXPECT_TRUE(contains(d, "No safety verdict was recorded"));
  EXPECT_TRUE(contains(d, "No diff was recorded"));
  EXPECT_TRUE(contains(d, "None recorded"));
}

TEST(MergeRequest, LongerFenceWhenDiffContainsBackticks) {
  auto r = make_result();
  auto p = make_patch();
  p.diff = "--- a/README.md\n+++ b/README.md\n@@ -1,3 +1,3 @@\n ```yaml\n"
           "-a: 1\n+a: 2\n ```\n ````\n";
  auto d = render_merge_request(r, r.decision.plans[0], p, {}, {}).description;
  EXPECT_TRUE(contains(d, "`````diff\n--- a/README.md\n"));
  EXPECT_TRUE(contains(d, " ````\n`````\n"));
  EXPECT_EQ(fence_for("no ticks"), "```");
  EXPECT_EQ(fence_for("a ``` b"), "````");
  EXPECT_EQ(fence_for("``````"), "```````");
}

TEST(MergeRequest, ProseCannotBreakStructure) {
  auto r = make_result();
  auto p = r.decision.plans[0];
  p.justification = "## Fake heading\n```\n/merge\n@all look <script>";
  auto d = render_merge_request(r, p, make_patch(), {}, {}).description;
  EXPECT_FALSE(contains(d, "\n## Fake heading"));
  EXPECT_TRUE(contains(d, "\n\\## Fake heading"));
  EXPECT_FALSE(contains(d, "\n/merge"));
  EXPECT_TRUE(contains(d, "\n\\/merge"));
  EXPECT_FALSE(contains(d, "@all"));
  EXPECT_FALSE(contains(d, "<script>"));
  EXPECT_TRUE(contains(d, "\n\\```\n"));
}

TEST(MergeRequest, TableCellsEscapePipesAndNewlines) {
  EXPECT_EQ(escape_table_cell("a | b\nc"), "a \\| b<br>c");
  EXPECT_EQ(escape_table_cell("x < y"), "x &lt; y");
}

TEST(MergeRequest, BranchSanitizing) {
  workload_ref w{"Deployment", "Shop Team", "check..out/v2"};
  auto b = branch_name(w, 7);
  EXPECT_EQ(b, "k-fix/shop-team-check.out-v2-7");
  EXPECT_TRUE(is_valid_ref_name(b));
  EXPECT_EQ(sanitize_ref_component("..weird~^:?*[\\name.lock"), "weird-name");
  EXPECT_EQ(sanitize_ref_component("-.-"), "incident");
  EXPECT_EQ(sanitize_ref_component("a@{b}"), "a-b");
  EXPECT_LE(sanitize_ref_component(std::string(500, 'x')).size(), 200u);
  EXPECT_FALSE(is_valid_ref_name("a..b"));
  EXPECT_FALSE(is_valid_ref_name("a/.b"));
  EXPECT_FALSE(is_valid_ref_name("x.lock"));
  EXPECT_FALSE(is_valid_ref_name("with space"));
  EXPECT_TRUE(is_valid_ref_name("k-fix/shop-checkout-1"));
}

TEST(MergeRequest, Labels) {
  auto mr = render_default();
  std::vector<std::string> expected{"k-fix", "env::prod", "team::payments",
                                    "alert::oom_killed"};
  EXPECT_EQ(mr.labels, expected);
  // Without facts: no env/team labels; duplicates and commas removed.
  auto r = make_result();
  auto bare = render_merge_request(r, r.decision.plans[0], make_patch(), {},
                                   {"k-fix", "k-fix", "a,b", ""});
  std::vector<std::string> expected_bare{"k-fix", "a b", "alert::oom_killed"};
  EXPECT_EQ(bare.labels, expected_bare);
}

TEST(MergeRequest, TitleIsCappedAndSingleLine) {
  auto r = make_result();
  auto p = r.decision.plans[0];
  p.title = std::string(400, 'x') + "\nsecond line";
  auto mr = render_merge_request(r, p, make_patch(), {}, {});
  EXPECT_LE(mr.title.size(), max_title_chars);
  EXPECT_EQ(mr.title.find('\n'), std::string::npos);
  EXPECT_TRUE(contains(mr.title, "(shop/checkout)"));
}

TEST(MergeRequest, HugeDiffIsTruncatedToGitLabLimit) {
  auto r = make_result();
  auto p = make_patch();
  std::string diff = "--- a/big.yaml\n+++ b/big.yaml\n@@ -1 +1 @@\n";
  while (diff.size() < 2 * max_description_chars)
    diff += "+  key: " + std::string(60, 'v') + "\n";
  p.diff = diff;
  auto d = render_merge_request(r, r.decision.plans[0], p, {}, {}).description;
  EXPECT_LE(d.size(), max_description_chars);
  EXPECT_TRUE(contains(d, "The diff is truncated"));
  EXPECT_TRUE(contains(d, "## Risk"));
  EXPECT_TRUE(contains(d, "produced by K-Fix for incident 42"));
  // The fence still closes.
  auto open = d.find("```diff\n");
  ASSERT_NE(open, std::string::npos);
  EXPECT_NE(d.find("\n```\n", open), std::string::npos);
}

TEST(MergeRequest, TruncateUtf8KeepsWholeCharacters) {
  std::string text = "ab\xC3\xA9"; // "abé"
  EXPECT_EQ(truncate_utf8(text, 3), "ab");
  EXPECT_EQ(truncate_utf8(text, 4), text);
}

} // namespace
} // namespace kfix::publish
