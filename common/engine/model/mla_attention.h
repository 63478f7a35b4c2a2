// DeepSeek-V3 multi-head latent attention in the weight-absorbed form.
//
// The cache holds, per token and layer, the compressed latent c (after
// kv_a_layernorm, kv_lora_rank floats) and the decoupled RoPE key (rope dims,
// after rotation): one row shared by all heads. Queries are absorbed into
// the latent space (q_nope . W_UK per head), attention runs as MQA over the
// latent rows, and each head's latent output is expanded by W_UV before
// o_proj. Decode always uses this form.
//
// With `expanded_prefill`, a sequence running several tokens in a step (a
// prompt chunk) uses the expanded form instead, as transformers does: its
// context's latent rows are expanded once into per-head K (W_UK c, plus the
// shared rope key) and V (W_UV c) with one GEMM, and attention is ordinary
// multi-head attention — fewer FLOPs for long chunks. Both forms read and
// write the same latent cache.
#ifndef WEFT_COMMON_ENGINE_MODEL_MLA_ATTENTION_H_
#define WEFT_COMMON_ENGINE_MODEL_MLA_ATTENTION_H_

#include <vector>

#include "common/engine/model/layers.h"
#include "common/engine/model/linear_weight.h"
#include "common/engine/model/model_shapes.h"
#include "kernels/cpu/rope.h"

namespace weft::engine {

struct MlaWeights {
  LinearWeight q_a, q_b;         // with q_lora_rank
  std::vector<float> q_a_norm;   // [q_lora_rank]
  LinearWeight q;                // without q_lora_rank
  LinearWeight kv_a;             // [kv_lora + rope, H]
  std::vector<float> kv_a_norm;  // [kv_lora]
  // [heads * (nope + v), kv_lora], float32: the absorbed form uses it per
  // head on both sides of attention rather than as one linear layer.
  std::vector<float> kv_b;
  LinearWeight o;  // [H, heads * v]
  // attention_bias: biases of q_a_proj, kv_a_proj_with_mqa and o_proj.
  std::vector<float> q_a_bias, kv_a_bias, o_bias;
};

class MlaAttention final : public AttentionLayer {
 public:
  MlaAttention(MlaShape shape, MlaWeights weights, const kernels::cpu::RopeTable& rope);

  void Forward(const float* h, const ForwardBatch& batch, kernels::cpu::PagedKvCache kv,
               float* out) const override;

 private:
  // Attention outputs [t, heads, v] of the tokens `rows` (indices into the
  // batch, all of one sequence, in position order) in the expanded form.
  void ExpandedAttention(const float* q, const ForwardBatch& batch, kernels::cpu::PagedKvCache kv,
                         const std::vector<int64_t>& rows, float* attn) const;

  MlaShape s_;
  MlaWeights w_;
  const kernels::cpu::RopeTable& rope_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_MLA_ATTENTION_H_
