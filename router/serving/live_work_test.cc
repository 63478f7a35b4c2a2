#include "router/serving/live_work.h"

#include <thread>
#include <utility>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace weft::router {
namespace {

TEST(LiveWorkTest, TokensCountUntilDestroyedOrMovedFrom) {
  LiveWork work;
  EXPECT_TRUE(work.WaitIdle(absl::Now()));
  {
    LiveWork::Token a = work.Enter();
    LiveWork::Token b = work.Enter();
    EXPECT_EQ(work.count(), 2);
    LiveWork::Token c = std::move(a);
    EXPECT_EQ(work.count(), 2);
    b = std::move(c);  // b's own count is released
    EXPECT_EQ(work.count(), 1);
    EXPECT_FALSE(work.WaitIdle(absl::Now() + absl::Milliseconds(20)));
  }
  EXPECT_EQ(work.count(), 0);
}

TEST(LiveWorkTest, WaitIdleReturnsWhenTheLastTokenGoes) {
  LiveWork work;
  LiveWork::Token token = work.Enter();
  std::thread worker([t = std::move(token)]() mutable {
    absl::SleepFor(absl::Milliseconds(50));
    LiveWork::Token done = std::move(t);
  });
  EXPECT_TRUE(work.WaitIdle(absl::Now() + absl::Seconds(30)));
  worker.join();
}

}  // namespace
}  // namespace weft::router
