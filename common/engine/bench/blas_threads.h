// The OpenBLAS thread pool the CPU backend's float32 matmuls run on: how many
// threads it uses, and which kernel set (core type) it picked for this CPU.
// The engine's own kernels are single-threaded, so these threads are the
// only parallelism a benchmark controls.
#ifndef WEFT_COMMON_ENGINE_BENCH_BLAS_THREADS_H_
#define WEFT_COMMON_ENGINE_BENCH_BLAS_THREADS_H_

#include <string>

namespace weft::engine::bench {

// Sets OpenBLAS's thread count (`threads` > 0); 0 leaves its default (the
// OPENBLAS_NUM_THREADS environment variable, else all cores).
void SetBlasThreads(int threads);

int BlasThreads();

// OpenBLAS's core name (e.g. "Haswell", "Zen") and build configuration.
std::string BlasDescription();

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_BLAS_THREADS_H_
