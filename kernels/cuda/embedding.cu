#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cuda/embedding.cuh"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu {
namespace {

constexpr int kMaxThreads = 256;
// gridDim.x's limit: one block per row.
constexpr int64_t kMaxRows = std::numeric_limits<int32_t>::max();

bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Threads for a row of `work` items: a multiple of 32, at most kMaxThreads.
int ThreadsFor(int32_t work) { return std::clamp((work + 31) / 32 * 32, 32, kMaxThreads); }

}  // namespace

cudaError_t LaunchEmbedding(const EmbeddingParams& p, cudaStream_t stream) {
  if (p.tokens < 0 || p.tokens > kMaxRows || p.hidden <= 0 || p.vocab <= 0) {
    return cudaErrorInvalidValue;
  }
  if (p.tokens == 0) return cudaSuccess;
  if (p.table == nullptr || p.ids == nullptr || p.out == nullptr) return cudaErrorInvalidValue;
  const unsigned blocks = static_cast<unsigned>(p.tokens);
  if (p.hidden % 8 == 0 && Aligned16(p.table) && Aligned16(p.out)) {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::EmbeddingVec8Kernel, blocks,
                                              ThreadsFor(p.hidden / 8), 0, stream, p.table, p.vocab,
                                              p.hidden, p.ids, p.out));
  } else {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::EmbeddingScalarKernel, blocks,
                                              ThreadsFor(p.hidden), 0, stream, p.table, p.vocab,
                                              p.hidden, p.ids, p.out));
  }
  return cudaGetLastError();
}

cudaError_t LaunchGatherRows(const GatherRowsParams& p, cudaStream_t stream) {
  if (p.num_rows < 0 || p.num_rows > kMaxRows || p.cols <= 0) return cudaErrorInvalidValue;
  if (p.num_rows == 0) return cudaSuccess;
  if (p.src == nullptr || p.rows == nullptr || p.out == nullptr) return cudaErrorInvalidValue;
  const unsigned blocks = static_cast<unsigned>(p.num_rows);
  if (p.cols % 4 == 0 && Aligned16(p.src) && Aligned16(p.out)) {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::GatherRowsVec4Kernel, blocks,
                                              ThreadsFor(p.cols / 4), 0, stream, p.src, p.rows,
                                              p.cols, p.out));
  } else {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::GatherRowsScalarKernel, blocks,
                                              ThreadsFor(p.cols), 0, stream, p.src, p.rows, p.cols,
                                              p.out));
  }
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
