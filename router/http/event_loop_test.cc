// EventLoop: cross-thread tasks, timers and descriptor watches.
#include "router/http/event_loop.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "common/base/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router::http {
namespace {

using ::testing::ElementsAre;

std::unique_ptr<EventLoop> StartLoop() {
  absl::StatusOr<std::unique_ptr<EventLoop>> loop = EventLoop::Start("test-loop");
  EXPECT_TRUE(loop.ok()) << loop.status();
  return *std::move(loop);
}

TEST(EventLoopTest, RunsTasksFromManyThreadsInOrderPerThread) {
  std::unique_ptr<EventLoop> loop = StartLoop();
  constexpr int kThreads = 4;
  constexpr int kTasks = 1000;
  std::vector<std::vector<int>> seen(kThreads);  // loop thread only
  std::atomic<int> done{0};
  weft::Notification all_done;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTasks; ++i) {
        loop->RunInLoop([&, t, i] {
          EXPECT_TRUE(loop->InLoopThread());
          seen[t].push_back(i);
          if (done.fetch_add(1) + 1 == kThreads * kTasks) all_done.Notify();
        });
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  all_done.WaitForNotification();
  loop->Stop();
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(seen[t].size(), static_cast<size_t>(kTasks));
    for (int i = 0; i < kTasks; ++i) EXPECT_EQ(seen[t][i], i);
  }
  EXPECT_FALSE(loop->InLoopThread());
}

TEST(EventLoopTest, TimersRunInDeadlineOrderAndCanBeCancelled) {
  std::unique_ptr<EventLoop> loop = StartLoop();
  std::vector<int> fired;  // loop thread only
  weft::Notification done;
  const absl::Time start = absl::Now();
  loop->RunInLoop([&] {
    loop->RunAt(start + absl::Milliseconds(30), [&] { fired.push_back(3); });
    loop->RunAt(start + absl::Milliseconds(10), [&] { fired.push_back(1); });
    const EventLoop::TimerId cancelled =
        loop->RunAt(start + absl::Milliseconds(20), [&] { fired.push_back(2); });
    loop->RunAt(start + absl::Milliseconds(50), [&] { done.Notify(); });
    loop->CancelTimer(cancelled);
    loop->CancelTimer(cancelled);  // harmless
  });
  done.WaitForNotification();
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
  loop->Stop();
  EXPECT_THAT(fired, ElementsAre(1, 3));
}

TEST(EventLoopTest, WatchesDescriptors) {
  std::unique_ptr<EventLoop> loop = StartLoop();
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  std::atomic<int> reads{0};
  weft::Notification readable;
  weft::Notification watched;
  EventLoop::WatchId id = 0;
  loop->RunInLoop([&] {
    absl::StatusOr<EventLoop::WatchId> watch =
        loop->Watch(fds[0], EPOLLIN | EPOLLET, [&](uint32_t events) {
          EXPECT_TRUE(events & EPOLLIN);
          char c;
          while (read(fds[0], &c, 1) == 1) reads.fetch_add(1);
          readable.Notify();
          loop->Unwatch(id);  // a callback may remove itself
        });
    ASSERT_TRUE(watch.ok()) << watch.status();
    id = *watch;
    watched.Notify();
  });
  watched.WaitForNotification();
  ASSERT_EQ(write(fds[1], "ab", 2), 2);
  readable.WaitForNotification();
  EXPECT_EQ(reads.load(), 2);
  loop->Stop();
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoopTest, RefusesTasksAfterStop) {
  std::unique_ptr<EventLoop> loop = StartLoop();
  std::atomic<bool> ran{false};
  // Queued before Stop: runs.
  loop->RunInLoop([&] { ran = true; });
  loop->Stop();
  EXPECT_TRUE(ran.load());
  EXPECT_FALSE(loop->RunInLoop([] {}));
  loop->Stop();  // idempotent
}

}  // namespace
}  // namespace weft::router::http
