// The benchmark's workload on one model, run through the ModelExecutor the
// way a scheduler would drive it:
//   prefill: `batch` prompts of `prompt_len` random token ids (seeded) in
//     chunked prefill, every step taking up to `prefill_chunk` more tokens
//     of every prompt; the last chunk samples each sequence's first token.
//   decode: then `decode_steps` steps of one token per sequence (greedy,
//     end-of-sequence ignored, max_tokens = decode_steps + 1, so no sequence
//     stops early).
// Each Step() call is timed; the phases' tokens/s are their tokens over the
// summed time of their steps. A short untimed warm-up sequence runs first
// (OpenBLAS starts its threads on the first call).
#ifndef WEFT_COMMON_ENGINE_BENCH_BENCH_WORKLOAD_H_
#define WEFT_COMMON_ENGINE_BENCH_BENCH_WORKLOAD_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/engine/model/causal_lm.h"

namespace weft::engine::bench {

struct WorkloadOptions {
  int32_t batch = 4;
  int32_t prompt_len = 128;
  int32_t decode_steps = 32;
  int32_t prefill_chunk = 64;  // prompt tokens per sequence per step
  int32_t block_size = 16;     // KV block size of the executor's pool
  uint64_t seed = 1;           // prompt token ids
  bool warmup = true;
};

// InvalidArgument unless every size is positive and a sequence fits the
// model's context (prompt_len + decode_steps + 1 <= max_position_embeddings).
absl::Status ValidateWorkloadOptions(const WorkloadOptions& options, const CausalLm& model);

struct WorkloadResult {
  int64_t prefill_tokens = 0;  // batch * prompt_len
  int32_t prefill_steps = 0;
  double prefill_seconds = 0.0;
  int64_t decode_tokens = 0;  // batch * decode_steps
  double decode_seconds = 0.0;
  std::vector<double> decode_step_seconds;  // one per decode step
  int32_t kv_blocks = 0;                    // size of the executor's pool
};

// Runs the workload on a fresh executor (no tokenizer: token ids only).
// Errors from the executor are returned as they are; Internal if a sequence
// produced more or fewer tokens than the workload expects.
absl::StatusOr<WorkloadResult> RunWorkload(const CausalLm& model, const WorkloadOptions& options);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_BENCH_WORKLOAD_H_
