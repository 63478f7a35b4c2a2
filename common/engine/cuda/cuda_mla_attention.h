// DeepSeek's multi-head latent attention on the CUDA backend, in the
// weight-absorbed form for every token (decode and prefill alike): the
// latent cache holds one row per token, [c | k_rope] (kv_lora_rank + rope
// dims, after kv_a_layernorm and RoPE); queries are absorbed into the latent
// space per head (q_nope W_UK[h], one batched GEMM over the heads), attend
// as MQA over the latent rows (paged_attention.h's latent layout), and each
// head's latent output is expanded by W_UV[h] (a second batched GEMM) before
// o_proj, which adds into the residual. The same numbers as the CPU
// backend's MlaAttention (common/engine/model/mla_attention.h) up to bf16
// rounding. Projections in bf16 or INT8 W8A8; W_UK/W_UV stay bf16.
//
// Not here yet: the expanded form for long prompt chunks (fewer FLOPs than
// the absorbed form at long contexts); prompts run absorbed, which is exact
// but does more arithmetic per token.
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_MLA_ATTENTION_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_MLA_ATTENTION_H_

#include <utility>

#include "common/engine/cuda/cuda_layers.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/cuda/device_linear_weight.h"
#include "common/engine/model/model_shapes.h"

namespace weft::engine::gpu {

// Device weights, bf16 unless noted.
struct CudaMlaWeights {
  DeviceLinearWeight q_a;   // [q_lora, hidden], with q_lora_rank
  DeviceBuffer q_a_norm;    // [q_lora]
  DeviceLinearWeight q_b;   // [heads * qk, q_lora], with q_lora_rank
  DeviceLinearWeight q;     // [heads * qk, hidden], without q_lora_rank
  DeviceLinearWeight kv_a;  // [lora + rope, hidden]
  DeviceBuffer kv_a_norm;   // [lora]
  // kv_b_proj [heads, nope + v, lora]: per head W_UK (nope rows) then W_UV
  // (v rows), read in place by the batched GEMMs.
  DeviceBuffer kv_b;
  DeviceLinearWeight o;                      // [hidden, heads * v]
  DeviceBuffer q_a_bias, kv_a_bias, o_bias;  // attention_bias only
  const float* inv_freq = nullptr;           // [rope / 2] float32, owned by the model
};

class CudaMlaAttention final : public CudaAttentionLayer {
 public:
  // attention_scaling: the RoPE table's cos/sin factor.
  CudaMlaAttention(MlaShape shape, float attention_scaling, CudaMlaWeights weights)
      : s_(shape), attention_scaling_(attention_scaling), w_(std::move(weights)) {}

  size_t ScratchBytes(const StepShape& shape) const override;
  absl::Status Forward(const CudaStep& step, const CudaActivations& h,
                       const kernels::gpu::PagedKvCacheView& kv, float* residual) const override;

 private:
  // Queries [tokens, heads, qk] from h, RoPE applied to their rope part.
  absl::Status Queries(const CudaStep& step, const CudaActivations& h, __nv_bfloat16* q) const;

  MlaShape s_;
  float attention_scaling_;
  CudaMlaWeights w_;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_MLA_ATTENTION_H_
