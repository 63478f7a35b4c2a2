// Token sampling for one sequence: penalties, temperature, top-k, top-p,
// min-p, a per-request seed, and logprobs. CPU reference implementation; the
// CUDA backend's sampler must make the same choices for the same inputs.
//
// Order, as vLLM and transformers apply them: repetition/frequency/presence
// penalties on the logits; temperature (0 means greedy); top-k; top-p;
// min-p; then a draw from the renormalized distribution. Logprobs are those
// of the model's raw distribution (log-softmax of the logits as given), so
// they do not depend on the sampling settings.
#ifndef WEFT_COMMON_ENGINE_SAMPLING_SAMPLER_H_
#define WEFT_COMMON_ENGINE_SAMPLING_SAMPLER_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace weft::engine {

struct SamplingOptions {
  float temperature = 1.0f;         // 0 (or below 1e-5): greedy
  int32_t top_k = 0;                // 0: off
  float top_p = 1.0f;               // (0, 1]
  float min_p = 0.0f;               // [0, 1]
  float repetition_penalty = 1.0f;  // > 0; 1: off. Prompt and output tokens.
  float presence_penalty = 0.0f;    // [-2, 2]; output tokens
  float frequency_penalty = 0.0f;   // [-2, 2]; output tokens
  std::optional<uint64_t> seed;     // same seed, same inputs: same tokens
  int32_t top_logprobs = 0;         // alternatives to report, 0..20
};

// InvalidArgument naming the first option out of range.
absl::Status ValidateSamplingOptions(const SamplingOptions& options);

struct SampledToken {
  int32_t token = 0;
  float logprob = 0.0f;  // of `token` under the raw distribution
  // The `top_logprobs` most likely tokens under the raw distribution,
  // most likely first.
  std::vector<std::pair<int32_t, float>> top_logprobs;
};

// Picks the next token from `logits` (vocabulary size) with `options`
// (valid, see ValidateSamplingOptions), given the prompt and the tokens
// generated so far (for the penalties). The draw is one uniform number,
// TokenUniform(seed, output.size()): the first candidate, in order of
// decreasing (penalized, tempered) logit with ties to the lower id, at which
// the candidates' cumulative probability exceeds it. Everything here is
// portable arithmetic, so the CUDA sampler makes the same choices (up to
// rounding at the boundaries between candidates).
SampledToken SampleLogits(const SamplingOptions& options, uint64_t seed,
                          absl::Span<const float> logits, absl::Span<const int32_t> prompt,
                          absl::Span<const int32_t> output);

// The sampling state of one sequence. Not thread-safe; one per sequence.
class Sampler {
 public:
  // `options` must be valid (ValidateSamplingOptions). Without a seed, the
  // generator is seeded from std::random_device.
  explicit Sampler(const SamplingOptions& options);

  // Picks the next token from `logits` (vocabulary size), given the prompt
  // and the tokens generated so far (for the penalties). The random draw
  // depends only on the seed and the output position, so a sequence whose
  // tokens are sampled by different processes (prefill samples the first,
  // decode the rest) gets the same tokens as one process would.
  SampledToken Sample(absl::Span<const float> logits, absl::Span<const int32_t> prompt,
                      absl::Span<const int32_t> output);

  // The generator seed of the token at output `position`.
  static uint64_t TokenSeed(uint64_t seed, uint64_t position);
  // The uniform draw in [0, 1) of the token at output `position`: the top 53
  // bits of TokenSeed.
  static double TokenUniform(uint64_t seed, uint64_t position);

  const SamplingOptions& options() const { return options_; }
  // The request's seed, or the one drawn for it.
  uint64_t seed() const { return seed_; }

 private:
  SamplingOptions options_;
  uint64_t seed_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_SAMPLING_SAMPLER_H_
