// Device code of moe_routing.h: one warp per token. Expert e of a token
// lives in lane e % 32, register slot e / 32 (kSlots slots, so up to
// 32 * kSlots experts), and top-k is k rounds of a warp-wide arg max with
// ties broken toward the lower expert index (kernels/cpu/moe_routing.cc).
#ifndef WEFT_KERNELS_CUDA_MOE_ROUTING_CUH_
#define WEFT_KERNELS_CUDA_MOE_ROUTING_CUH_

#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

constexpr int kRoutingMaxExperts = 512;
constexpr int kRoutingMaxTopK = 32;
constexpr int kRoutingWarps = 4;  // tokens per block

// True when (va, ia) ranks before (vb, ib): larger value, then lower index.
// An empty candidate is (-inf, INT_MAX), so any real expert beats it.
__device__ __forceinline__ bool RanksBefore(float va, int ia, float vb, int ib) {
  return va > vb || (va == vb && ia < ib);
}

// Warp-wide arg max; every lane ends with the same (v, i) (the order is
// total for non-NaN values and distinct indices).
__device__ __forceinline__ void WarpArgMax(float& v, int& i) {
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    const float ov = __shfl_xor_sync(0xffffffffu, v, offset);
    const int oi = __shfl_xor_sync(0xffffffffu, i, offset);
    if (RanksBefore(ov, oi, v, i)) {
      v = ov;
      i = oi;
    }
  }
}

// Register slot `slot` (a run-time value) of `a`, without dynamic indexing
// (which would move the array to local memory).
template <int kSlots>
__device__ __forceinline__ float SlotValue(const float (&a)[kSlots], int slot) {
  float v = 0.0f;
#pragma unroll
  for (int s = 0; s < kSlots; ++s) v = s == slot ? a[s] : v;
  return v;
}

// Top-k of `key` over the warp's experts (num_experts of them), in
// descending order. Lane j < top_k receives the j-th choice's id and its
// `payload` (read from the lane that owns the expert).
template <int kSlots>
__device__ __forceinline__ void WarpTopK(const float (&key)[kSlots], const float (&payload)[kSlots],
                                         int num_experts, int top_k, int lane, int& out_id,
                                         float& out_payload) {
  uint32_t taken = 0;  // bit s: slot s of this lane already chosen
  out_id = 0;
  out_payload = 0.0f;
  for (int j = 0; j < top_k; ++j) {
    float best = -INFINITY;
    int best_id = INT_MAX;
#pragma unroll
    for (int s = 0; s < kSlots; ++s) {
      const int e = s * kWarpSize + lane;
      if (e < num_experts && ((taken >> s) & 1u) == 0 && RanksBefore(key[s], e, best, best_id)) {
        best = key[s];
        best_id = e;
      }
    }
    WarpArgMax(best, best_id);
    const int owner = best_id % kWarpSize;
    const int slot = best_id / kWarpSize;
    if (owner == lane) taken |= 1u << slot;
    const float p = __shfl_sync(0xffffffffu, SlotValue(payload, slot), owner);
    if (lane == j) {
      out_id = best_id;
      out_payload = p;
    }
  }
}

// Softmax over the logits, top_k largest probabilities, optionally
// renormalized. Probabilities are exp(x - max) / sum as on the CPU, so the
// chosen ids agree with it except at float ties of the probabilities.
template <int kSlots>
__global__ void __launch_bounds__(kRoutingWarps* kWarpSize)
    SoftmaxTopKKernel(const float* __restrict__ logits, int64_t tokens, int num_experts, int top_k,
                      bool normalize, int32_t* __restrict__ ids, float* __restrict__ weights) {
  WaitForPredecessors();
  const int lane = threadIdx.x % kWarpSize;
  const int64_t t = blockIdx.x * int64_t{kRoutingWarps} + threadIdx.x / kWarpSize;
  if (t >= tokens) return;
  const float* row = logits + t * num_experts;
  float p[kSlots];
  float max = -INFINITY;
#pragma unroll
  for (int s = 0; s < kSlots; ++s) {
    const int e = s * kWarpSize + lane;
    p[s] = e < num_experts ? row[e] : -INFINITY;
    max = fmaxf(max, p[s]);
  }
  max = WarpMax(max);
  float sum = 0.0f;
#pragma unroll
  for (int s = 0; s < kSlots; ++s) {
    const int e = s * kWarpSize + lane;
    p[s] = e < num_experts ? expf(p[s] - max) : 0.0f;
    sum += p[s];
  }
  sum = WarpSum(sum);
#pragma unroll
  for (int s = 0; s < kSlots; ++s) p[s] = p[s] / sum;
  int id;
  float w;
  WarpTopK(p, p, num_experts, top_k, lane, id, w);
  if (normalize) {
    const float chosen = WarpSum(lane < top_k ? w : 0.0f);
    w = w / chosen;
  }
  if (lane < top_k) {
    ids[t * top_k + lane] = id;
    weights[t * top_k + lane] = w;
  }
}

// DeepSeek-V3 routing (GroupedSigmoidTopK in kernels/cpu/moe_routing.h):
// scores = sigmoid(logits), chosen by scores + bias within the topk_group
// groups of highest top-2 biased sum (other experts count as 0).
template <int kSlots>
__global__ void __launch_bounds__(kRoutingWarps* kWarpSize)
    GroupedSigmoidTopKKernel(const float* __restrict__ logits, const float* __restrict__ bias,
                             int64_t tokens, int num_experts, int n_group, int topk_group,
                             int top_k, bool normalize, float scaling, int32_t* __restrict__ ids,
                             float* __restrict__ weights) {
  WaitForPredecessors();
  __shared__ float s_choice[kRoutingWarps][kRoutingMaxExperts];
  __shared__ float s_group_score[kRoutingWarps][kRoutingMaxExperts];
  __shared__ uint8_t s_kept[kRoutingWarps][kRoutingMaxExperts];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int64_t t = blockIdx.x * int64_t{kRoutingWarps} + warp;
  if (t >= tokens) return;  // whole warps only: no block barrier below
  const float* row = logits + t * num_experts;
  float score[kSlots], choice[kSlots];
#pragma unroll
  for (int s = 0; s < kSlots; ++s) {
    const int e = s * kWarpSize + lane;
    score[s] = 0.0f;
    choice[s] = 0.0f;
    if (e < num_experts) {
      score[s] = 1.0f / (1.0f + expf(-row[e]));
      choice[s] = score[s] + bias[e];
    }
  }
  if (topk_group < n_group) {
    // Group scores: the sum of each group's two best biased scores.
    const int per_group = num_experts / n_group;
    float* choice_smem = s_choice[warp];
#pragma unroll
    for (int s = 0; s < kSlots; ++s) {
      const int e = s * kWarpSize + lane;
      if (e < num_experts) choice_smem[e] = choice[s];
    }
    __syncwarp();
    for (int g = lane; g < n_group; g += kWarpSize) {
      const float* group = choice_smem + g * per_group;
      float best = group[0];
      float second = -INFINITY;
      for (int i = 1; i < per_group; ++i) {
        const float v = group[i];
        if (v > best) {
          second = best;
          best = v;
        } else if (i == 1 || v > second) {
          second = v;
        }
      }
      s_group_score[warp][g] = per_group >= 2 ? best + second : best;
      s_kept[warp][g] = 0;
    }
    __syncwarp();
    for (int j = 0; j < topk_group; ++j) {
      float best = -INFINITY;
      int best_g = INT_MAX;
      for (int g = lane; g < n_group; g += kWarpSize) {
        if (!s_kept[warp][g] && RanksBefore(s_group_score[warp][g], g, best, best_g)) {
          best = s_group_score[warp][g];
          best_g = g;
        }
      }
      WarpArgMax(best, best_g);
      __syncwarp();
      if (lane == 0) s_kept[warp][best_g] = 1;
      __syncwarp();
    }
#pragma unroll
    for (int s = 0; s < kSlots; ++s) {
      const int e = s * kWarpSize + lane;
      if (e < num_experts && !s_kept[warp][e / per_group]) choice[s] = 0.0f;
    }
  }
  int id;
  float w;
  WarpTopK(choice, score, num_experts, top_k, lane, id, w);
  if (normalize) {
    const float sum = WarpSum(lane < top_k ? w : 0.0f);
    w = w / (sum + 1e-20f);
  }
  w *= scaling;
  if (lane < top_k) {
    ids[t * top_k + lane] = id;
    weights[t * top_k + lane] = w;
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_MOE_ROUTING_CUH_
