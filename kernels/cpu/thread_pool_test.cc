#include "kernels/cpu/thread_pool.h"

#include <atomic>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::kernels::cpu {
namespace {

TEST(ThreadPool, CoversTheRangeOnceInChunksOfAtLeastMinChunk) {
  ThreadPool pool(4);
  for (int64_t n : {0, 1, 7, 100, 1001}) {
    std::vector<std::atomic<int>> hits(n);
    std::atomic<int64_t> smallest{n};
    std::atomic<int> short_chunks{0};
    pool.ParallelFor(n, 8, [&](int64_t begin, int64_t end) {
      ASSERT_LT(begin, end);
      if (end - begin < 8) ++short_chunks;  // only the last may be short
      for (int64_t i = begin; i < end; ++i) ++hits[i];
    });
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "n " << n << " i " << i;
    EXPECT_LE(short_chunks.load(), 1);
  }
}

TEST(ThreadPool, UsesSeveralThreads) {
  ThreadPool pool(4);
  std::atomic<int> inside{0}, most{0};
  pool.ParallelFor(8, 1, [&](int64_t, int64_t) {
    const int now = ++inside;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    --inside;
  });
  EXPECT_GT(most.load(), 1);
}

TEST(ThreadPool, ConcurrentAndNestedCallsComplete) {
  ThreadPool pool(3);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int rep = 0; rep < 50; ++rep) {
        pool.ParallelFor(6, 1, [&](int64_t begin, int64_t end) {
          for (int64_t i = begin; i < end; ++i) {
            pool.ParallelFor(10, 1, [&](int64_t b, int64_t e) { total += e - b; });
          }
        });
      }
    });
  }
  for (std::thread& t : callers) t.join();
  EXPECT_EQ(total.load(), 4 * 50 * 6 * 10);
}

TEST(ThreadPool, SingleThreadRunsInline) {
  ThreadPool pool(1);
  const std::thread::id me = std::this_thread::get_id();
  int calls = 0;
  pool.ParallelFor(100, 1, [&](int64_t begin, int64_t end) {
    EXPECT_EQ(std::this_thread::get_id(), me);
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 100);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(pool.num_threads(), 1);
}

}  // namespace
}  // namespace weft::kernels::cpu
