// GPU benchmark of the vector add: bandwidth against the 4.2 TB/s ceiling of
// ../shared/docs/performance.md and against cudaMemcpy device-to-device
// measured in the same run (a peer moving bytes at the copy engine's best).
//
//   vector_add_bench [--n=ELEMENTS] [--iters=N]
//
// Prints one line per variant: median time of `iters` launches after
// warm-up (CUDA events), bytes moved, TB/s, and the ratios.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "kernels/cuda/vector_add.h"

namespace {

constexpr double kCeilingBytesPerSecond = 4.2e12;

#define CHECK_CUDA(expr)                                                        \
  do {                                                                          \
    const cudaError_t err_ = (expr);                                            \
    if (err_ != cudaSuccess) {                                                  \
      std::fprintf(stderr, "%s failed: %s\n", #expr, cudaGetErrorString(err_)); \
      std::exit(1);                                                             \
    }                                                                           \
  } while (0)

// Median milliseconds of `iters` runs of `body` after 3 warm-ups.
double MedianMs(const std::function<void()>& body, int iters) {
  cudaEvent_t start, stop;
  CHECK_CUDA(cudaEventCreate(&start));
  CHECK_CUDA(cudaEventCreate(&stop));
  for (int i = 0; i < 3; ++i) body();
  std::vector<float> ms(iters);
  for (int i = 0; i < iters; ++i) {
    CHECK_CUDA(cudaEventRecord(start));
    body();
    CHECK_CUDA(cudaEventRecord(stop));
    CHECK_CUDA(cudaEventSynchronize(stop));
    CHECK_CUDA(cudaEventElapsedTime(&ms[i], start, stop));
  }
  CHECK_CUDA(cudaEventDestroy(start));
  CHECK_CUDA(cudaEventDestroy(stop));
  std::sort(ms.begin(), ms.end());
  return ms[iters / 2];
}

long long FlagValue(int argc, char** argv, const char* name, long long fallback) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix.c_str(), prefix.size()) == 0) {
      return std::atoll(argv[i] + prefix.size());
    }
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t n = FlagValue(argc, argv, "n", 256ll << 20);  // 1 GiB per array
  const int iters = static_cast<int>(FlagValue(argc, argv, "iters", 50));
  const size_t bytes = static_cast<size_t>(n) * sizeof(float);
  float *a, *b, *out;
  CHECK_CUDA(cudaMalloc(&a, bytes));
  CHECK_CUDA(cudaMalloc(&b, bytes));
  CHECK_CUDA(cudaMalloc(&out, bytes));
  // Non-zero data: never time zeros.
  std::vector<float> host(n);
  for (int64_t i = 0; i < n; ++i) host[i] = static_cast<float>(i % 1021) * 0.25f;
  CHECK_CUDA(cudaMemcpy(a, host.data(), bytes, cudaMemcpyHostToDevice));
  CHECK_CUDA(cudaMemcpy(b, host.data(), bytes, cudaMemcpyHostToDevice));

  const double add_ms = MedianMs(
      [&] {
        CHECK_CUDA(weft::kernels::LaunchVectorAdd({a, b, out, n}, nullptr));
      },
      iters);
  const double copy_ms = MedianMs(
      [&] { CHECK_CUDA(cudaMemcpyAsync(out, a, bytes, cudaMemcpyDeviceToDevice)); }, iters);
  const double add_bytes = 3.0 * bytes;   // read a, b; write out
  const double copy_bytes = 2.0 * bytes;  // read + write
  const double add_bw = add_bytes / (add_ms * 1e-3);
  const double copy_bw = copy_bytes / (copy_ms * 1e-3);
  std::printf("%-22s %10s %10s %8s %12s %12s\n", "variant", "elements", "median_ms", "TB/s",
              "vs_4.2TB/s", "vs_memcpy");
  std::printf("%-22s %10lld %10.4f %8.3f %12.3f %12.3f\n", "vector_add (weft)",
              static_cast<long long>(n), add_ms, add_bw / 1e12, add_bw / kCeilingBytesPerSecond,
              add_bw / copy_bw);
  std::printf("%-22s %10lld %10.4f %8.3f %12.3f %12.3f\n", "cudaMemcpy D2D (peer)",
              static_cast<long long>(n), copy_ms, copy_bw / 1e12, copy_bw / kCeilingBytesPerSecond,
              1.0);
  CHECK_CUDA(cudaFree(a));
  CHECK_CUDA(cudaFree(b));
  CHECK_CUDA(cudaFree(out));
  return 0;
}
