// The routed experts of an MoE layer on the CPU: each token's hidden state
// goes through its chosen experts' SiLU-gated MLPs, and the outputs are summed
// with the routing weights. Tokens are grouped by expert so that each expert
// runs one matrix product over all of its tokens.
#ifndef WEFT_KERNELS_CPU_MOE_EXPERTS_H_
#define WEFT_KERNELS_CPU_MOE_EXPERTS_H_

#include <cstdint>

#include "kernels/cpu/weight_ref.h"

namespace weft::kernels::cpu {

struct MoeExpertWeights {
  // Per expert e: gate_up[e] is [2 * inter, hidden] (gate rows, then up rows),
  // down[e] is [hidden, inter], each float32 or INT8. Arrays of num_experts
  // entries, so experts need not be contiguous.
  const WeightRef* gate_up = nullptr;
  const WeightRef* down = nullptr;
  int32_t num_experts = 0;
  int64_t hidden = 0;
  int64_t inter = 0;
};

// x: [tokens, hidden]; ids, weights: [tokens, top_k] (ids in 0..num_experts-1);
// out: [tokens, hidden], overwritten with sum_j weights[t,j] * expert_{ids[t,j]}(x[t]).
void MoeExperts(const MoeExpertWeights& experts, const float* x, int64_t tokens, int32_t top_k,
                const int32_t* ids, const float* weights, float* out);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_MOE_EXPERTS_H_
