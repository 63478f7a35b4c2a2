// Device code of embedding.h: token embedding lookup (bf16 table rows widened
// to float32) and float32 row gathers. Both are pure copies, bound by memory
// bandwidth: the vector kernels move 16 bytes per load.
#ifndef WEFT_KERNELS_CUDA_EMBEDDING_CUH_
#define WEFT_KERNELS_CUDA_EMBEDDING_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

// One block per token (blockIdx.x), its threads striding over the row in
// chunks of 8 elements: one 16-byte bf16 load, two 16-byte float32 stores.
// Requires hidden % 8 == 0 and 16-byte aligned table and out. Ids outside
// [0, vocab) give a zero row.
__global__ void EmbeddingVec8Kernel(const __nv_bfloat16* __restrict__ table, int64_t vocab,
                                    int32_t hidden, const int32_t* __restrict__ ids,
                                    float* __restrict__ out) {
  WaitForPredecessors();
  const int64_t t = blockIdx.x;
  const int32_t id = ids[t];
  const int32_t chunks = hidden / 8;
  float4* row_out = reinterpret_cast<float4*>(out + t * hidden);
  if (id < 0 || id >= vocab) {
    const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    for (int32_t c = threadIdx.x; c < chunks; c += blockDim.x) {
      row_out[2 * c] = zero;
      row_out[2 * c + 1] = zero;
    }
    return;
  }
  const Bf16x8* row = reinterpret_cast<const Bf16x8*>(table + int64_t{id} * hidden);
  for (int32_t c = threadIdx.x; c < chunks; c += blockDim.x) {
    float v[8];
    Unpack(row[c], v);
    row_out[2 * c] = make_float4(v[0], v[1], v[2], v[3]);
    row_out[2 * c + 1] = make_float4(v[4], v[5], v[6], v[7]);
  }
}

// Any hidden size and alignment: one element per thread and step.
__global__ void EmbeddingScalarKernel(const __nv_bfloat16* __restrict__ table, int64_t vocab,
                                      int32_t hidden, const int32_t* __restrict__ ids,
                                      float* __restrict__ out) {
  WaitForPredecessors();
  const int64_t t = blockIdx.x;
  const int32_t id = ids[t];
  float* row_out = out + t * hidden;
  if (id < 0 || id >= vocab) {
    for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x) row_out[i] = 0.0f;
    return;
  }
  const __nv_bfloat16* row = table + int64_t{id} * hidden;
  for (int32_t i = threadIdx.x; i < hidden; i += blockDim.x) row_out[i] = __bfloat162float(row[i]);
}

// One block per output row (blockIdx.x), 16-byte copies. Requires
// cols % 4 == 0 and 16-byte aligned src and out.
__global__ void GatherRowsVec4Kernel(const float* __restrict__ src,
                                     const int32_t* __restrict__ rows, int32_t cols,
                                     float* __restrict__ out) {
  WaitForPredecessors();
  const int64_t r = blockIdx.x;
  const int32_t chunks = cols / 4;
  const float4* in = reinterpret_cast<const float4*>(src + int64_t{rows[r]} * cols);
  float4* dst = reinterpret_cast<float4*>(out + r * cols);
  for (int32_t c = threadIdx.x; c < chunks; c += blockDim.x) dst[c] = in[c];
}

// Any column count and alignment.
__global__ void GatherRowsScalarKernel(const float* __restrict__ src,
                                       const int32_t* __restrict__ rows, int32_t cols,
                                       float* __restrict__ out) {
  WaitForPredecessors();
  const int64_t r = blockIdx.x;
  const float* in = src + int64_t{rows[r]} * cols;
  float* dst = out + r * cols;
  for (int32_t i = threadIdx.x; i < cols; i += blockDim.x) dst[i] = in[i];
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_EMBEDDING_CUH_
