#include "common/engine/model/model_shapes.h"

#include <cmath>

#include "kernels/cpu/rope.h"

namespace weft::engine {

bool UsesMla(const checkpoint::ModelConfig& c) { return c.mla.has_value(); }

absl::Status CheckMlaFields(const checkpoint::ModelConfig& c) {
  if (c.architecture == checkpoint::Architecture::kDeepseekV3 && !UsesMla(c)) {
    return absl::InvalidArgumentError("DeepseekV3ForCausalLM config without MLA fields");
  }
  return absl::OkStatus();
}

MlaShape MlaShapeFor(const checkpoint::ModelConfig& c) {
  const checkpoint::MlaConfig& m = *c.mla;
  MlaShape s;
  s.hidden = c.hidden_size;
  s.num_heads = static_cast<int32_t>(c.num_attention_heads);
  s.q_lora_rank = static_cast<int32_t>(m.q_lora_rank.value_or(0));
  s.kv_lora_rank = static_cast<int32_t>(m.kv_lora_rank);
  s.qk_nope_head_dim = static_cast<int32_t>(m.qk_nope_head_dim);
  s.qk_rope_head_dim = static_cast<int32_t>(m.qk_rope_head_dim);
  s.v_head_dim = static_cast<int32_t>(m.v_head_dim);
  s.rope_interleave = m.rope_interleave;
  s.rms_norm_eps = static_cast<float>(c.rms_norm_eps);
  double scale = 1.0 / std::sqrt(static_cast<double>(m.qk_head_dim()));
  if (c.rope.type == checkpoint::RopeType::kYarn && c.rope.mscale_all_dim > 0.0) {
    const double mscale = kernels::cpu::YarnMscale(c.rope.factor, c.rope.mscale_all_dim);
    scale *= mscale * mscale;
  }
  s.softmax_scale = static_cast<float>(scale);
  return s;
}

KvLayout KvLayoutFor(const checkpoint::ModelConfig& c, KvElement element) {
  KvLayout kv;
  kv.num_layers = static_cast<int32_t>(c.num_hidden_layers);
  kv.element = element;
  if (UsesMla(c)) {
    kv.num_kv_heads = 1;
    kv.head_dim = static_cast<int32_t>(c.mla->kv_lora_rank + c.mla->qk_rope_head_dim);
    kv.v_head_dim = static_cast<int32_t>(c.mla->kv_lora_rank);
    kv.latent = true;
  } else {
    kv.num_kv_heads = static_cast<int32_t>(c.num_key_value_heads);
    kv.head_dim = kv.v_head_dim = static_cast<int32_t>(c.head_dim);
  }
  return kv;
}

int32_t RotaryDimFor(const checkpoint::ModelConfig& c) {
  return static_cast<int32_t>(UsesMla(c) ? c.mla->qk_rope_head_dim : c.head_dim);
}

}  // namespace weft::engine
