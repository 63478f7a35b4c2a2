#include "common/engine/bench/ceiling_probe.h"

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <limits>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "common/engine/bench/blas_threads.h"
#include "common/logging/log.h"

namespace weft::engine::bench {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Sums `n` words with four independent accumulators (enough to keep the load
// units busy; the loop is bound by memory, not by the adds).
uint64_t SumWords(const uint64_t* p, int64_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  for (; i < n; ++i) a += p[i];
  return a + b + c + d;
}

}  // namespace

BandwidthResult MeasureReadBandwidth(int64_t buffer_bytes, int threads, int repetitions) {
  WEFT_CHECK(buffer_bytes >= (1 << 20) && threads >= 1 && repetitions >= 1);
  const int64_t words = buffer_bytes / static_cast<int64_t>(sizeof(uint64_t));
  // Written once so that every page is resident before timing.
  std::unique_ptr<uint64_t[]> buffer(new uint64_t[words]);
  for (int64_t i = 0; i < words; ++i) buffer[i] = static_cast<uint64_t>(i);
  std::vector<uint64_t> sums(threads);
  const int64_t per_thread = words / threads;
  double best = std::numeric_limits<double>::infinity();
  // One untimed pass warms the TLB and the threads' caches.
  for (int rep = 0; rep <= repetitions; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) {
      pool.emplace_back([&, t] { sums[t] += SumWords(buffer.get() + t * per_thread, per_thread); });
    }
    sums[0] += SumWords(buffer.get(), per_thread);
    for (std::thread& th : pool) th.join();
    const double seconds = SecondsSince(start);
    if (rep > 0) best = std::min(best, seconds);
  }
  // Keeps the sums observable so the reads cannot be optimized away.
  uint64_t total = 0;
  for (uint64_t s : sums) total += s;
  volatile uint64_t sink = total;
  (void)sink;
  return BandwidthResult{
      .buffer_bytes = per_thread * threads * static_cast<int64_t>(sizeof(uint64_t)),
      .threads = threads,
      .bytes_per_second =
          static_cast<double>(per_thread * threads * static_cast<int64_t>(sizeof(uint64_t))) /
          best};
}

namespace {

// Best FLOP/s of cblas_sgemm at size n.
double SgemmFlopsPerSecond(int64_t n, int repetitions) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> a(n * n), b(n * n), c(n * n);
  for (float& v : a) v = dist(rng);
  for (float& v : b) v = dist(rng);
  const blasint bn = static_cast<blasint>(n);
  double best = std::numeric_limits<double>::infinity();
  for (int rep = 0; rep <= repetitions; ++rep) {  // rep 0: warm-up (thread start)
    const auto start = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bn, bn, bn, 1.0f, a.data(), bn, b.data(),
                bn, 0.0f, c.data(), bn);
    const double seconds = SecondsSince(start);
    if (rep > 0) best = std::min(best, seconds);
  }
  volatile float sink = c[n * n / 2];
  (void)sink;
  return 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / best;
}

}  // namespace

GemmResult MeasureSgemmPeak(const std::vector<int64_t>& sizes, int repetitions) {
  WEFT_CHECK(!sizes.empty() && repetitions >= 1);
  GemmResult best{.threads = BlasThreads()};
  for (int64_t n : sizes) {
    WEFT_CHECK(n >= 16) << "sgemm size " << n;
    const double flops_per_second = SgemmFlopsPerSecond(n, repetitions);
    if (flops_per_second > best.flops_per_second) {
      best.n = n;
      best.flops_per_second = flops_per_second;
    }
  }
  return best;
}

}  // namespace weft::engine::bench
