// Runs a CausalLm over a paged KV cache of its own, one step per call: a
// sequence is extended by a chunk of tokens (a whole prompt, or one decoded
// token) and the logits of the chunk's last token come back. The block
// bookkeeping (KvBlockManager) and the KV memory (the model backend's) live together
// here, so a caller that only wants "logits after these tokens" needs neither.
//
// For tools and tests that drive a model directly (weft-verify); the serving
// path schedules batches through the model executor instead. Not thread-safe.
#ifndef WEFT_COMMON_ENGINE_VERIFY_PAGED_RUNNER_H_
#define WEFT_COMMON_ENGINE_VERIFY_PAGED_RUNNER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/engine/kv/ids.h"
#include "common/engine/kv/kv_block_manager.h"
#include "common/engine/model/causal_lm.h"
#include "common/engine/model/kv_memory.h"

namespace weft::engine {

class PagedRunner {
 public:
  // A cache of `num_blocks` blocks of `block_size` tokens for `model`, which
  // must outlive the runner. InvalidArgument unless num_blocks >= 0 and
  // block_size > 0.
  static absl::StatusOr<std::unique_ptr<PagedRunner>> Create(const CausalLm& model,
                                                             int32_t num_blocks,
                                                             int32_t block_size);

  // The blocks that `num_tokens` tokens of one sequence occupy.
  static int32_t BlocksFor(int64_t num_tokens, int32_t block_size);

  PagedRunner(const PagedRunner&) = delete;
  PagedRunner& operator=(const PagedRunner&) = delete;

  // Appends `tokens` (at least one) to `seq`, registering the sequence on
  // first use, runs them in one forward step and returns the last token's
  // logits (vocab_size floats). ResourceExhausted if the cache is full
  // (nothing changed); the model's error if the step fails, after which the
  // sequence's KV is incomplete and it should be freed.
  // With `routing_margin`, also the smallest routing margin over the chunk's
  // tokens and the model's MoE layers (DecoderModel::ForwardWithRoutingMargins;
  // +inf for dense models); FailedPrecondition unless the model is the CPU
  // backend's, the only one that reports them.
  absl::StatusOr<std::vector<float>> Extend(SequenceId seq, absl::Span<const int32_t> tokens,
                                            float* routing_margin = nullptr);

  // Drops `seq` and frees its blocks.
  absl::Status Free(SequenceId seq);

 private:
  PagedRunner(const CausalLm& model, int32_t num_blocks, int32_t block_size,
              std::unique_ptr<KvMemory> kv);

  const CausalLm& model_;
  const int32_t block_size_;
  KvBlockManager blocks_;
  std::unique_ptr<KvMemory> kv_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_VERIFY_PAGED_RUNNER_H_
