// One forward step of the engine as plain data: which tokens to run, where
// each one's KV goes and what it attends to, and which positions need logits.
// Prompts in chunks (chunked prefill) and decoding sequences mix freely.
#ifndef WEFT_COMMON_ENGINE_MODEL_FORWARD_BATCH_H_
#define WEFT_COMMON_ENGINE_MODEL_FORWARD_BATCH_H_

#include <cstdint>
#include <vector>

namespace weft::engine {

struct ForwardBatch {
  // Per token (all the same length):
  std::vector<int32_t> token_ids;
  std::vector<int32_t> positions;          // position in its sequence
  std::vector<int32_t> sequence_of_token;  // row of block_tables
  std::vector<int64_t> slots;              // KV slot: block * block_size + offset
  // Tokens of the sequence it attends to, its own included (position + 1 for
  // causal attention over the sequence so far).
  std::vector<int32_t> context_len;
  // [num_sequences, max_blocks_per_sequence], row-major.
  std::vector<int32_t> block_tables;
  int32_t max_blocks_per_sequence = 0;
  // Indices into the tokens whose logits the step returns, in this order.
  std::vector<int32_t> logit_indices;

  int64_t num_tokens() const { return static_cast<int64_t>(token_ids.size()); }
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_FORWARD_BATCH_H_
