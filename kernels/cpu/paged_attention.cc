#include "kernels/cpu/paged_attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "kernels/cpu/thread_pool.h"

namespace weft::kernels::cpu {

void PagedAttention(const PagedKvCache& c, const PagedAttentionParams& p) {
  const int32_t group = p.num_heads / c.num_kv_heads;
  // One work item per (token, head); chunks sized so that each reads a few
  // tens of thousands of cached values.
  int64_t total_context = 0;
  for (int64_t t = 0; t < p.tokens; ++t) total_context += p.context_len[t];
  const int64_t per_item =
      std::max<int64_t>(1, total_context / std::max<int64_t>(1, p.tokens)) * c.head_dim;
  const int64_t min_chunk = std::max<int64_t>(1, 32768 / per_item);
  ParallelFor(p.tokens * p.num_heads, min_chunk, [&](int64_t begin, int64_t end) {
    std::vector<float> scores;
    std::vector<double> acc(c.v_head_dim);
    for (int64_t item = begin; item < end; ++item) {
      const int64_t t = item / p.num_heads;
      const int32_t h = static_cast<int32_t>(item % p.num_heads);
      const int32_t* table =
          p.block_tables + static_cast<int64_t>(p.sequence_of_token[t]) * p.max_blocks_per_sequence;
      const int32_t n = p.context_len[t];
      scores.resize(n);
      const float* q = p.q + (t * p.num_heads + h) * c.head_dim;
      float* out = p.out + (t * p.num_heads + h) * c.v_head_dim;
      const int32_t kv_head = h / group;
      if (n == 0) {
        std::fill(out, out + c.v_head_dim, 0.0f);
        continue;
      }
      float max_score = -std::numeric_limits<float>::infinity();
      for (int32_t j = 0; j < n; ++j) {
        const int64_t slot =
            static_cast<int64_t>(table[j / c.block_size]) * c.block_size + j % c.block_size;
        const float* k = c.k + slot * c.k_slot_stride + kv_head * c.k_head_stride;
        float dot = 0.0f;
        for (int32_t d = 0; d < c.head_dim; ++d) dot += q[d] * k[d];
        scores[j] = dot * p.scale;
        max_score = std::max(max_score, scores[j]);
      }
      double denominator = 0.0;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int32_t j = 0; j < n; ++j) {
        const int64_t slot =
            static_cast<int64_t>(table[j / c.block_size]) * c.block_size + j % c.block_size;
        const float* v = c.v + slot * c.v_slot_stride + kv_head * c.v_head_stride;
        const double w = std::exp(static_cast<double>(scores[j] - max_score));
        denominator += w;
        for (int32_t d = 0; d < c.v_head_dim; ++d) acc[d] += w * v[d];
      }
      for (int32_t d = 0; d < c.v_head_dim; ++d) {
        out[d] = static_cast<float>(acc[d] / denominator);
      }
    }
  });
}

void WriteKv(const PagedKvCache& c, const float* k_new, const float* v_new, const int64_t* slots,
             int64_t tokens) {
  for (int64_t t = 0; t < tokens; ++t) {
    for (int32_t h = 0; h < c.num_kv_heads; ++h) {
      std::memcpy(c.k + slots[t] * c.k_slot_stride + h * c.k_head_stride,
                  k_new + (t * c.num_kv_heads + h) * c.head_dim, sizeof(float) * c.head_dim);
      if (v_new != nullptr) {
        std::memcpy(c.v + slots[t] * c.v_slot_stride + h * c.v_head_stride,
                    v_new + (t * c.num_kv_heads + h) * c.v_head_dim, sizeof(float) * c.v_head_dim);
      }
    }
  }
}

}  // namespace weft::kernels::cpu
