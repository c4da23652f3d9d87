#include "actors/publish/slack_message.hpp"

#include <gtest/gtest.h>

namespace kfix::publish {
namespace {

incident_result make_result() {
  incident_result r;
  r.incident_id = 42;
  r.stage = incident_stage::published;
  r.workload = {"Deployment", "shop", "checkout"};
  r.alert_type = "oom_killed";
  r.decision.kind = decision_kind::fix;
  plan p;
  p.id = "p1";
  p.title = "Raise memory <limit> & request";
  r.decision.plans.push_back(p);
  r.chosen_plan = "p1";
  return r;
}

TEST(MergeRequestSlackMessage, HasTextAndBlocks) {
  publication pub;
  pub.publisher = "gitlab";
  pub.url = "https://gitlab.example.com/shop/deploy/-/merge_requests/7";
  pub.mr_iid = 7;
  auto m = render_slack_message(make_result(), pub);
  ASSERT_TRUE(m["text"].is_string());
  EXPECT_NE(m["text"].get<std::string>().find("MR !7"), std::string::npos);
  ASSERT_EQ(m["blocks"].size(), 3u);
  EXPECT_EQ(m["blocks"][0]["type"], "header");
  EXPECT_EQ(m["blocks"][0]["text"]["type"], "plain_text");
  EXPECT_EQ(m["blocks"][1]["type"], "section");
  auto section = m["blocks"][1]["text"]["text"].get<std::string>();
  EXPECT_NE(section.find("`Deployment shop/checkout`"), std::string::npos);
  EXPECT_NE(section.find("oom_killed"), std::string::npos);
  EXPECT_NE(section.find("*Decision:* fix"), std::string::npos);
  EXPECT_NE(section.find("Raise memory &lt;limit&gt; &amp; request"),
            std::string::npos);
  EXPECT_NE(section.find("<" + pub.url + "|MR !7>"), std::string::npos);
  EXPECT_EQ(m["blocks"][2]["type"], "context");
  EXPECT_NE(m["blocks"][2]["elements"][0]["text"].get<std::string>().find(
              "incident 42"),
            std::string::npos);
}

TEST(MergeRequestSlackMessage, WithoutPublication) {
  auto r = make_result();
  r.stage = incident_stage::failed;
  r.failure = "GitLab unreachable";
  auto m = render_slack_message(r, std::nullopt);
  auto section = m["blocks"][1]["text"]["text"].get<std::string>();
  EXPECT_NE(section.find("GitLab unreachable"), std::string::npos);
  EXPECT_EQ(section.find("Merge request"), std::string::npos);
}

} // namespace
} // namespace kfix::publish
