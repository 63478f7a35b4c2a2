// Device code of moe_combine.h.
#ifndef WEFT_KERNELS_CUDA_MOE_COMBINE_CUH_
#define WEFT_KERNELS_CUDA_MOE_COMBINE_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

constexpr int kCombineMaxTopK = 64;

// One block per token; each thread owns 8 consecutive hidden elements at a
// time (16-byte bf16 loads, two float4 residual accesses). Needs hidden % 8
// == 0 and 16-byte aligned rows. Pairs with a negative pair_row (an
// out-of-range expert id in LaunchMoePermute) are skipped.
__global__ void MoeCombineVec8Kernel(const __nv_bfloat16* __restrict__ expert_out,
                                     const int32_t* __restrict__ pair_row,
                                     const float* __restrict__ weights, int32_t top_k,
                                     int32_t hidden, float* __restrict__ residual) {
  WaitForPredecessors();
  __shared__ int32_t s_row[kCombineMaxTopK];
  __shared__ float s_weight[kCombineMaxTopK];
  const int64_t t = blockIdx.x;
  for (int j = threadIdx.x; j < top_k; j += blockDim.x) {
    s_row[j] = pair_row[t * top_k + j];
    s_weight[j] = weights[t * top_k + j];
  }
  __syncthreads();
  const int32_t vectors = hidden / 8;
  float* res = residual + t * hidden;
  for (int32_t v = threadIdx.x; v < vectors; v += blockDim.x) {
    float sum[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
    for (int j = 0; j < top_k; ++j) {
      const int32_t row = s_row[j];
      if (row < 0) continue;
      const Bf16x8 packed =
          *reinterpret_cast<const Bf16x8*>(expert_out + int64_t{row} * hidden + v * 8);
      float x[8];
      Unpack(packed, x);
      const float w = s_weight[j];
#pragma unroll
      for (int i = 0; i < 8; ++i) sum[i] = fmaf(w, x[i], sum[i]);
    }
    float4* r = reinterpret_cast<float4*>(res + v * 8);
    float4 lo = r[0], hi = r[1];
    lo.x += sum[0];
    lo.y += sum[1];
    lo.z += sum[2];
    lo.w += sum[3];
    hi.x += sum[4];
    hi.y += sum[5];
    hi.z += sum[6];
    hi.w += sum[7];
    r[0] = lo;
    r[1] = hi;
  }
}

// Any hidden size or alignment: one element per thread at a time.
__global__ void MoeCombineScalarKernel(const __nv_bfloat16* __restrict__ expert_out,
                                       const int32_t* __restrict__ pair_row,
                                       const float* __restrict__ weights, int32_t top_k,
                                       int32_t hidden, float* __restrict__ residual) {
  WaitForPredecessors();
  const int64_t t = blockIdx.x;
  for (int32_t c = threadIdx.x; c < hidden; c += blockDim.x) {
    float sum = 0.0f;
    for (int j = 0; j < top_k; ++j) {
      const int64_t row = pair_row[t * top_k + j];
      if (row < 0) continue;
      sum = fmaf(weights[t * top_k + j], __bfloat162float(expert_out[row * hidden + c]), sum);
    }
    residual[t * hidden + c] += sum;
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_MOE_COMBINE_CUH_
