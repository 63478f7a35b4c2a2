// Simple performance ceilings of this machine, measured in the same run as
// the benchmark so that results can be read as a fraction of them:
//   - memory read bandwidth: streaming sums over a buffer far larger than
//     the caches, on `threads` threads. Decode is memory-bound, so bandwidth
//     over the bytes one step reads bounds decode tokens/s.
//   - single-precision GEMM peak: OpenBLAS cblas_sgemm on square matrices of
//     a few sizes on the current OpenBLAS thread count, the best of them.
//     Prefill is compute-bound, so this bounds prefill FLOP/s.
// Each is the best of a few repetitions (after a warm-up), the usual way to
// estimate a ceiling.
#ifndef WEFT_COMMON_ENGINE_BENCH_CEILING_PROBE_H_
#define WEFT_COMMON_ENGINE_BENCH_CEILING_PROBE_H_

#include <cstdint>
#include <vector>

namespace weft::engine::bench {

struct BandwidthResult {
  int64_t buffer_bytes = 0;
  int threads = 0;
  double bytes_per_second = 0.0;
};

// Reads a `buffer_bytes` buffer `repetitions` times with `threads` threads
// (each its own contiguous slice). Preconditions: buffer_bytes >= 1 MiB,
// threads >= 1, repetitions >= 1.
BandwidthResult MeasureReadBandwidth(int64_t buffer_bytes, int threads, int repetitions);

struct GemmResult {
  int64_t n = 0;  // C[n,n] = A[n,n] B[n,n]
  int threads = 0;
  double flops_per_second = 0.0;  // 2 n^3 / best time
};

// Times cblas_sgemm `repetitions` (>= 1) times at each size of `sizes`
// (non-empty, each >= 16) and returns the fastest size's best.
GemmResult MeasureSgemmPeak(const std::vector<int64_t>& sizes, int repetitions);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_CEILING_PROBE_H_
