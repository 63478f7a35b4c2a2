// The step scheduler: which sequences run in the next step, and how many of
// their pending tokens (continuous batching with chunked prefill). Pure
// policy over plain data — what each sequence still has to compute and what
// the KV pool can give — so it is tested without a model.
//
// Policy, per step: decoding sequences first (one token each, oldest first),
// so inter-token latency does not suffer from arriving prompts; then prompt
// chunks, oldest first, each at most `max_prefill_chunk` tokens, until the
// step's token budget, sequence budget or free KV blocks run out. A
// sequence that does not fit waits for a later step.
#ifndef WEFT_COMMON_ENGINE_RUNTIME_SCHEDULER_H_
#define WEFT_COMMON_ENGINE_RUNTIME_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "common/engine/executor/model_executor.h"
#include "common/engine/kv/ids.h"

namespace weft::engine {

struct SchedulerOptions {
  int32_t max_num_seqs = 256;             // sequences per step
  int32_t max_num_batched_tokens = 2048;  // tokens per step
  int32_t max_prefill_chunk = 512;        // prompt tokens of one sequence per step
};

// InvalidArgument naming the first option that is not positive, or a chunk
// larger than the step's token budget.
absl::Status ValidateSchedulerOptions(const SchedulerOptions& options);

struct SchedulableSequence {
  SequenceId id;
  int32_t pending_tokens = 0;  // > 0
  bool decoding = false;       // its prompt is computed: one sampled token pending
};

// Blocks the executor would take to run `n` more tokens of `id`.
using BlocksNeededFn = std::function<int32_t(SequenceId id, int32_t n)>;

// The plan of the next step over `sequences` (in arrival order), given
// `free_blocks` in the KV pool. Empty when nothing fits.
StepPlan PlanStep(const std::vector<SchedulableSequence>& sequences, int32_t free_blocks,
                  const SchedulerOptions& options, const BlocksNeededFn& blocks_needed);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_RUNTIME_SCHEDULER_H_
