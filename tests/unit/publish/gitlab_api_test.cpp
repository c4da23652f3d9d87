#include "actors/publish/gitlab_api.hpp"

#include <gtest/gtest.h>

namespace kfix::publish {
namespace {

TEST(MergeRequestGitLabApi, ErrorMessageShapes) {
  EXPECT_EQ(gitlab_error_message(R"({"message":"401 Unauthorized"})"),
            "401 Unauthorized");
  EXPECT_EQ(
    gitlab_error_message(
      R"({"message":["Another open merge request already exists for this source branch: !7"]})"),
    "Another open merge request already exists for this source "
    "branch: !7");
  EXPECT_EQ(
    gitlab_error_message(
      R"j({"message":{"bio":["is too long (maximum is 255 characters)"]}})j"),
    "bio: is too long (maximum is 255 characters)");
  EXPECT_EQ(gitlab_error_message(R"({"error":"404 Not Found"})"),
            "404 Not Found");
  EXPECT_EQ(
    gitlab_error_message(
      R"({"error":"insufficient_scope","error_description":"needs api"})"),
    "insufficient_scope: needs api");
  EXPECT_EQ(gitlab_error_message("Retry later"), "Retry later");
  EXPECT_EQ(gitlab_error_message(""), "(empty body)");
}

TEST(MergeRequestGitLabApi, DuplicateIid) {
  EXPECT_EQ(parse_duplicate_mr_iid("Another open merge request already exists "
                                   "for this source branch: !7"),
            7);
  EXPECT_EQ(parse_duplicate_mr_iid("... branch: !1234"), 1234);
  EXPECT_FALSE(parse_duplicate_mr_iid("Source branch does not exist"));
  EXPECT_FALSE(parse_duplicate_mr_iid("wow!"));
}

TEST(MergeRequestGitLabApi, UrlsAndIds) {
  EXPECT_EQ(gitlab_api_base("https://gitlab.example.com"),
            "https://gitlab.example.com/api/v4");
  EXPECT_EQ(gitlab_api_base("http://127.0.0.1:99/api/v4/"),
            "http://127.0.0.1:99/api/v4");
  EXPECT_EQ(gitlab_project_id("shop/deploy"), "shop%2Fdeploy");
  EXPECT_EQ(gitlab_project_id("42"), "42");
  EXPECT_TRUE(is_yaml_path("a/b.yaml"));
  EXPECT_TRUE(is_yaml_path("a/B.YML"));
  EXPECT_FALSE(is_yaml_path("a/yaml"));
  EXPECT_FALSE(is_yaml_path("kustomization.json"));
}

} // namespace
} // namespace kfix::publish
