#include "common/engine/bench/bench_workload.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/engine/executor/model_executor.h"
#include "common/status/status_macros.h"

namespace weft::engine::bench {
namespace {

constexpr int32_t kWarmupPromptLen = 16;

int32_t CeilDiv(int64_t a, int64_t b) { return static_cast<int32_t>((a + b - 1) / b); }

std::vector<int32_t> RandomPrompt(std::mt19937_64& rng, int64_t vocab, int32_t len) {
  std::uniform_int_distribution<int32_t> dist(0, static_cast<int32_t>(vocab - 1));
  std::vector<int32_t> prompt(len);
  for (int32_t& t : prompt) t = dist(rng);
  return prompt;
}

SequenceRequest GreedyRequest(const CausalLm& model, int64_t id, std::vector<int32_t> prompt,
                              int32_t max_tokens) {
  SequenceRequest r{.id = SequenceId(id), .prompt = std::move(prompt)};
  r.sampling.temperature = 0.0f;
  r.stop.max_tokens = max_tokens;
  r.stop.ignore_eos = true;
  for (int64_t eos : model.config().eos_token_ids) {
    r.stop.eos_token_ids.push_back(static_cast<int32_t>(eos));
  }
  return r;
}

// Runs `plan` and returns its wall time in seconds.
absl::StatusOr<double> TimedStep(ModelExecutor& ex, const StepPlan& plan, StepResult* result) {
  const auto start = std::chrono::steady_clock::now();
  WEFT_ASSIGN_OR_RETURN(*result, ex.Step(plan));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A short sequence through prefill and one decode step, untimed.
absl::Status Warmup(const CausalLm& model, ModelExecutor& ex, std::mt19937_64& rng, int64_t id,
                    int32_t prompt_len) {
  WEFT_RETURN_IF_ERROR(ex.AddSequence(GreedyRequest(
      model, id, RandomPrompt(rng, model.config().vocab_size, prompt_len), /*max_tokens=*/2)));
  StepResult result;
  WEFT_RETURN_IF_ERROR(ex.Step({.chunks = {{SequenceId(id), prompt_len}}}).status());
  WEFT_ASSIGN_OR_RETURN(result, ex.Step({.chunks = {{SequenceId(id), 1}}}));
  if (result.outputs.size() != 1 || !result.outputs[0].finish.has_value()) {
    return absl::InternalError("warm-up sequence did not finish after 2 tokens");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateWorkloadOptions(const WorkloadOptions& o, const CausalLm& model) {
  if (o.batch < 1 || o.prompt_len < 1 || o.decode_steps < 1 || o.prefill_chunk < 1 ||
      o.block_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch (", o.batch, "), prompt_len (", o.prompt_len, "), decode_steps (",
                     o.decode_steps, "), prefill_chunk (", o.prefill_chunk, ") and block_size (",
                     o.block_size, ") must be positive"));
  }
  const int64_t limit = model.config().max_position_embeddings;
  const int64_t needed = int64_t{o.prompt_len} + o.decode_steps + 1;
  if (limit > 0 && needed > limit) {
    return absl::InvalidArgumentError(absl::StrCat("prompt_len + decode_steps + 1 (", needed,
                                                   ") exceeds the model's context of ", limit));
  }
  return absl::OkStatus();
}

absl::StatusOr<WorkloadResult> RunWorkload(const CausalLm& model, const WorkloadOptions& o) {
  WEFT_RETURN_IF_ERROR(ValidateWorkloadOptions(o, model));
  const int32_t warmup_len = std::min(o.prompt_len, kWarmupPromptLen);
  // Each sequence computes prompt_len + decode_steps tokens (the last
  // sampled token is never run); the warm-up computes warmup_len + 1.
  const int32_t per_sequence = CeilDiv(int64_t{o.prompt_len} + o.decode_steps, o.block_size);
  WorkloadResult result;
  result.kv_blocks = o.batch * per_sequence + CeilDiv(warmup_len + 1, o.block_size);
  ModelExecutor ex(model, /*tokenizer=*/nullptr, result.kv_blocks, o.block_size);
  std::mt19937_64 rng(o.seed);
  if (o.warmup) WEFT_RETURN_IF_ERROR(Warmup(model, ex, rng, /*id=*/o.batch, warmup_len));

  const int64_t vocab = model.config().vocab_size;
  for (int32_t s = 0; s < o.batch; ++s) {
    WEFT_RETURN_IF_ERROR(ex.AddSequence(
        GreedyRequest(model, s, RandomPrompt(rng, vocab, o.prompt_len), o.decode_steps + 1)));
  }

  // Prefill: every step takes the next chunk of every prompt.
  std::vector<int32_t> generated(o.batch, 0);
  for (int32_t done = 0; done < o.prompt_len; done += o.prefill_chunk) {
    const int32_t n = std::min(o.prefill_chunk, o.prompt_len - done);
    StepPlan plan;
    for (int32_t s = 0; s < o.batch; ++s) plan.chunks.push_back({SequenceId(s), n});
    StepResult step;
    WEFT_ASSIGN_OR_RETURN(const double seconds, TimedStep(ex, plan, &step));
    result.prefill_seconds += seconds;
    ++result.prefill_steps;
    for (const SequenceOutput& out : step.outputs) ++generated[out.id.value()];
  }
  result.prefill_tokens = int64_t{o.batch} * o.prompt_len;
  for (int32_t s = 0; s < o.batch; ++s) {
    if (generated[s] != 1) {
      return absl::InternalError(
          absl::StrCat("sequence ", s, " generated ", generated[s], " tokens in prefill, not 1"));
    }
  }

  // Decode: one token per sequence per step.
  StepPlan decode;
  for (int32_t s = 0; s < o.batch; ++s) decode.chunks.push_back({SequenceId(s), 1});
  for (int32_t i = 0; i < o.decode_steps; ++i) {
    StepResult step;
    WEFT_ASSIGN_OR_RETURN(const double seconds, TimedStep(ex, decode, &step));
    result.decode_seconds += seconds;
    result.decode_step_seconds.push_back(seconds);
    const bool last = i + 1 == o.decode_steps;
    if (static_cast<int32_t>(step.outputs.size()) != o.batch) {
      return absl::InternalError(absl::StrCat("decode step ", i, " produced ", step.outputs.size(),
                                              " tokens, not ", o.batch));
    }
    for (const SequenceOutput& out : step.outputs) {
      if (out.finish.has_value() != last) {
        return absl::InternalError(absl::StrCat("sequence ", out.id.value(),
                                                last ? " did not finish" : " finished early",
                                                " at decode step ", i));
      }
    }
  }
  result.decode_tokens = int64_t{o.batch} * o.decode_steps;
  return result;
}

}  // namespace weft::engine::bench
