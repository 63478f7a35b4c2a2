#include "kernels/cpu/moe_experts.h"

#include <algorithm>
#include <vector>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/weight_ref.h"

namespace weft::kernels::cpu {

void MoeExperts(const MoeExpertWeights& e, const float* x, int64_t tokens, int32_t top_k,
                const int32_t* ids, const float* weights, float* out) {
  std::fill(out, out + tokens * e.hidden, 0.0f);
  // Permute: the (token, slot) pairs of each expert, in token order.
  std::vector<std::vector<int64_t>> assignments(e.num_experts);
  for (int64_t i = 0; i < tokens * top_k; ++i) assignments[ids[i]].push_back(i);
  std::vector<float> gathered, gate_up, act, down;
  for (int32_t expert = 0; expert < e.num_experts; ++expert) {
    const std::vector<int64_t>& rows = assignments[expert];
    if (rows.empty()) continue;
    const int64_t m = static_cast<int64_t>(rows.size());
    gathered.resize(m * e.hidden);
    for (int64_t r = 0; r < m; ++r) {
      const float* src = x + (rows[r] / top_k) * e.hidden;
      std::copy(src, src + e.hidden, gathered.begin() + r * e.hidden);
    }
    gate_up.resize(m * 2 * e.inter);
    act.resize(m * e.inter);
    down.resize(m * e.hidden);
    MatMul(gathered.data(), m, e.gate_up[expert], nullptr, gate_up.data());
    SiluAndMul(gate_up.data(), m, e.inter, act.data());
    MatMul(act.data(), m, e.down[expert], nullptr, down.data());
    // Combine: weighted scatter-add back to each token.
    for (int64_t r = 0; r < m; ++r) {
      const float w = weights[rows[r]];
      float* dst = out + (rows[r] / top_k) * e.hidden;
      const float* src = down.data() + r * e.hidden;
      for (int64_t h = 0; h < e.hidden; ++h) dst[h] += w * src[h];
    }
  }
}

}  // namespace weft::kernels::cpu
