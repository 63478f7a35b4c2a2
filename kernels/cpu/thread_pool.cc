#include "kernels/cpu/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>

namespace weft::kernels::cpu {

struct ThreadPool::Job {
  const std::function<void(int64_t, int64_t)>* fn = nullptr;
  int64_t n = 0;
  int64_t chunk = 0;
  int64_t num_chunks = 0;
  std::atomic<int64_t> next{0};  // next unclaimed chunk
  std::mutex mu;
  std::condition_variable done_cv;
  int64_t done = 0;  // chunks finished; guarded by mu
};

ThreadPool::ThreadPool(int num_threads) {
  for (int i = 1; i < std::max(1, num_threads); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::RunChunks(Job& job) {
  for (int64_t c = job.next.fetch_add(1); c < job.num_chunks; c = job.next.fetch_add(1)) {
    const int64_t begin = c * job.chunk;
    (*job.fn)(begin, std::min(job.n, begin + job.chunk));
    std::lock_guard<std::mutex> lock(job.mu);
    if (++job.done == job.num_chunks) job.done_cv.notify_all();
  }
}

void ThreadPool::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        // Jobs whose chunks are all claimed need no more hands.
        while (!queue_.empty() && queue_.front()->next.load() >= queue_.front()->num_chunks) {
          queue_.pop_front();
        }
        if (!queue_.empty()) break;
        if (stopping_) return;
        wake_.wait(lock);
      }
      job = queue_.front();
    }
    RunChunks(*job);
  }
}

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  // About two chunks per thread balances uneven items without much overhead.
  const int64_t target = std::max<int64_t>(1, 2 * int64_t{num_threads()});
  const int64_t chunk = std::max(min_chunk, (n + target - 1) / target);
  const int64_t num_chunks = (n + chunk - 1) / chunk;
  if (num_chunks == 1 || workers_.empty()) {
    fn(0, n);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->n = n;
  job->chunk = chunk;
  job->num_chunks = num_chunks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(job);
  }
  wake_.notify_all();
  RunChunks(*job);
  {
    std::lock_guard<std::mutex> lock(mu_);  // no worker may pick it up after we return
    auto it = std::find(queue_.begin(), queue_.end(), job);
    if (it != queue_.end()) queue_.erase(it);
  }
  std::unique_lock<std::mutex> lock(job->mu);
  job->done_cv.wait(lock, [&] { return job->done == job->num_chunks; });
}

ThreadPool& ThreadPool::Default() {
  static ThreadPool* pool = [] {
    int threads = static_cast<int>(std::thread::hardware_concurrency());
    if (const char* env = std::getenv("WEFT_CPU_THREADS"); env != nullptr) {
      const int requested = std::atoi(env);
      if (requested >= 1) threads = requested;
    }
    return new ThreadPool(std::max(1, threads));
  }();
  return *pool;
}

}  // namespace weft::kernels::cpu
