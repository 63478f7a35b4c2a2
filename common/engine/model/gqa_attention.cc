#include "common/engine/model/gqa_attention.h"

#include <cmath>
#include <utility>

#include "kernels/cpu/rms_norm.h"

namespace weft::engine {

namespace cpu = kernels::cpu;

GqaAttention::GqaAttention(GqaShape shape, GqaWeights weights, const cpu::RopeTable& rope)
    : shape_(shape), w_(std::move(weights)), rope_(rope) {}

void GqaAttention::Forward(const float* h, const ForwardBatch& batch, cpu::PagedKvCache kv,
                           float* out) const {
  const int64_t t = batch.num_tokens();
  const int64_t d = shape_.head_dim;
  const int64_t q_dim = shape_.num_heads * d, kv_dim = shape_.num_kv_heads * d;
  auto bias = [](const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); };
  std::vector<float> q(t * q_dim), k(t * kv_dim), v(t * kv_dim), attn(t * q_dim);
  w_.q.Forward(h, t, bias(w_.q_bias), q.data());
  w_.k.Forward(h, t, bias(w_.k_bias), k.data());
  w_.v.Forward(h, t, bias(w_.v_bias), v.data());
  if (!w_.q_norm.empty()) {
    cpu::RmsNorm(q.data(), w_.q_norm.data(), t * shape_.num_heads, d, shape_.rms_norm_eps,
                 q.data());
    cpu::RmsNorm(k.data(), w_.k_norm.data(), t * shape_.num_kv_heads, d, shape_.rms_norm_eps,
                 k.data());
  }
  rope_.Apply(q.data(), batch.positions.data(), t, shape_.num_heads, d, 0, cpu::RopeLayout::kNeox);
  rope_.Apply(k.data(), batch.positions.data(), t, shape_.num_kv_heads, d, 0,
              cpu::RopeLayout::kNeox);
  cpu::WriteKv(kv, k.data(), v.data(), batch.slots.data(), t);
  cpu::PagedAttention(kv, {.q = q.data(),
                           .out = attn.data(),
                           .tokens = t,
                           .num_heads = shape_.num_heads,
                           .scale = 1.0f / std::sqrt(static_cast<float>(d)),
                           .sequence_of_token = batch.sequence_of_token.data(),
                           .context_len = batch.context_len.data(),
                           .block_tables = batch.block_tables.data(),
                           .max_blocks_per_sequence = batch.max_blocks_per_sequence});
  w_.o.Forward(attn.data(), t, bias(w_.o_bias), out);
}

}  // namespace weft::engine
