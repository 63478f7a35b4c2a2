// Device code of rope.h.
//
// Numerics follow kernels/cpu/rope.cc (RopeTable::Apply) operation by
// operation, so results match the CPU's to bf16 rounding: the angle
// float(position) * inv_freq[i] in float32, cos and sin of it in float64
// rounded to float32, each times attention_scaling in float32, and the
// rotation x1 * c - x2 * s, x2 * c + x1 * s with every product and sum
// rounded separately (the __f*_rn intrinsics keep nvcc from fusing them
// into FMAs, which the CPU build does not use either).
#ifndef WEFT_KERNELS_CUDA_ROPE_CUH_
#define WEFT_KERNELS_CUDA_ROPE_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

// Largest rotary_dim / 2: the block's cos/sin table lives in shared memory.
constexpr int kRopeMaxHalf = 512;
constexpr int kRopeMaxThreads = 256;

// Loads the pairs i0 .. i0 + kPairs - 1 of the rotated part `v` (neox:
// (i, half + i); interleaved: (2i, 2i + 1)) as floats. kPairs == 8 uses
// 16-byte loads and needs v, half and i0 to be 8-element aligned.
template <int kPairs>
__device__ __forceinline__ void RopeLoad(const __nv_bfloat16* v, int32_t half, int32_t i0,
                                         bool interleaved, float (&x1)[kPairs],
                                         float (&x2)[kPairs]) {
  if constexpr (kPairs == 8) {
    if (interleaved) {
      float lo[8], hi[8];
      Unpack(*reinterpret_cast<const Bf16x8*>(v + 2 * i0), lo);
      Unpack(*reinterpret_cast<const Bf16x8*>(v + 2 * i0 + 8), hi);
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        x1[j] = lo[2 * j];
        x2[j] = lo[2 * j + 1];
        x1[4 + j] = hi[2 * j];
        x2[4 + j] = hi[2 * j + 1];
      }
    } else {
      Unpack(*reinterpret_cast<const Bf16x8*>(v + i0), x1);
      Unpack(*reinterpret_cast<const Bf16x8*>(v + half + i0), x2);
    }
  } else {
#pragma unroll
    for (int j = 0; j < kPairs; ++j) {
      const int32_t i = i0 + j;
      x1[j] = __bfloat162float(interleaved ? v[2 * i] : v[i]);
      x2[j] = __bfloat162float(interleaved ? v[2 * i + 1] : v[half + i]);
    }
  }
}

// Rotates the loaded pairs with the block's table and stores them at
// (i, half + i) for both layouts (interleaved input comes out
// de-interleaved, as RopeLayout::kInterleaved).
template <int kPairs>
__device__ __forceinline__ void RopeStore(__nv_bfloat16* v, int32_t half, int32_t i0,
                                          const float (&x1)[kPairs], const float (&x2)[kPairs],
                                          const float* cos_table, const float* sin_table) {
  float o1[kPairs], o2[kPairs];
#pragma unroll
  for (int j = 0; j < kPairs; ++j) {
    const float c = cos_table[i0 + j];
    const float s = sin_table[i0 + j];
    o1[j] = __fsub_rn(__fmul_rn(x1[j], c), __fmul_rn(x2[j], s));
    o2[j] = __fadd_rn(__fmul_rn(x2[j], c), __fmul_rn(x1[j], s));
  }
  if constexpr (kPairs == 8) {
    *reinterpret_cast<Bf16x8*>(v + i0) = Pack(o1);
    *reinterpret_cast<Bf16x8*>(v + half + i0) = Pack(o2);
  } else {
#pragma unroll
    for (int j = 0; j < kPairs; ++j) {
      v[i0 + j] = __float2bfloat16_rn(o1[j]);
      v[half + i0 + j] = __float2bfloat16_rn(o2[j]);
    }
  }
}

// Grid: x = token, y = group of heads. The block first computes its
// token's cos/sin table (half = rotary_dim / 2 <= kRopeMaxHalf entries),
// then each group of `lanes_per_row` lanes (a power of two <= 32) rotates
// one head: lane `sub` owns the chunks of kPairs pairs sub + k *
// lanes_per_row, k < kItems (half / kPairs chunks a head). A group reads all
// of its head before any lane writes (__syncwarp between), which makes the
// interleaved layout's permutation safe in place. blockDim.x is a multiple
// of 32 and at most kRopeMaxThreads; kPairs == 8 needs x, token_stride,
// head_stride, offset and half to be multiples of 8 elements (16 bytes).
template <int kPairs, int kItems>
__global__ void __launch_bounds__(kRopeMaxThreads)
    RopeKernel(__nv_bfloat16* __restrict__ x, const int32_t* __restrict__ positions, int32_t heads,
               int64_t token_stride, int32_t head_stride, int32_t offset, int32_t half,
               int lanes_per_row, const float* __restrict__ inv_freq, float attention_scaling,
               bool interleaved) {
  WaitForPredecessors();
  __shared__ float cos_table[kRopeMaxHalf];
  __shared__ float sin_table[kRopeMaxHalf];
  const int64_t t = blockIdx.x;
  const float position = static_cast<float>(positions[t]);
  for (int32_t i = threadIdx.x; i < half; i += blockDim.x) {
    const float angle = __fmul_rn(position, inv_freq[i]);  // float32, as transformers
    double s, c;
    sincos(static_cast<double>(angle), &s, &c);
    cos_table[i] = __fmul_rn(static_cast<float>(c), attention_scaling);
    sin_table[i] = __fmul_rn(static_cast<float>(s), attention_scaling);
  }
  __syncthreads();

  const int rows_per_block = blockDim.x / lanes_per_row;
  const int32_t h = blockIdx.y * rows_per_block + threadIdx.x / lanes_per_row;
  const int sub = threadIdx.x % lanes_per_row;
  // No early return: every lane of the warp reaches the __syncwarp.
  const bool active = h < heads;
  __nv_bfloat16* v = active ? x + t * token_stride + int64_t{h} * head_stride + offset : x;
  const int32_t chunks = half / kPairs;
  float x1[kItems][kPairs], x2[kItems][kPairs];
#pragma unroll
  for (int k = 0; k < kItems; ++k) {
    const int32_t c = sub + k * lanes_per_row;
    if (active && c < chunks) RopeLoad<kPairs>(v, half, c * kPairs, interleaved, x1[k], x2[k]);
  }
  __syncwarp();
#pragma unroll
  for (int k = 0; k < kItems; ++k) {
    const int32_t c = sub + k * lanes_per_row;
    if (active && c < chunks) {
      RopeStore<kPairs>(v, half, c * kPairs, x1[k], x2[k], cos_table, sin_table);
    }
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_ROPE_CUH_
