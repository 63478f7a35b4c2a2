// Grouped-query attention (Llama, Qwen3, Qwen3-MoE): q/k/v projections, an
// optional per-head RMSNorm of q and k (Qwen3), RoPE, paged attention, o_proj.
#ifndef WEFT_COMMON_ENGINE_MODEL_GQA_ATTENTION_H_
#define WEFT_COMMON_ENGINE_MODEL_GQA_ATTENTION_H_

#include <memory>
#include <vector>

#include "common/engine/model/layers.h"
#include "common/engine/model/linear_weight.h"
#include "kernels/cpu/rope.h"

namespace weft::engine {

struct GqaWeights {
  LinearWeight q, k, v, o;  // [heads*d, H], [kv*d, H], [kv*d, H], [H, heads*d]
  std::vector<float> q_bias, k_bias, v_bias, o_bias;  // empty unless attention_bias
  std::vector<float> q_norm, k_norm;                  // [d] each, or empty
};

struct GqaShape {
  int64_t hidden = 0;
  int32_t num_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
  float rms_norm_eps = 1e-6f;
};

class GqaAttention final : public AttentionLayer {
 public:
  // `rope` outlives the layer.
  GqaAttention(GqaShape shape, GqaWeights weights, const kernels::cpu::RopeTable& rope);

  void Forward(const float* h, const ForwardBatch& batch, kernels::cpu::PagedKvCache kv,
               float* out) const override;

 private:
  GqaShape shape_;
  GqaWeights w_;
  const kernels::cpu::RopeTable& rope_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_GQA_ATTENTION_H_
