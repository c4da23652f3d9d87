#include "actors/patch/manifest_edit.hpp"
#include "actors/patch/unified_diff.hpp"
#include "tests/unit/patch/patch_test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

using namespace kfix;
using kfix::patching::unified_diff;

namespace {

using kfix::patch_test::data;

TEST(Diff, OneLineChangeInManifest) {
  auto before = data("deployment_two_containers.yaml");
  auto after = patching::apply_resource_edits(
    before, 0, {{"app", "limits", "memory", "768Mi"}});
  ASSERT_TRUE(after) << render(after.error());
  EXPECT_EQ(unified_diff("apps/checkout/deployment.yaml", before, *after),
            "--- a/apps/checkout/deployment.yaml\n"
            "+++ b/apps/checkout/deployment.yaml\n"
            "@@ -38,7 +38,7 @@\n"
            "               cpu: \"250m\"\n"
            "               memory: 512Mi\n"
            "             limits:\n"
            "-              memory: 640Mi   # OOMKilled at 512Mi in March\n"
            "+              memory: 768Mi   # OOMKilled at 512Mi in March\n"
            " \n"
            "           readinessProbe:\n"
            "             httpGet:\n");
}

TEST(Diff, EqualTextsGiveNothing) {
  EXPECT_EQ(unified_diff("a.yaml", "x: 1\n", "x: 1\n"), "");
  EXPECT_EQ(unified_diff("a.yaml", "", ""), "");
}

TEST(Diff, InsertionAtStartAndCountOfOne) {
  EXPECT_EQ(unified_diff("a.yaml", "b: 2\n", "a: 1\nb: 2\n"), "--- a/a.yaml\n"
                                                              "+++ b/a.yaml\n"
                                                              "@@ -1 +1,2 @@\n"
                                                              "+a: 1\n"
                                                              " b: 2\n");
}

TEST(Diff, TwoHunksWhenFarApart) {
  std::string before;
  for (int i = 1; i <= 20; ++i)
    before += "k" + std::to_string(i) + ": v\n";
  auto after = before;
  after.replace(after.find("k2: v"), 5, "k2: w");
  after.replace(after.find("k18: v"), 6, "k18: w");
  EXPECT_EQ(unified_diff("f.yaml", before, after), "--- a/f.yaml\n"
                                                   "+++ b/f.yaml\n"
                                                   "@@ -1,5 +1,5 @@\n"
                                                   " k1: v\n"
                                                   "-k2: v\n"
                                                   "+k2: w\n"
                                                   " k3: v\n"
                                                   " k4: v\n"
                                                   " k5: v\n"
                                                   "@@ -15,6 +15,6 @@\n"
                                                   " k15: v\n"
                                                   " k16: v\n"
                                                   " k17: v\n"
                                                   "-k18: v\n"
                                                   "+k18: w\n"
                                                   " k19: v\n"
                                                   " k20: v\n");
}

TEST(Diff, MissingFinalNewline) {
  EXPECT_EQ(unified_diff("a.yaml", "a: 1\nb: 2", "a: 1\nb: 3"),
            "--- a/a.yaml\n"
            "+++ b/a.yaml\n"
            "@@ -1,2 +1,2 @@\n"
            " a: 1\n"
            "-b: 2\n"
            "\\ No newline at end of file\n"
            "+b: 3\n"
            "\\ No newline at end of file\n");
  EXPECT_EQ(unified_diff("a.yaml", "a: 1", "a: 1\n"),
            "--- a/a.yaml\n"
            "+++ b/a.yaml\n"
            "@@ -1 +1 @@\n"
            "-a: 1\n"
            "\\ No newline at end of file\n"
            "+a: 1\n");
}

TEST(Diff, CrlfLinesKeepTheirEndings) {
  EXPECT_EQ(unified_diff("w.yaml", "a: 1\r\nb: 2\r\n", "a: 1\r\nb: 3\r\n"),
            "--- a/w.yaml\n"
            "+++ b/w.yaml\n"
            "@@ -1,2 +1,2 @@\n"
            " a: 1\r\n"
            "-b: 2\r\n"
            "+b: 3\r\n");
}

TEST(Diff, NewAndDeletedFiles) {
  EXPECT_EQ(unified_diff("new.yaml", "", "a: 1\n"), "--- /dev/null\n"
                                                    "+++ b/new.yaml\n"
                                                    "@@ -0,0 +1 @@\n"
                                                    "+a: 1\n");
  EXPECT_EQ(unified_diff("old.yaml", "a: 1\n", ""), "--- a/old.yaml\n"
                                                    "+++ /dev/null\n"
                                                    "@@ -1 +0,0 @@\n"
                                                    "-a: 1\n");
}

TEST(Diff, ConcatenatesChangesInOrder) {
  std::vector<file_change> changes{
    {"b.yaml", "x: 1\n", "x: 2\n", ""},
    {"same.yaml", "y: 1\n", "y: 1\n", ""},
    {"a.yaml", "z: 1\n", "z: 3\n", ""},
  };
  EXPECT_EQ(unified_diff(changes), "--- a/b.yaml\n"
                                   "+++ b/b.yaml\n"
                                   "@@ -1 +1 @@\n"
                                   "-x: 1\n"
                                   "+x: 2\n"
                                   "--- a/a.yaml\n"
                                   "+++ b/a.yaml\n"
                                   "@@ -1 +1 @@\n"
                                   "-z: 1\n"
                                   "+z: 3\n");
  EXPECT_EQ(unified_diff(std::vector<file_change>{}), "");
}

TEST(Diff, ConcurrentCallsAgree) {
  // Calls from several threads (libgit2 is initialised once, lazily).
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i)
    threads.emplace_back([&results, i] {
      results[i] = unified_diff("t.yaml", "a\n", "b\n");
    });
  for (auto& t : threads)
    t.join();
  for (const auto& r : results)
    EXPECT_EQ(r, "--- a/t.yaml\n+++ b/t.yaml\n@@ -1 +1 @@\n-a\n+b\n");
}

} // namespace
