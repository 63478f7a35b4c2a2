#include "common/base/mutex.h"

#include <thread>
#include <vector>

#include "common/base/notification.h"
#include "gtest/gtest.h"

namespace weft {
namespace {

// Under --config=tsan this fails if TSan cannot see weft::Mutex.
TEST(Mutex, GuardsSharedStateAcrossThreads) {
  Mutex mu;
  int counter ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        MutexLock lock(&mu);
        ++counter;
      }
    });
  }
  for (auto& t : threads) t.join();
  ReaderMutexLock lock(&mu);
  EXPECT_EQ(counter, 4000);
}

TEST(Notification, WakesWaitersAndStaysNotified) {
  Notification done;
  int value = 0;
  std::thread waiter([&] {
    done.WaitForNotification();
    EXPECT_EQ(value, 42);
  });
  value = 42;
  EXPECT_FALSE(done.HasBeenNotified());
  done.Notify();
  waiter.join();
  EXPECT_TRUE(done.HasBeenNotified());
  done.WaitForNotification();
}

}  // namespace
}  // namespace weft
