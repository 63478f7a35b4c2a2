// The CPU backend's worker threads: ParallelFor splits a range of
// independent work items (attention heads, GEMM rows, experts) into chunks
// that the pool's threads and the calling thread take in turn. Safe to call
// from several threads at once and from inside a ParallelFor body (the
// caller always works on its own job, so nesting cannot deadlock).
//
// One process-wide pool (Default()) sized by WEFT_CPU_THREADS or the
// hardware's thread count. The GEMMs use OpenBLAS's own threads; the two are
// never busy at the same time, because each operator runs to completion
// before the next starts.
#ifndef WEFT_KERNELS_CPU_THREAD_POOL_H_
#define WEFT_KERNELS_CPU_THREAD_POOL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace weft::kernels::cpu {

class ThreadPool {
 public:
  // `num_threads` >= 1 threads of work in total: the caller plus
  // num_threads - 1 workers.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Calls fn(begin, end) over disjoint chunks covering [0, n), each of at
  // least `min_chunk` items (the last may be shorter), and returns when all
  // are done. Runs inline when there is only one chunk.
  void ParallelFor(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // The process-wide pool: WEFT_CPU_THREADS threads if set (>= 1), else the
  // hardware's.
  static ThreadPool& Default();

 private:
  struct Job;

  void WorkerLoop();
  // Runs chunks of `job` until none is left unclaimed.
  static void RunChunks(Job& job);

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;  // jobs with unclaimed chunks
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

// ThreadPool::Default().ParallelFor(...).
inline void ParallelFor(int64_t n, int64_t min_chunk,
                        const std::function<void(int64_t, int64_t)>& fn) {
  ThreadPool::Default().ParallelFor(n, min_chunk, fn);
}

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_THREAD_POOL_H_
