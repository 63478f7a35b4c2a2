// The plain kernel behind LaunchPagedAttention for latent (MLA) rows of the
// sizes the tuned kernel has no instantiation for, such as the test
// fixtures' 48-element rows: one block of kGenericWarps warps per (token,
// query head); the warps take the context's keys in turn, each keeping an
// online softmax, and merge at the end. Correct for any size within the
// limits below, not tuned: real MLA models (576/512) take the tuned kernel.
#ifndef WEFT_KERNELS_CUDA_PAGED_ATTENTION_GENERIC_CUH_
#define WEFT_KERNELS_CUDA_PAGED_ATTENTION_GENERIC_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/paged_attention.cuh"

namespace weft::kernels::gpu::device {

constexpr int kGenericWarps = 4;
constexpr int kGenericMaxHeadDim = 1024;
constexpr int kGenericMaxVPerLane = 16;
constexpr int kGenericMaxVHeadDim = kGenericMaxVPerLane * kWarpSize;  // 512

// a.scale_log2 as in PagedAttentionKernel; a.partitions must be 1.
__global__ void __launch_bounds__(kGenericWarps* kWarpSize)
    GenericPagedAttentionKernel(AttentionArgs a, int32_t head_dim, int32_t v_head_dim) {
  WaitForPredecessors();
  __shared__ float s_q[kGenericMaxHeadDim];
  __shared__ float s_o[kGenericWarps][kGenericMaxVHeadDim];
  __shared__ float s_m[kGenericWarps];
  __shared__ float s_l[kGenericWarps];
  const int64_t token = blockIdx.x / a.num_heads;
  const int32_t head = static_cast<int32_t>(blockIdx.x % a.num_heads);
  const int32_t kv_head = head / a.group;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;

  const __nv_bfloat16* q = a.q + token * a.q_token_stride + int64_t{head} * head_dim;
  for (int i = static_cast<int>(threadIdx.x); i < head_dim; i += blockDim.x) {
    s_q[i] = __bfloat162float(q[i]);
  }
  __syncthreads();

  const int32_t context = a.context_len[token];
  const int32_t* table =
      a.block_tables + int64_t{a.sequence_of_token[token]} * a.max_blocks_per_sequence;
  float m = -INFINITY;  // running max of the scores (log2 domain)
  float l = 0.0f;       // running sum of exp2(score - m)
  float acc[kGenericMaxVPerLane];
#pragma unroll
  for (int i = 0; i < kGenericMaxVPerLane; ++i) acc[i] = 0.0f;
  for (int32_t j = warp; j < context; j += kGenericWarps) {
    const int64_t slot = int64_t{table[j / a.block_size]} * a.block_size + j % a.block_size;
    const __nv_bfloat16* k = a.k + slot * a.k_slot_stride + int64_t{kv_head} * a.k_head_stride;
    float dot = 0.0f;
    for (int i = lane; i < head_dim; i += kWarpSize) dot += s_q[i] * __bfloat162float(k[i]);
#pragma unroll
    for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
      dot += __shfl_xor_sync(0xffffffffu, dot, offset);
    }
    const float score = dot * a.scale_log2;
    const float m_new = fmaxf(m, score);
    const float correction = exp2f(m - m_new);  // 0 on the first key (m = -inf)
    const float p = exp2f(score - m_new);
    l = l * correction + p;
    const __nv_bfloat16* v = a.v + slot * a.v_slot_stride + int64_t{kv_head} * a.v_head_stride;
#pragma unroll
    for (int i = 0; i < kGenericMaxVPerLane; ++i) {
      const int c = i * kWarpSize + lane;
      if (c < v_head_dim) acc[i] = acc[i] * correction + p * __bfloat162float(v[c]);
    }
    m = m_new;
  }

  // Merge the warps' partial softmaxes; warps that saw no key have l = 0.
  if (lane == 0) {
    s_m[warp] = m;
    s_l[warp] = l;
  }
#pragma unroll
  for (int i = 0; i < kGenericMaxVPerLane; ++i) {
    const int c = i * kWarpSize + lane;
    if (c < v_head_dim) s_o[warp][c] = acc[i];
  }
  __syncthreads();
  float m_all = -INFINITY;
  for (int w = 0; w < kGenericWarps; ++w) {
    if (s_l[w] > 0.0f) m_all = fmaxf(m_all, s_m[w]);
  }
  float weight[kGenericWarps];
  float l_all = 0.0f;
  for (int w = 0; w < kGenericWarps; ++w) {
    weight[w] = s_l[w] > 0.0f ? exp2f(s_m[w] - m_all) : 0.0f;
    l_all += s_l[w] * weight[w];
  }
  const float inv = l_all > 0.0f ? 1.0f / l_all : 0.0f;  // no context: zeros
  __nv_bfloat16* out = a.out + (token * a.num_heads + head) * int64_t{v_head_dim};
  for (int c = static_cast<int>(threadIdx.x); c < v_head_dim; c += blockDim.x) {
    float o = 0.0f;
    for (int w = 0; w < kGenericWarps; ++w) o += s_o[w][c] * weight[w];
    out[c] = __float2bfloat16_rn(o * inv);
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_PAGED_ATTENTION_GENERIC_CUH_
