// Device code of moe_permute.h: a stable counting sort of the (token, j)
// pairs by expert, in three kernels and without atomics whose order could
// show in the result.
//
// The pairs are cut into `chunks` contiguous chunks (at most
// kPermuteMaxChunks), each owned by one warp.
//  1. ChunkCountKernel: each warp counts its chunk's pairs per expert
//     (32 pairs at a time; __match_any_sync groups equal experts and the
//     group's first lane adds the group size) into counts[e][chunk].
//  2. ChunkScanKernel (one block): counts[e][*] becomes its exclusive prefix
//     along the chunks, and the per-expert totals are scanned into
//     expert_offsets.
//  3. ChunkPlaceKernel: each warp walks its chunk again in order; a pair's
//     grouped row is expert_offsets[e] + counts[e][chunk] + (pairs of e
//     earlier in the chunk), so rows within an expert follow (token, j).
#ifndef WEFT_KERNELS_CUDA_MOE_PERMUTE_CUH_
#define WEFT_KERNELS_CUDA_MOE_PERMUTE_CUH_

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

constexpr int kPermuteMaxChunks = 512;
constexpr int kPermuteMinChunkPairs = 64;
constexpr int kPermuteMaxExperts = 8192;
constexpr int kPermuteScanThreads = 1024;
constexpr int kPermuteScanPerLane = kPermuteMaxChunks / kWarpSize;  // 16

__device__ __forceinline__ bool ValidExpert(int32_t e, int32_t experts) {
  return e >= 0 && e < experts;
}

// counts: [experts, chunks]. Dynamic shared memory: warps * experts ints.
__global__ void ChunkCountKernel(const int32_t* __restrict__ ids, int64_t pairs,
                                 int64_t chunk_pairs, int32_t chunks, int32_t experts,
                                 int32_t* __restrict__ counts) {
  WaitForPredecessors();
  extern __shared__ int32_t s_hist[];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int32_t chunk = blockIdx.x * (blockDim.x / kWarpSize) + warp;
  if (chunk >= chunks) return;  // whole warps only; no block barrier below
  int32_t* hist = s_hist + warp * experts;
  for (int e = lane; e < experts; e += kWarpSize) hist[e] = 0;
  __syncwarp();
  const int64_t begin = chunk * chunk_pairs;
  const int64_t end = min(pairs, begin + chunk_pairs);
  for (int64_t base = begin; base < end; base += kWarpSize) {
    const int64_t i = base + lane;
    int32_t e = i < end ? ids[i] : -1;
    if (!ValidExpert(e, experts)) e = -1;
    const unsigned peers = __match_any_sync(0xffffffffu, e);
    if (e >= 0 && lane == __ffs(peers) - 1) hist[e] += __popc(peers);
    __syncwarp();
  }
  for (int e = lane; e < experts; e += kWarpSize) {
    counts[int64_t{e} * chunks + chunk] = hist[e];
  }
}

// One block of kPermuteScanThreads. counts[e][c] becomes the number of
// pairs of expert e in chunks before c; expert_offsets[e] the exclusive
// scan of the totals, expert_offsets[experts] the number of valid pairs.
// Dynamic shared memory: experts ints.
__global__ void __launch_bounds__(kPermuteScanThreads)
    ChunkScanKernel(int32_t* __restrict__ counts, int32_t chunks, int32_t experts,
                    int32_t* __restrict__ expert_offsets) {
  WaitForPredecessors();
  extern __shared__ int32_t s_total[];
  __shared__ int32_t s_warp[kPermuteScanThreads / kWarpSize];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  constexpr int kWarps = kPermuteScanThreads / kWarpSize;
  // Rows along the chunks: lane covers `per_lane` consecutive chunks.
  const int per_lane = (chunks + kWarpSize - 1) / kWarpSize;
  for (int e = warp; e < experts; e += kWarps) {
    int32_t* row = counts + int64_t{e} * chunks;
    const int c0 = lane * per_lane;
    int32_t v[kPermuteScanPerLane];
    int32_t sum = 0;
#pragma unroll
    for (int i = 0; i < kPermuteScanPerLane; ++i) {
      v[i] = (i < per_lane && c0 + i < chunks) ? row[c0 + i] : 0;
      sum += v[i];
    }
    int32_t inclusive = sum;
#pragma unroll
    for (int d = 1; d < kWarpSize; d *= 2) {
      const int32_t o = __shfl_up_sync(0xffffffffu, inclusive, d);
      if (lane >= d) inclusive += o;
    }
    int32_t running = inclusive - sum;
#pragma unroll
    for (int i = 0; i < kPermuteScanPerLane; ++i) {
      if (i < per_lane && c0 + i < chunks) row[c0 + i] = running;
      running += v[i];
    }
    if (lane == kWarpSize - 1) s_total[e] = inclusive;
  }
  __syncthreads();
  // Exclusive scan of the totals, kPermuteScanThreads at a time.
  int32_t carry = 0;
  for (int base = 0; base < experts; base += kPermuteScanThreads) {
    const int e = base + threadIdx.x;
    const int32_t t = e < experts ? s_total[e] : 0;
    int32_t inclusive = t;
#pragma unroll
    for (int d = 1; d < kWarpSize; d *= 2) {
      const int32_t o = __shfl_up_sync(0xffffffffu, inclusive, d);
      if (lane >= d) inclusive += o;
    }
    if (lane == kWarpSize - 1) s_warp[warp] = inclusive;
    __syncthreads();
    int32_t before = 0, tile_total = 0;
    for (int w = 0; w < kWarps; ++w) {
      const int32_t s = s_warp[w];
      before += w < warp ? s : 0;
      tile_total += s;
    }
    if (e < experts) expert_offsets[e] = carry + before + inclusive - t;
    carry += tile_total;
    __syncthreads();  // s_warp is rewritten by the next tile
  }
  if (threadIdx.x == 0) expert_offsets[experts] = carry;
}

// Each warp places its chunk's pairs (see the file comment). Pairs whose id
// is out of range get pair_row -1 and no row. Dynamic shared memory:
// warps * experts ints.
__global__ void ChunkPlaceKernel(const int32_t* __restrict__ ids, int64_t pairs,
                                 int64_t chunk_pairs, int32_t chunks, int32_t top_k,
                                 int32_t experts, const int32_t* __restrict__ chunk_base,
                                 const int32_t* __restrict__ expert_offsets,
                                 int32_t* __restrict__ row_token, int32_t* __restrict__ pair_row) {
  WaitForPredecessors();
  extern __shared__ int32_t s_next[];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int32_t chunk = blockIdx.x * (blockDim.x / kWarpSize) + warp;
  if (chunk >= chunks) return;
  int32_t* next = s_next + warp * experts;
  for (int e = lane; e < experts; e += kWarpSize) {
    next[e] = expert_offsets[e] + chunk_base[int64_t{e} * chunks + chunk];
  }
  __syncwarp();
  const int64_t begin = chunk * chunk_pairs;
  const int64_t end = min(pairs, begin + chunk_pairs);
  const unsigned lower_lanes = (1u << lane) - 1u;
  for (int64_t base = begin; base < end; base += kWarpSize) {
    const int64_t i = base + lane;
    int32_t e = i < end ? ids[i] : -1;
    if (!ValidExpert(e, experts)) e = -1;
    const unsigned peers = __match_any_sync(0xffffffffu, e);
    const int rank = __popc(peers & lower_lanes);
    const int32_t first = e >= 0 ? next[e] : 0;
    __syncwarp();  // every lane has read next[] before the group leaders advance it
    if (e >= 0 && rank == 0) next[e] = first + __popc(peers);
    __syncwarp();
    if (i < end) {
      if (e >= 0) {
        const int32_t row = first + rank;
        row_token[row] = static_cast<int32_t>(i / top_k);
        pair_row[i] = row;
      } else {
        pair_row[i] = -1;
      }
    }
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_MOE_PERMUTE_CUH_
