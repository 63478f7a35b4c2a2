// Mixture-of-experts routing on the CPU: which experts each token goes to,
// with which weights. Ties are broken toward the lower expert index.
#ifndef WEFT_KERNELS_CPU_MOE_ROUTING_H_
#define WEFT_KERNELS_CPU_MOE_ROUTING_H_

#include <cstdint>

namespace weft::kernels::cpu {

// Qwen3-MoE / Mixtral: softmax over the router logits, the top_k largest
// probabilities, optionally renormalized to sum to 1.
// logits: [tokens, num_experts]; ids, weights: [tokens, top_k], in
// descending order of probability.
// margins: null, or [tokens] receiving each token's routing margin, the
// router-logit gap between the last expert chosen and the best one not
// chosen (+inf when every expert is chosen). A path whose router logits err
// by more than a token's margin may choose other experts for it.
void SoftmaxTopK(const float* logits, int64_t tokens, int32_t num_experts, int32_t top_k,
                 bool normalize, int32_t* ids, float* weights, float* margins = nullptr);

struct GroupedTopKParams {
  int32_t num_experts = 0;
  int32_t n_group = 1;     // experts split into n_group equal groups
  int32_t topk_group = 1;  // groups kept per token
  int32_t top_k = 1;       // experts chosen per token
  bool normalize = true;
  float routed_scaling_factor = 1.0f;
};

// DeepSeek-V3: scores = sigmoid(logits); experts are chosen by scores + bias
// (e_score_correction_bias), only within the topk_group groups whose two best
// biased scores sum highest (experts of other groups count as 0, as in
// transformers); weights are the unbiased scores of the chosen experts,
// optionally normalized, times routed_scaling_factor.
// logits: [tokens, num_experts]; bias: [num_experts]; ids, weights:
// [tokens, top_k] in descending order of biased score.
// margins: null, or [tokens] receiving each token's routing margin in biased
// score: the smaller of the gap between the last group kept and the best
// group dropped, and the gap between the last expert chosen and the best
// expert not chosen (+inf where nothing is left out).
void GroupedSigmoidTopK(const float* logits, const float* bias, int64_t tokens,
                        const GroupedTopKParams& params, int32_t* ids, float* weights,
                        float* margins = nullptr);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_MOE_ROUTING_H_
