// Device code of rms_norm.h. Every kernel keeps float32 statistics (the sum
// of squares reduced over the row, then 1 / sqrt(mean + eps) with IEEE
// division and square root) and forms x * scale * weight in float32, rounded
// to bf16 once.
//
// AddRmsNorm (float32 residual rows, bf16 output, optionally also INT8
// per-token quantized from the float32 products):
//   - AddRmsNormWarpKernel: a warp per row (dim <= 1024), the row held in
//     registers as float4 vectors;
//   - AddRmsNormBlockKernel: a block per row (dim <= 32768), likewise;
//   - AddRmsNormScalarKernel: a block per row, any dim or alignment, two
//     passes over global memory.
// RmsNormBf16 (in place over strided bf16 rows):
//   - RmsNormBf16VecKernel: a group of 4..32 lanes per row (dim <= 2048),
//     16-byte vectors held in registers;
//   - RmsNormBf16ScalarKernel: a warp per row, any dim or alignment.
#ifndef WEFT_KERNELS_CUDA_RMS_NORM_CUH_
#define WEFT_KERNELS_CUDA_RMS_NORM_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

// Four bf16 values as one 8-byte load/store.
struct alignas(8) Bf16x4 {
  __nv_bfloat162 h[2];
};

// 1 / sqrt(mean of squares + eps), correctly rounded division and root.
__device__ __forceinline__ float RmsScale(float sum_sq, int32_t dim, float eps) {
  return 1.0f / sqrtf(sum_sq / static_cast<float>(dim) + eps);
}

// Sum over aligned groups of kLanes lanes (a power of two <= 32); every lane
// of the warp must call it.
template <int kLanes>
__device__ __forceinline__ float GroupSum(float v) {
#pragma unroll
  for (int offset = kLanes / 2; offset > 0; offset /= 2) {
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  }
  return v;
}

// One row of AddRmsNorm held in registers: thread `tid` of `nthreads` owns
// the float4 vectors tid + k * nthreads, k < kItems (vecs = dim / 4 of
// them). kWarpPerRow: the row's threads are one warp (warp reduction),
// else the whole block (block reduction through `scratch`).
// With q != null, the normalized float32 values are also quantized to INT8
// with the row's scale stored at *q_scale (QuantizeInt8's rule).
template <int kItems, bool kWarpPerRow>
__device__ __forceinline__ void AddRmsNormRowVec4(
    float* __restrict__ x, const float* __restrict__ add, const __nv_bfloat16* __restrict__ weight,
    __nv_bfloat16* __restrict__ out, int32_t dim, float eps, int8_t* __restrict__ q,
    float* __restrict__ q_scale, int tid, int nthreads, float* scratch) {
  const int32_t vecs = dim / 4;
  float4* x4 = reinterpret_cast<float4*>(x);
  float4 v[kItems];
  float sum = 0.0f;
#pragma unroll
  for (int k = 0; k < kItems; ++k) {
    const int32_t i = tid + k * nthreads;
    if (i < vecs) {
      v[k] = x4[i];
      if (add != nullptr) {
        const float4 a = reinterpret_cast<const float4*>(add)[i];
        v[k].x += a.x;
        v[k].y += a.y;
        v[k].z += a.z;
        v[k].w += a.w;
        x4[i] = v[k];
      }
      sum += v[k].x * v[k].x + v[k].y * v[k].y + v[k].z * v[k].z + v[k].w * v[k].w;
    }
  }
  sum = kWarpPerRow ? WarpSum(sum) : BlockSum(sum, scratch);
  const float scale = RmsScale(sum, dim, eps);
  const Bf16x4* w4 = reinterpret_cast<const Bf16x4*>(weight);
  Bf16x4* o4 = reinterpret_cast<Bf16x4*>(out);
  float max_abs = 0.0f;
#pragma unroll
  for (int k = 0; k < kItems; ++k) {
    const int32_t i = tid + k * nthreads;
    if (i < vecs) {
      const Bf16x4 w = w4[i];
      const float2 w01 = __bfloat1622float2(w.h[0]);
      const float2 w23 = __bfloat1622float2(w.h[1]);
      v[k] = make_float4(v[k].x * scale * w01.x, v[k].y * scale * w01.y, v[k].z * scale * w23.x,
                         v[k].w * scale * w23.y);
      Bf16x4 o;
      o.h[0] = __floats2bfloat162_rn(v[k].x, v[k].y);
      o.h[1] = __floats2bfloat162_rn(v[k].z, v[k].w);
      o4[i] = o;
      max_abs = fmaxf(
          max_abs, fmaxf(fmaxf(fabsf(v[k].x), fabsf(v[k].y)), fmaxf(fabsf(v[k].z), fabsf(v[k].w))));
    }
  }
  if (q == nullptr) return;  // uniform over the row's threads
  max_abs = kWarpPerRow ? WarpMax(max_abs) : BlockMaxNonNegative(max_abs, scratch);
  const float q_scale_value = Int8Scale(max_abs);
  const float inv = __fdiv_rn(1.0f, q_scale_value);
  if (tid == 0) *q_scale = q_scale_value;
  char4* q4 = reinterpret_cast<char4*>(q);
#pragma unroll
  for (int k = 0; k < kItems; ++k) {
    const int32_t i = tid + k * nthreads;
    if (i < vecs) {
      q4[i] = make_char4(QuantizeInt8(v[k].x, inv), QuantizeInt8(v[k].y, inv),
                         QuantizeInt8(v[k].z, inv), QuantizeInt8(v[k].w, inv));
    }
  }
}

// A warp per row, 8 rows per 256-thread block. Requires dim % 4 == 0,
// dim <= 128 * kItems, residual and add 16-byte aligned, weight and out
// 8-byte aligned.
template <int kItems>
__global__ void __launch_bounds__(256)
    AddRmsNormWarpKernel(float* __restrict__ residual, const float* __restrict__ add,
                         const __nv_bfloat16* __restrict__ weight, __nv_bfloat16* __restrict__ out,
                         int64_t rows, int32_t dim, float eps, int8_t* __restrict__ q,
                         float* __restrict__ q_scales) {
  WaitForPredecessors();
  const int64_t row = blockIdx.x * int64_t{blockDim.x / kWarpSize} + threadIdx.x / kWarpSize;
  if (row >= rows) return;  // uniform over the warp
  AddRmsNormRowVec4<kItems, true>(
      residual + row * dim, add != nullptr ? add + row * dim : nullptr, weight, out + row * dim,
      dim, eps, q != nullptr ? q + row * dim : nullptr, q != nullptr ? q_scales + row : nullptr,
      threadIdx.x % kWarpSize, kWarpSize, nullptr);
}

// A block per row (blockIdx.x), blockDim.x * kItems * 4 >= dim, blockDim.x
// a multiple of 32. Same alignment requirements as the warp kernel.
template <int kItems>
__global__ void __launch_bounds__(1024)
    AddRmsNormBlockKernel(float* __restrict__ residual, const float* __restrict__ add,
                          const __nv_bfloat16* __restrict__ weight, __nv_bfloat16* __restrict__ out,
                          int32_t dim, float eps, int8_t* __restrict__ q,
                          float* __restrict__ q_scales) {
  WaitForPredecessors();
  __shared__ float scratch[kWarpSize];
  const int64_t row = blockIdx.x;
  AddRmsNormRowVec4<kItems, false>(
      residual + row * dim, add != nullptr ? add + row * dim : nullptr, weight, out + row * dim,
      dim, eps, q != nullptr ? q + row * dim : nullptr, q != nullptr ? q_scales + row : nullptr,
      threadIdx.x, blockDim.x, scratch);
}

// A block per row (blockIdx.x), any dim and alignment: the first pass adds
// and accumulates, the second re-reads the (updated) residual row. Each
// thread re-reads only the elements it wrote.
__global__ void __launch_bounds__(1024)
    AddRmsNormScalarKernel(float* __restrict__ residual, const float* __restrict__ add,
                           const __nv_bfloat16* __restrict__ weight,
                           __nv_bfloat16* __restrict__ out, int32_t dim, float eps,
                           int8_t* __restrict__ q, float* __restrict__ q_scales) {
  WaitForPredecessors();
  __shared__ float scratch[kWarpSize];
  const int64_t row = blockIdx.x;
  float* x = residual + row * dim;
  const float* a = add != nullptr ? add + row * dim : nullptr;
  float sum = 0.0f;
  for (int32_t i = threadIdx.x; i < dim; i += blockDim.x) {
    float v = x[i];
    if (a != nullptr) {
      v += a[i];
      x[i] = v;
    }
    sum += v * v;
  }
  sum = BlockSum(sum, scratch);
  const float scale = RmsScale(sum, dim, eps);
  __nv_bfloat16* o = out + row * dim;
  float max_abs = 0.0f;
  for (int32_t i = threadIdx.x; i < dim; i += blockDim.x) {
    const float y = x[i] * scale * __bfloat162float(weight[i]);
    o[i] = __float2bfloat16_rn(y);
    max_abs = fmaxf(max_abs, fabsf(y));
  }
  if (q == nullptr) return;
  // Third pass: the same products again, quantized.
  const float q_scale = Int8Scale(BlockMaxNonNegative(max_abs, scratch));
  const float inv = __fdiv_rn(1.0f, q_scale);
  if (threadIdx.x == 0) q_scales[row] = q_scale;
  int8_t* q_row = q + row * dim;
  for (int32_t i = threadIdx.x; i < dim; i += blockDim.x) {
    q_row[i] = QuantizeInt8(x[i] * scale * __bfloat162float(weight[i]), inv);
  }
}

// The first element of row r (token r / heads, head r % heads).
__device__ __forceinline__ __nv_bfloat16* StridedRow(__nv_bfloat16* x, int64_t r, int32_t heads,
                                                     int64_t token_stride, int32_t dim) {
  return x + (r / heads) * token_stride + (r % heads) * int64_t{dim};
}

// Groups of kLanes lanes (power of two, 4..32) per (token, head) row; lane
// `sub` of a group owns the 8-element chunks sub + k * kLanes, k < kItems.
// Requires dim % 8 == 0, dim <= 8 * kLanes * kItems, x and weight 16-byte
// aligned, token_stride % 8 == 0. blockDim.x a multiple of 32.
template <int kLanes, int kItems>
__global__ void __launch_bounds__(256)
    RmsNormBf16VecKernel(__nv_bfloat16* __restrict__ x, int64_t rows, int32_t heads,
                         int64_t token_stride, int32_t dim,
                         const __nv_bfloat16* __restrict__ weight, float eps) {
  WaitForPredecessors();
  const int64_t r = (blockIdx.x * int64_t{blockDim.x} + threadIdx.x) / kLanes;
  const int sub = threadIdx.x % kLanes;
  // No early return: every lane of the warp takes part in GroupSum.
  const bool active = r < rows;
  const int32_t chunks = dim / 8;
  Bf16x8* row =
      active ? reinterpret_cast<Bf16x8*>(StridedRow(x, r, heads, token_stride, dim)) : nullptr;
  float v[kItems][8];
  float sum = 0.0f;
#pragma unroll
  for (int k = 0; k < kItems; ++k) {
    const int32_t c = sub + k * kLanes;
    if (active && c < chunks) {
      Unpack(row[c], v[k]);
#pragma unroll
      for (int j = 0; j < 8; ++j) sum += v[k][j] * v[k][j];
    }
  }
  sum = GroupSum<kLanes>(sum);
  if (!active) return;
  const float scale = RmsScale(sum, dim, eps);
  const Bf16x8* w8 = reinterpret_cast<const Bf16x8*>(weight);
#pragma unroll
  for (int k = 0; k < kItems; ++k) {
    const int32_t c = sub + k * kLanes;
    if (c < chunks) {
      float w[8];
      Unpack(w8[c], w);
#pragma unroll
      for (int j = 0; j < 8; ++j) v[k][j] = v[k][j] * scale * w[j];
      row[c] = Pack(v[k]);
    }
  }
}

// A warp per (token, head) row, any dim and alignment; blockDim.x a
// multiple of 32.
__global__ void __launch_bounds__(256)
    RmsNormBf16ScalarKernel(__nv_bfloat16* __restrict__ x, int64_t rows, int32_t heads,
                            int64_t token_stride, int32_t dim,
                            const __nv_bfloat16* __restrict__ weight, float eps) {
  WaitForPredecessors();
  const int64_t r = blockIdx.x * int64_t{blockDim.x / kWarpSize} + threadIdx.x / kWarpSize;
  if (r >= rows) return;  // uniform over the warp
  const int lane = threadIdx.x % kWarpSize;
  __nv_bfloat16* row = StridedRow(x, r, heads, token_stride, dim);
  float sum = 0.0f;
  for (int32_t i = lane; i < dim; i += kWarpSize) {
    const float v = __bfloat162float(row[i]);
    sum += v * v;
  }
  sum = WarpSum(sum);
  const float scale = RmsScale(sum, dim, eps);
  for (int32_t i = lane; i < dim; i += kWarpSize) {
    row[i] = __float2bfloat16_rn(__bfloat162float(row[i]) * scale * __bfloat162float(weight[i]));
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_RMS_NORM_CUH_
