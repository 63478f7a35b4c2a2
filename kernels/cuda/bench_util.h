// Timing for the GPU operator benchmarks: CUDA events around a launch,
// median of repeats after warm-up, and the measured ceilings of the H200
// (../shared/docs/performance.md) the results are reported against.
#ifndef WEFT_KERNELS_CUDA_BENCH_UTIL_H_
#define WEFT_KERNELS_CUDA_BENCH_UTIL_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/cuda/random_fill.h"

namespace weft::kernels::gpu::bench {

constexpr double kHbmBytesPerSecond = 4.2e12;
constexpr double kBf16FlopsPerSecond = 753e12;

inline void Check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(e));
    std::exit(1);
  }
}

// n elements of T on the device (exits on failure).
template <typename T>
T* DeviceAlloc(int64_t n) {
  T* p = nullptr;
  Check(cudaMalloc(reinterpret_cast<void**>(&p), static_cast<size_t>(n) * sizeof(T)), "cudaMalloc");
  return p;
}

// Fills bf16 `bf` or float32 `f` (the other null) with n uniform values of
// the given standard deviation (non-zero data: never time zeros).
inline void FillRandom(__nv_bfloat16* bf, float* f, int64_t n, float stddev, uint64_t seed) {
  RandomFillParams p;
  p.out_bf16 = bf;
  p.out_f32 = f;
  p.count = n;
  p.seed = seed;
  p.stddev = stddev;
  Check(LaunchRandomFill(p, nullptr), "LaunchRandomFill");
}

// Median seconds of `fn` (which enqueues on the default stream and returns
// its launch status) over `repeats` runs after `warmup`.
template <typename Fn>
double MedianSeconds(Fn fn, int repeats = 30, int warmup = 5) {
  cudaEvent_t start, stop;
  Check(cudaEventCreate(&start), "event");
  Check(cudaEventCreate(&stop), "event");
  for (int i = 0; i < warmup; ++i) Check(fn(), "warm-up launch");
  Check(cudaDeviceSynchronize(), "warm-up");
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    Check(cudaEventRecord(start), "record");
    Check(fn(), "launch");
    Check(cudaEventRecord(stop), "record");
    Check(cudaEventSynchronize(stop), "sync");
    float ms = 0;
    Check(cudaEventElapsedTime(&ms, start, stop), "elapsed");
    times.push_back(ms / 1e3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace weft::kernels::gpu::bench

#endif  // WEFT_KERNELS_CUDA_BENCH_UTIL_H_
