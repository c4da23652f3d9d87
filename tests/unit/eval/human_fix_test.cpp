// Closeness of a proposed patch to the fix a human merged.

#include "eval/human_fix.hpp"

#include <gtest/gtest.h>

namespace {

using namespace kfix;
using namespace kfix::eval;

const std::string manifest = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: checkout
spec:
  replicas: 3
  template:
    spec:
      containers:
        - name: app
          resources:
            limits:
              memory: 768Mi
        - name: sidecar
          resources:
            limits:
              memory: 64Mi
)";

const std::string human_diff = R"(--- a/apps/checkout.yaml
+++ b/apps/checkout.yaml
@@ -10,7 +10,7 @@
         - name: app
           resources:
             limits:
-              memory: 768Mi
+              memory: 1Gi
         - name: sidecar
           resources:
             limits:
)";

TEST(HumanFix, AppliesAUnifiedDiff) {
  auto after
    = apply_unified_diff({{"apps/checkout.yaml", manifest}}, human_diff);
  ASSERT_TRUE(after) << render(after.error());
  EXPECT_NE(after->at("apps/checkout.yaml").find("memory: 1Gi"),
            std::string::npos);
  EXPECT_EQ(after->at("apps/checkout.yaml").find("768Mi"), std::string::npos);
  EXPECT_NE(after->at("apps/checkout.yaml").find("memory: 64Mi"),
            std::string::npos);
}

TEST(HumanFix, MismatchedContextOrUnknownFileIsAnError) {
  auto changed = manifest;
  changed.replace(changed.find("768Mi"), 5, "700Mi");
  auto bad = apply_unified_diff({{"apps/checkout.yaml", changed}}, human_diff);
  ASSERT_FALSE(bad);
  EXPECT_NE(render(bad.error()).find("does not match"), std::string::npos);
  auto missing = apply_unified_diff({{"other.yaml", manifest}}, human_diff);
  ASSERT_FALSE(missing);
  EXPECT_NE(render(missing.error()).find("apps/checkout.yaml"),
            std::string::npos);
}

TEST(HumanFix, FieldsAreKeyedByKindNameAndContainer) {
  auto fields = manifest_fields({{"a.yaml", manifest}});
  EXPECT_EQ(fields.at("Deployment/checkout/spec/template/spec/containers/app/"
                      "resources/limits/memory"),
            "768Mi");
  EXPECT_EQ(fields.at("Deployment/checkout/spec/replicas"), "3");
}

TEST(HumanFix, ClosenessRewardsTheSameFieldAndCloseValues) {
  std::vector<repo_file> gitops{{"apps/checkout.yaml", manifest, {}}};
  auto same = manifest;
  same.replace(same.find("768Mi"), 5, "1024Mi");
  patch exact;
  exact.files = {{"apps/checkout.yaml", manifest, same, {}}};
  auto c = human_fix_closeness(gitops, human_diff, &exact);
  ASSERT_TRUE(c) << render(c.error());
  EXPECT_DOUBLE_EQ(*c, 1.0);
  auto far = manifest;
  far.replace(far.find("768Mi"), 5, "4Gi");
  patch different;
  different.files = {{"apps/checkout.yaml", manifest, far, {}}};
  EXPECT_DOUBLE_EQ(*human_fix_closeness(gitops, human_diff, &different), 0.5);
  auto other = manifest;
  other.replace(other.find("replicas: 3"), 11, "replicas: 6");
  patch wrong;
  wrong.files = {{"apps/checkout.yaml", manifest, other, {}}};
  EXPECT_DOUBLE_EQ(*human_fix_closeness(gitops, human_diff, &wrong), 0.0);
  EXPECT_DOUBLE_EQ(*human_fix_closeness(gitops, human_diff, nullptr), 0.0);
}

} // namespace
