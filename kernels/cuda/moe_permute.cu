#include <algorithm>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/moe_permute.cuh"
#include "kernels/cuda/moe_permute.h"

namespace weft::kernels::gpu {
namespace {

// Pairs per chunk: a multiple of 32, at least kPermuteMinChunkPairs, and
// large enough that there are at most kPermuteMaxChunks chunks.
int64_t ChunkPairs(int64_t pairs) {
  const int64_t per = (pairs + device::kPermuteMaxChunks - 1) / device::kPermuteMaxChunks;
  const int64_t rounded = (per + device::kWarpSize - 1) / device::kWarpSize * device::kWarpSize;
  return std::max<int64_t>(device::kPermuteMinChunkPairs, rounded);
}

int32_t Chunks(int64_t pairs) {
  if (pairs <= 0) return 0;
  const int64_t per = ChunkPairs(pairs);
  return static_cast<int32_t>((pairs + per - 1) / per);
}

// Warps (= chunks) per block of the count and place kernels: each warp
// keeps one counter per expert in shared memory.
int WarpsPerBlock(int32_t experts) { return experts <= 2048 ? 4 : 1; }

}  // namespace

size_t MoePermuteWorkspaceBytes(int32_t num_experts, int64_t pairs) {
  if (num_experts <= 0 || pairs <= 0) return 0;
  return static_cast<size_t>(num_experts) * static_cast<size_t>(Chunks(pairs)) * sizeof(int32_t);
}

cudaError_t LaunchMoePermute(const MoePermuteParams& p, cudaStream_t stream) {
  if (p.tokens < 0 || p.top_k <= 0 || p.num_experts <= 0 ||
      p.num_experts > device::kPermuteMaxExperts || p.expert_offsets == nullptr) {
    return cudaErrorInvalidValue;
  }
  const int64_t pairs = p.tokens * p.top_k;
  if (pairs > INT32_MAX) return cudaErrorInvalidValue;  // grouped rows are int32
  if (pairs == 0) {
    return cudaMemsetAsync(p.expert_offsets, 0, (p.num_experts + size_t{1}) * sizeof(int32_t),
                           stream);
  }
  if (p.ids == nullptr || p.row_token == nullptr || p.pair_row == nullptr ||
      p.workspace == nullptr ||
      p.workspace_bytes < MoePermuteWorkspaceBytes(p.num_experts, pairs)) {
    return cudaErrorInvalidValue;
  }
  const int64_t chunk_pairs = ChunkPairs(pairs);
  const int32_t chunks = Chunks(pairs);
  const int warps = WarpsPerBlock(p.num_experts);
  const unsigned blocks = static_cast<unsigned>((chunks + warps - 1) / warps);
  const size_t hist_bytes = static_cast<size_t>(warps) * p.num_experts * sizeof(int32_t);
  auto* counts = static_cast<int32_t*>(p.workspace);
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::ChunkCountKernel, blocks,
                                            warps * device::kWarpSize, hist_bytes, stream, p.ids,
                                            pairs, chunk_pairs, chunks, p.num_experts, counts));
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::ChunkScanKernel, 1, device::kPermuteScanThreads,
                                            p.num_experts * sizeof(int32_t), stream, counts, chunks,
                                            p.num_experts, p.expert_offsets));
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess) return e;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::ChunkPlaceKernel, blocks,
                                            warps * device::kWarpSize, hist_bytes, stream, p.ids,
                                            pairs, chunk_pairs, chunks, p.top_k, p.num_experts,
                                            counts, p.expert_offsets, p.row_token, p.pair_row));
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
