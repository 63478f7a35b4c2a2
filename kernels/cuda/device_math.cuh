// Device helpers shared by the CUDA operators: warp and block reductions and
// vectorized bf16 loads. Device code only (include from .cu/.cuh files).
#ifndef WEFT_KERNELS_CUDA_DEVICE_MATH_CUH_
#define WEFT_KERNELS_CUDA_DEVICE_MATH_CUH_

#include <cuda_bf16.h>

#include <cstdint>

namespace weft::kernels::gpu::device {

constexpr int kWarpSize = 32;

__device__ __forceinline__ float WarpSum(float v) {
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    v += __shfl_xor_sync(0xffffffffu, v, offset);
  }
  return v;
}

__device__ __forceinline__ float WarpMax(float v) {
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, offset));
  }
  return v;
}

// `v` reduced over the block by `warp_op` (a warp reduction: WarpSum,
// WarpMax) applied twice, per warp and across the warps' results
// (blockDim.x a multiple of 32, at most 1024; `identity` stands in for the
// missing warps); every thread gets the result. `scratch` holds 32 floats
// of shared memory.
template <typename WarpOp>
__device__ __forceinline__ float BlockAllReduce(float v, float* scratch, WarpOp warp_op,
                                                float identity) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  v = warp_op(v);
  __syncthreads();  // scratch may still be read by a previous call
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  const int warps = blockDim.x / kWarpSize;
  v = lane < warps ? scratch[lane] : identity;
  return warp_op(v);
}

__device__ __forceinline__ float BlockSum(float v, float* scratch) {
  return BlockAllReduce(
      v, scratch, [](float x) { return WarpSum(x); }, 0.0f);
}

// Max over the block, as BlockSum (inputs >= 0: the idle lanes read 0).
__device__ __forceinline__ float BlockMaxNonNegative(float v, float* scratch) {
  return BlockAllReduce(
      v, scratch, [](float x) { return WarpMax(x); }, 0.0f);
}

// Symmetric INT8 quantization of a row whose max |x| is `max_abs`: scale =
// max_abs / 127 (1 for an all-zero row), q = round-half-even(x * (1 /
// scale)) clamped to [-127, 127] (the CPU's QuantizeRow, IEEE-rounded).
__device__ __forceinline__ float Int8Scale(float max_abs) {
  return max_abs > 0.0f ? __fdiv_rn(max_abs, 127.0f) : 1.0f;
}
__device__ __forceinline__ int8_t QuantizeInt8(float x, float inv_scale) {
  return static_cast<int8_t>(fminf(fmaxf(rintf(__fmul_rn(x, inv_scale)), -127.0f), 127.0f));
}

// Eight bf16 values as one 16-byte load/store.
struct alignas(16) Bf16x8 {
  __nv_bfloat162 h[4];
};

__device__ __forceinline__ void Unpack(const Bf16x8& v, float (&out)[8]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __bfloat1622float2(v.h[i]);
    out[2 * i] = f.x;
    out[2 * i + 1] = f.y;
  }
}

__device__ __forceinline__ Bf16x8 Pack(const float (&in)[8]) {
  Bf16x8 v;
#pragma unroll
  for (int i = 0; i < 4; ++i) v.h[i] = __floats2bfloat162_rn(in[2 * i], in[2 * i + 1]);
  return v;
}

__device__ __forceinline__ float SiluF(float x) { return x / (1.0f + __expf(-x)); }

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_DEVICE_MATH_CUH_
