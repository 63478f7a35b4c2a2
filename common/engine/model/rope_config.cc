#include "common/engine/model/rope_config.h"

namespace weft::engine {

kernels::cpu::RopeParams RopeParamsFor(const checkpoint::ModelConfig& c, int32_t rotary_dim) {
  kernels::cpu::RopeParams p;
  p.rotary_dim = rotary_dim;
  p.theta = c.rope.theta;
  p.factor = c.rope.factor;
  p.low_freq_factor = c.rope.low_freq_factor;
  p.high_freq_factor = c.rope.high_freq_factor;
  p.original_max_position_embeddings = c.rope.original_max_position_embeddings > 0
                                           ? c.rope.original_max_position_embeddings
                                           : c.max_position_embeddings;
  p.beta_fast = c.rope.beta_fast;
  p.beta_slow = c.rope.beta_slow;
  p.mscale = c.rope.mscale.value_or(0.0);
  p.mscale_all_dim = c.rope.mscale_all_dim;
  p.attention_factor = c.rope.attention_factor.value_or(0.0);
  p.truncate = c.rope.truncate;
  switch (c.rope.type) {
    case checkpoint::RopeType::kDefault:
      p.type = kernels::cpu::RopeType::kDefault;
      break;
    case checkpoint::RopeType::kLinear:
      p.type = kernels::cpu::RopeType::kLinear;
      break;
    case checkpoint::RopeType::kLlama3:
      p.type = kernels::cpu::RopeType::kLlama3;
      break;
    case checkpoint::RopeType::kYarn:
      p.type = kernels::cpu::RopeType::kYarn;
      break;
  }
  return p;
}

}  // namespace weft::engine
