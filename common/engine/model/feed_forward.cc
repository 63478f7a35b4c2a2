#include "common/engine/model/feed_forward.h"

#include <algorithm>
#include <utility>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/moe_experts.h"

namespace weft::engine {

namespace cpu = kernels::cpu;

void DenseMlp::Forward(const float* h, int64_t tokens, float* out, float*) const {
  std::vector<float> gate_up(tokens * 2 * w_.inter), act(tokens * w_.inter);
  w_.gate_up.Forward(h, tokens, nullptr, gate_up.data());
  cpu::SiluAndMul(gate_up.data(), tokens, w_.inter, act.data());
  w_.down.Forward(act.data(), tokens, nullptr, out);
}

MoeBlock::MoeBlock(std::vector<float> router, std::vector<MlpWeights> experts,
                   std::optional<SoftmaxRouting> softmax,
                   std::optional<GroupedSigmoidRouting> grouped, std::optional<MlpWeights> shared)
    : router_(std::move(router)),
      experts_(std::move(experts)),
      softmax_(std::move(softmax)),
      grouped_(std::move(grouped)) {
  for (const MlpWeights& e : experts_) {
    gate_up_refs_.push_back(e.gate_up.ref());
    down_refs_.push_back(e.down.ref());
  }
  if (shared.has_value()) shared_.emplace(std::move(*shared));
}

void MoeBlock::Forward(const float* h, int64_t tokens, float* out, float* routing_margin) const {
  const int32_t num_experts = static_cast<int32_t>(experts_.size());
  const int64_t hidden = experts_.front().hidden;
  std::vector<float> logits(tokens * num_experts);
  cpu::Linear(h, tokens, hidden, router_.data(), num_experts, nullptr, logits.data());
  const int32_t top_k = softmax_.has_value() ? softmax_->top_k : grouped_->params.top_k;
  std::vector<int32_t> ids(tokens * top_k);
  std::vector<float> weights(tokens * top_k);
  std::vector<float> margins(routing_margin != nullptr ? tokens : 0);
  float* margin_out = routing_margin != nullptr ? margins.data() : nullptr;
  if (softmax_.has_value()) {
    cpu::SoftmaxTopK(logits.data(), tokens, num_experts, top_k, softmax_->normalize, ids.data(),
                     weights.data(), margin_out);
  } else {
    cpu::GroupedSigmoidTopK(logits.data(), grouped_->correction_bias.data(), tokens,
                            grouped_->params, ids.data(), weights.data(), margin_out);
  }
  for (int64_t i = 0; i < static_cast<int64_t>(margins.size()); ++i) {
    routing_margin[i] = std::min(routing_margin[i], margins[i]);
  }
  cpu::MoeExperts(
      {gate_up_refs_.data(), down_refs_.data(), num_experts, hidden, experts_.front().inter}, h,
      tokens, top_k, ids.data(), weights.data(), out);
  if (shared_.has_value()) {
    std::vector<float> shared_out(tokens * hidden);
    shared_->Forward(h, tokens, shared_out.data(), nullptr);
    for (int64_t i = 0; i < tokens * hidden; ++i) out[i] += shared_out[i];
  }
}

}  // namespace weft::engine
