#include "common/engine/model/mla_attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "kernels/cpu/linear.h"
#include "kernels/cpu/rms_norm.h"

namespace weft::engine {

namespace cpu = kernels::cpu;

namespace {
const float* Bias(const std::vector<float>& b) { return b.empty() ? nullptr : b.data(); }
}  // namespace

MlaAttention::MlaAttention(MlaShape shape, MlaWeights weights, const cpu::RopeTable& rope)
    : s_(shape), w_(std::move(weights)), rope_(rope) {}

void MlaAttention::Forward(const float* h, const ForwardBatch& batch, cpu::PagedKvCache kv,
                           float* out) const {
  const int64_t t = batch.num_tokens();
  const int64_t nope = s_.qk_nope_head_dim, rope = s_.qk_rope_head_dim, lora = s_.kv_lora_rank;
  const int64_t qk = nope + rope, heads = s_.num_heads, vd = s_.v_head_dim;
  const int64_t row = lora + rope;  // one latent cache row
  const auto layout = s_.rope_interleave ? cpu::RopeLayout::kInterleaved : cpu::RopeLayout::kNeox;

  // Queries: [t, heads, nope + rope].
  std::vector<float> q(t * heads * qk);
  if (s_.q_lora_rank > 0) {
    std::vector<float> qa(t * s_.q_lora_rank);
    w_.q_a.Forward(h, t, Bias(w_.q_a_bias), qa.data());
    cpu::RmsNorm(qa.data(), w_.q_a_norm.data(), t, s_.q_lora_rank, s_.rms_norm_eps, qa.data());
    w_.q_b.Forward(qa.data(), t, nullptr, q.data());
  } else {
    w_.q.Forward(h, t, nullptr, q.data());
  }
  rope_.Apply(q.data(), batch.positions.data(), t, heads, qk, nope, layout);

  // The new latent rows: [c | k_rope], normalized and rotated, into the cache.
  std::vector<float> latent(t * row);
  w_.kv_a.Forward(h, t, Bias(w_.kv_a_bias), latent.data());
  for (int64_t i = 0; i < t; ++i) {
    float* c = latent.data() + i * row;
    cpu::RmsNorm(c, w_.kv_a_norm.data(), 1, lora, s_.rms_norm_eps, c);
  }
  rope_.Apply(latent.data(), batch.positions.data(), t, 1, row, lora, layout);
  cpu::WriteKv(kv, latent.data(), nullptr, batch.slots.data(), t);

  // Absorb: q_latent[h] = W_UK[h]^T q_nope[h], W_UK[h] = kv_b rows
  // [h*(nope+v), h*(nope+v)+nope) of width lora. Query rows for the MQA
  // kernel: [q_latent (lora) | q_rope (rope)].
  std::vector<float> q_abs(t * heads * row, 0.0f);
  for (int64_t i = 0; i < t; ++i) {
    for (int64_t hd = 0; hd < heads; ++hd) {
      const float* qn = q.data() + (i * heads + hd) * qk;
      float* dst = q_abs.data() + (i * heads + hd) * row;
      for (int64_t r = 0; r < nope; ++r) {
        const float* w_row = w_.kv_b.data() + (hd * (nope + vd) + r) * lora;
        const float coeff = qn[r];
        for (int64_t j = 0; j < lora; ++j) dst[j] += coeff * w_row[j];
      }
      for (int64_t j = 0; j < rope; ++j) dst[lora + j] = qn[nope + j];
    }
  }
  std::vector<float> latent_out(t * heads * lora);
  cpu::PagedAttention(kv, {.q = q_abs.data(),
                           .out = latent_out.data(),
                           .tokens = t,
                           .num_heads = static_cast<int32_t>(heads),
                           .scale = s_.softmax_scale,
                           .sequence_of_token = batch.sequence_of_token.data(),
                           .context_len = batch.context_len.data(),
                           .block_tables = batch.block_tables.data(),
                           .max_blocks_per_sequence = batch.max_blocks_per_sequence});
  // Expand: o[h] = W_UV[h] latent_out[h], W_UV[h] = kv_b rows
  // [h*(nope+v)+nope, (h+1)*(nope+v)).
  std::vector<float> attn(t * heads * vd);
  for (int64_t i = 0; i < t; ++i) {
    for (int64_t hd = 0; hd < heads; ++hd) {
      const float* lat = latent_out.data() + (i * heads + hd) * lora;
      for (int64_t r = 0; r < vd; ++r) {
        const float* w_row = w_.kv_b.data() + (hd * (nope + vd) + nope + r) * lora;
        float acc = 0.0f;
        for (int64_t j = 0; j < lora; ++j) acc += w_row[j] * lat[j];
        attn[(i * heads + hd) * vd + r] = acc;
      }
    }
  }
  if (s_.expanded_prefill) {
    // Sequences with several tokens in this step: the expanded form.
    std::map<int32_t, std::vector<int64_t>> rows_of;
    for (int64_t i = 0; i < t; ++i) rows_of[batch.sequence_of_token[i]].push_back(i);
    for (const auto& [seq, rows] : rows_of) {
      if (rows.size() > 1) ExpandedAttention(q.data(), batch, kv, rows, attn.data());
    }
  }
  w_.o.Forward(attn.data(), t, Bias(w_.o_bias), out);
}

void MlaAttention::ExpandedAttention(const float* q, const ForwardBatch& batch,
                                     cpu::PagedKvCache kv, const std::vector<int64_t>& rows,
                                     float* attn) const {
  const int64_t nope = s_.qk_nope_head_dim, rope = s_.qk_rope_head_dim, lora = s_.kv_lora_rank;
  const int64_t qk = nope + rope, heads = s_.num_heads, vd = s_.v_head_dim;
  const int64_t row = lora + rope;
  int32_t ctx = 0;
  for (int64_t i : rows) ctx = std::max(ctx, batch.context_len[i]);
  const int32_t* table = batch.block_tables.data() +
                         int64_t{batch.sequence_of_token[rows[0]]} * batch.max_blocks_per_sequence;
  // The context's latent rows [ctx, lora] and rope keys [ctx, rope].
  std::vector<float> c(ctx * lora), k_rope(ctx * rope);
  for (int32_t j = 0; j < ctx; ++j) {
    const int64_t slot = int64_t{table[j / kv.block_size]} * kv.block_size + j % kv.block_size;
    const float* src = kv.k + slot * kv.k_slot_stride;
    std::copy(src, src + lora, c.begin() + j * lora);
    std::copy(src + lora, src + row, k_rope.begin() + j * rope);
  }
  // Expanded per head: [ctx, heads, nope + v] = c . kv_b^T.
  std::vector<float> kv_heads(ctx * heads * (nope + vd));
  cpu::Linear(c.data(), ctx, lora, w_.kv_b.data(), heads * (nope + vd), nullptr, kv_heads.data());
  std::vector<double> scores(ctx);
  for (int64_t i : rows) {
    const int32_t n = batch.context_len[i];
    for (int64_t hd = 0; hd < heads; ++hd) {
      const float* qh = q + (i * heads + hd) * qk;
      double max_score = -std::numeric_limits<double>::infinity();
      for (int32_t j = 0; j < n; ++j) {
        const float* kh = kv_heads.data() + (int64_t{j} * heads + hd) * (nope + vd);
        const float* kr = k_rope.data() + int64_t{j} * rope;
        float dot = 0.0f;
        for (int64_t d = 0; d < nope; ++d) dot += qh[d] * kh[d];
        for (int64_t d = 0; d < rope; ++d) dot += qh[nope + d] * kr[d];
        scores[j] = double{dot} * s_.softmax_scale;
        max_score = std::max(max_score, scores[j]);
      }
      double total = 0.0;
      std::vector<double> acc(vd, 0.0);
      for (int32_t j = 0; j < n; ++j) {
        const double w = std::exp(scores[j] - max_score);
        total += w;
        const float* vh = kv_heads.data() + (int64_t{j} * heads + hd) * (nope + vd) + nope;
        for (int64_t d = 0; d < vd; ++d) acc[d] += w * vh[d];
      }
      float* dst = attn + (i * heads + hd) * vd;
      for (int64_t d = 0; d < vd; ++d) dst[d] = static_cast<float>(acc[d] / total);
    }
  }
}

}  // namespace weft::engine
