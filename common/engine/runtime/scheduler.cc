#include "common/engine/runtime/scheduler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace weft::engine {

absl::Status ValidateSchedulerOptions(const SchedulerOptions& o) {
  for (const auto& [name, value] : {std::pair<const char*, int32_t>{"max_num_seqs", o.max_num_seqs},
                                    {"max_num_batched_tokens", o.max_num_batched_tokens},
                                    {"max_prefill_chunk", o.max_prefill_chunk}}) {
    if (value < 1) return absl::InvalidArgumentError(absl::StrCat(name, " must be positive"));
  }
  if (o.max_prefill_chunk > o.max_num_batched_tokens) {
    return absl::InvalidArgumentError(absl::StrCat("max_prefill_chunk (", o.max_prefill_chunk,
                                                   ") exceeds max_num_batched_tokens (",
                                                   o.max_num_batched_tokens, ")"));
  }
  return absl::OkStatus();
}

StepPlan PlanStep(const std::vector<SchedulableSequence>& sequences, int32_t free_blocks,
                  const SchedulerOptions& options, const BlocksNeededFn& blocks_needed) {
  StepPlan plan;
  int32_t tokens_left = options.max_num_batched_tokens;
  int32_t blocks_left = free_blocks;
  auto try_add = [&](const SchedulableSequence& s, int32_t n) {
    if (static_cast<int32_t>(plan.chunks.size()) >= options.max_num_seqs) return;
    if (n < 1 || n > tokens_left) return;
    const int32_t blocks = blocks_needed(s.id, n);
    if (blocks > blocks_left) return;
    plan.chunks.push_back({s.id, n});
    tokens_left -= n;
    blocks_left -= blocks;
  };
  for (const SchedulableSequence& s : sequences) {
    if (s.decoding) try_add(s, 1);
  }
  for (const SchedulableSequence& s : sequences) {
    if (s.decoding) continue;
    try_add(s, std::min({s.pending_tokens, options.max_prefill_chunk, tokens_left}));
  }
  return plan;
}

}  // namespace weft::engine
