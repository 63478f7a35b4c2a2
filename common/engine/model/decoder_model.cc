#include "common/engine/model/decoder_model.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/engine/model/forward_batch_check.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/rms_norm.h"

namespace weft::engine {

namespace cpu = kernels::cpu;

DecoderModel::DecoderModel(checkpoint::ModelConfig config, KvLayout kv_layout,
                           std::unique_ptr<cpu::RopeTable> rope, DecoderWeights weights)
    : config_(std::move(config)),
      kv_layout_(kv_layout),
      rope_(std::move(rope)),
      w_(std::move(weights)) {}

absl::StatusOr<std::unique_ptr<KvMemory>> DecoderModel::CreateKvMemory(int32_t num_blocks,
                                                                       int32_t block_size) const {
  if (num_blocks < 0 || block_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV memory of ", num_blocks, " blocks of size ", block_size));
  }
  return std::make_unique<CpuKvMemory>(kv_layout_, num_blocks, block_size);
}

absl::Status DecoderModel::Forward(const ForwardBatch& batch, KvMemory& memory,
                                   std::vector<float>* logits) const {
  return ForwardWithRoutingMargins(batch, memory, logits, nullptr);
}

absl::Status DecoderModel::ForwardWithRoutingMargins(const ForwardBatch& batch, KvMemory& memory,
                                                     std::vector<float>* logits,
                                                     std::vector<float>* routing_margins) const {
  auto* cpu_kv = dynamic_cast<CpuKvMemory*>(&memory);
  if (cpu_kv == nullptr) {
    return absl::InvalidArgumentError("the CPU backend needs a CPU KV memory (CreateKvMemory)");
  }
  CpuKvMemory& kv = *cpu_kv;
  if (absl::Status s = ValidateForwardBatch(batch, config_.vocab_size, kv_layout_, kv); !s.ok()) {
    return s;
  }
  const int64_t t = batch.num_tokens();
  const int64_t hidden = config_.hidden_size;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  std::vector<float> x(t * hidden), h(t * hidden), delta(t * hidden);
  float* margins = nullptr;
  if (routing_margins != nullptr) {
    routing_margins->assign(t, std::numeric_limits<float>::infinity());
    margins = routing_margins->data();
  }
  for (int64_t i = 0; i < t; ++i) {
    const float* row = w_.embed.data() + int64_t{batch.token_ids[i]} * hidden;
    std::copy(row, row + hidden, x.begin() + i * hidden);
  }
  for (size_t l = 0; l < w_.layers.size(); ++l) {
    const DecoderLayer& layer = w_.layers[l];
    cpu::RmsNorm(x.data(), layer.input_norm.data(), t, hidden, eps, h.data());
    layer.attention->Forward(h.data(), batch, kv.Layer(static_cast<int32_t>(l)), delta.data());
    cpu::AddRmsNorm(x.data(), delta.data(), layer.post_attn_norm.data(), t, hidden, eps, h.data());
    layer.feed_forward->Forward(h.data(), t, delta.data(), margins);
    for (int64_t i = 0; i < t * hidden; ++i) x[i] += delta[i];
  }
  // Final norm and LM head for the requested positions only.
  const int64_t m = static_cast<int64_t>(batch.logit_indices.size());
  std::vector<float> rows(m * hidden);
  for (int64_t j = 0; j < m; ++j) {
    const float* src = x.data() + int64_t{batch.logit_indices[j]} * hidden;
    std::copy(src, src + hidden, rows.begin() + j * hidden);
  }
  cpu::RmsNorm(rows.data(), w_.norm.data(), m, hidden, eps, rows.data());
  logits->resize(m * config_.vocab_size);
  const std::vector<float>& head = w_.lm_head.empty() ? w_.embed : w_.lm_head;
  cpu::Linear(rows.data(), m, hidden, head.data(), config_.vocab_size, nullptr, logits->data());
  return absl::OkStatus();
}

}  // namespace weft::engine
