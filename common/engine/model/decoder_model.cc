#include "common/engine/model/decoder_model.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
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

absl::Status DecoderModel::Validate(const ForwardBatch& b, const CpuKvMemory& kv) const {
  const KvLayout& l = kv.layout();
  if (l.num_layers != kv_layout_.num_layers || l.num_kv_heads != kv_layout_.num_kv_heads ||
      l.head_dim != kv_layout_.head_dim || l.v_head_dim != kv_layout_.v_head_dim ||
      l.latent != kv_layout_.latent) {
    return absl::InvalidArgumentError("forward batch: KV memory has another model's layout");
  }
  const size_t n = b.token_ids.size();
  if (b.positions.size() != n || b.sequence_of_token.size() != n || b.slots.size() != n ||
      b.context_len.size() != n) {
    return absl::InvalidArgumentError("forward batch: per-token arrays differ in length");
  }
  if (b.max_blocks_per_sequence <= 0 && n > 0) {
    return absl::InvalidArgumentError("forward batch: max_blocks_per_sequence must be positive");
  }
  const int64_t num_sequences =
      n == 0 ? 0 : static_cast<int64_t>(b.block_tables.size()) / b.max_blocks_per_sequence;
  const int64_t total_slots = int64_t{kv.num_blocks()} * kv.block_size();
  const int64_t max_context = int64_t{b.max_blocks_per_sequence} * kv.block_size();
  for (size_t i = 0; i < n; ++i) {
    if (b.token_ids[i] < 0 || b.token_ids[i] >= config_.vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("forward batch: token ", i, " id ", b.token_ids[i], " outside the vocab"));
    }
    if (b.slots[i] < 0 || b.slots[i] >= total_slots) {
      return absl::InvalidArgumentError(
          absl::StrCat("forward batch: token ", i, " slot ", b.slots[i], " outside the cache"));
    }
    if (b.sequence_of_token[i] < 0 || b.sequence_of_token[i] >= num_sequences) {
      return absl::InvalidArgumentError(absl::StrCat("forward batch: token ", i, " sequence ",
                                                     b.sequence_of_token[i], " has no table"));
    }
    if (b.context_len[i] < 1 || b.context_len[i] > max_context || b.positions[i] < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("forward batch: token ", i, " context ", b.context_len[i], " invalid"));
    }
  }
  for (int32_t block : b.block_tables) {
    if (block < -1 || block >= kv.num_blocks()) {
      return absl::InvalidArgumentError(absl::StrCat("forward batch: block ", block, " invalid"));
    }
  }
  // Every block a token attends to exists, and its own KV goes to the slot
  // its position maps to (a wrong slot would overwrite another sequence).
  const int32_t bs = kv.block_size();
  for (size_t i = 0; i < n; ++i) {
    const int32_t* table =
        b.block_tables.data() + int64_t{b.sequence_of_token[i]} * b.max_blocks_per_sequence;
    for (int32_t j = 0; j < (b.context_len[i] + bs - 1) / bs; ++j) {
      if (table[j] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("forward batch: token ", i, " attends to unallocated block ", j));
      }
    }
    if (b.positions[i] >= b.context_len[i] ||
        b.slots[i] != int64_t{table[b.positions[i] / bs]} * bs + b.positions[i] % bs) {
      return absl::InvalidArgumentError(absl::StrCat("forward batch: token ", i, " slot ",
                                                     b.slots[i], " is not position ",
                                                     b.positions[i], " of its block table"));
    }
  }
  for (int32_t index : b.logit_indices) {
    if (index < 0 || static_cast<size_t>(index) >= n) {
      return absl::InvalidArgumentError(absl::StrCat("forward batch: logit index ", index));
    }
  }
  return absl::OkStatus();
}

std::unique_ptr<KvMemory> DecoderModel::CreateKvMemory(int32_t num_blocks,
                                                       int32_t block_size) const {
  return std::make_unique<CpuKvMemory>(kv_layout_, num_blocks, block_size);
}

absl::Status DecoderModel::Forward(const ForwardBatch& batch, KvMemory& memory,
                                   std::vector<float>* logits) const {
  auto* cpu_kv = dynamic_cast<CpuKvMemory*>(&memory);
  if (cpu_kv == nullptr) {
    return absl::InvalidArgumentError("the CPU backend needs a CPU KV memory (CreateKvMemory)");
  }
  CpuKvMemory& kv = *cpu_kv;
  if (absl::Status s = Validate(batch, kv); !s.ok()) return s;
  const int64_t t = batch.num_tokens();
  const int64_t hidden = config_.hidden_size;
  const float eps = static_cast<float>(config_.rms_norm_eps);
  std::vector<float> x(t * hidden), h(t * hidden), delta(t * hidden);
  for (int64_t i = 0; i < t; ++i) {
    const float* row = w_.embed.data() + int64_t{batch.token_ids[i]} * hidden;
    std::copy(row, row + hidden, x.begin() + i * hidden);
  }
  for (size_t l = 0; l < w_.layers.size(); ++l) {
    const DecoderLayer& layer = w_.layers[l];
    cpu::RmsNorm(x.data(), layer.input_norm.data(), t, hidden, eps, h.data());
    layer.attention->Forward(h.data(), batch, kv.Layer(static_cast<int32_t>(l)), delta.data());
    cpu::AddRmsNorm(x.data(), delta.data(), layer.post_attn_norm.data(), t, hidden, eps, h.data());
    layer.feed_forward->Forward(h.data(), t, delta.data());
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
