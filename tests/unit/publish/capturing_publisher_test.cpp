#include "actors/publish/capturing_publisher.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace kfix::publish {
namespace {

publish_request make_request(int n) {
  publish_request req;
  auto r = std::make_shared<incident_result>();
  r->incident_id = n;
  req.result = r;
  req.chosen.id = "p1";
  req.content.branch = "k-fix/shop-checkout-" + std::to_string(n);
  req.content.title = "K-Fix: test";
  req.content.description = "## Summary\n";
  return req;
}

TEST(CapturingPublisher, RecordsRequestsAndReturnsCaptured) {
  capturing_publisher pub;
  auto result = pub.publish(make_request(1));
  ASSERT_TRUE(result) << render(result.error());
  EXPECT_EQ(result->publisher, "captured");
  EXPECT_EQ(result->branch, "k-fix/shop-checkout-1");
  EXPECT_EQ(result->description, "## Summary\n");
  EXPECT_EQ(result->mr_iid, 1);
  ASSERT_EQ(pub.size(), 1u);
  EXPECT_EQ(pub.requests()[0].result->incident_id, 1);
  pub.clear();
  EXPECT_EQ(pub.size(), 0u);
}

TEST(CapturingPublisher, IsThreadSafe) {
  capturing_publisher pub;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&pub, t] {
      for (int i = 0; i < 50; ++i)
        ASSERT_TRUE(pub.publish(make_request(t * 100 + i)));
    });
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(pub.size(), 200u);
}

} // namespace
} // namespace kfix::publish
