#include "common/base/task_runner.h"

#include <atomic>
#include <vector>

#include "gtest/gtest.h"

namespace weft {
namespace {

TEST(TaskRunner, RunsEveryTaskBeforeTheDestructorReturns) {
  std::atomic<int> ran{0};
  {
    TaskRunner runner(3);
    for (int i = 0; i < 100; ++i) runner.Submit([&] { ++ran; });
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(TaskRunner, OneThreadKeepsSubmissionOrder) {
  std::vector<int> order;
  {
    TaskRunner runner(1);
    for (int i = 0; i < 20; ++i) runner.Submit([&order, i] { order.push_back(i); });
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(order[i], i);
}

}  // namespace
}  // namespace weft
