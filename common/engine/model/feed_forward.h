// The feed-forward halves of decoder layers on the CPU: the dense SiLU-gated
// MLP, and the MoE blocks of Qwen3-MoE (softmax top-k) and DeepSeek-V3
// (sigmoid, bias-corrected, group-limited top-k, scaled, plus shared experts).
#ifndef WEFT_COMMON_ENGINE_MODEL_FEED_FORWARD_H_
#define WEFT_COMMON_ENGINE_MODEL_FEED_FORWARD_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "common/engine/model/layers.h"
#include "common/engine/model/linear_weight.h"
#include "kernels/cpu/moe_routing.h"

namespace weft::engine {

struct MlpWeights {
  LinearWeight gate_up;  // [2 * inter, hidden]: gate rows, then up rows
  LinearWeight down;     // [hidden, inter]
  int64_t hidden = 0;
  int64_t inter = 0;
};

class DenseMlp final : public FeedForwardLayer {
 public:
  explicit DenseMlp(MlpWeights weights) : w_(std::move(weights)) {}
  // A dense MLP has no routing: routing_margin is left as it is.
  void Forward(const float* h, int64_t tokens, float* out, float* routing_margin) const override;

 private:
  MlpWeights w_;
};

// Routing rule of an MoE block.
struct SoftmaxRouting {
  int32_t top_k = 0;
  bool normalize = false;
};
struct GroupedSigmoidRouting {
  kernels::cpu::GroupedTopKParams params;
  std::vector<float> correction_bias;  // [num_experts]
};

class MoeBlock final : public FeedForwardLayer {
 public:
  // `router`: [num_experts, hidden], float32 in every precision (routing
  // decisions are sensitive to it). `experts`: one MLP per expert, all of
  // the same shape. `shared`: DeepSeek's shared experts (one MLP), if any.
  MoeBlock(std::vector<float> router, std::vector<MlpWeights> experts,
           std::optional<SoftmaxRouting> softmax, std::optional<GroupedSigmoidRouting> grouped,
           std::optional<MlpWeights> shared);

  MoeBlock(const MoeBlock&) = delete;  // holds pointers into its own experts
  MoeBlock& operator=(const MoeBlock&) = delete;

  void Forward(const float* h, int64_t tokens, float* out, float* routing_margin) const override;

 private:
  std::vector<float> router_;
  std::vector<MlpWeights> experts_;
  std::vector<kernels::cpu::WeightRef> gate_up_refs_, down_refs_;
  std::optional<SoftmaxRouting> softmax_;
  std::optional<GroupedSigmoidRouting> grouped_;
  std::optional<DenseMlp> shared_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_FEED_FORWARD_H_
