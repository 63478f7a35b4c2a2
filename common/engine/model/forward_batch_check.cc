#include "common/engine/model/forward_batch_check.h"

#include "absl/strings/str_cat.h"

namespace weft::engine {

absl::Status ValidateForwardBatch(const ForwardBatch& b, int64_t vocab_size,
                                  const KvLayout& model_layout, const KvMemory& kv) {
  const KvLayout& l = kv.layout();
  if (l.num_layers != model_layout.num_layers || l.num_kv_heads != model_layout.num_kv_heads ||
      l.head_dim != model_layout.head_dim || l.v_head_dim != model_layout.v_head_dim ||
      l.latent != model_layout.latent || l.element != model_layout.element) {
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
    if (b.token_ids[i] < 0 || b.token_ids[i] >= vocab_size) {
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

}  // namespace weft::engine
