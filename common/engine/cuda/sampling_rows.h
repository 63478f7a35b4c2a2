// What the GPU sampler needs from the engine's sample rows: one
// kernels::gpu::SamplingRow per row (its options and its draw,
// Sampler::TokenUniform at the row's output position) and the penalty list
// (each distinct prompt or output token once per row, with its count in the
// output). Host-side; the caller uploads both arrays.
#ifndef WEFT_COMMON_ENGINE_CUDA_SAMPLING_ROWS_H_
#define WEFT_COMMON_ENGINE_CUDA_SAMPLING_ROWS_H_

#include <vector>

#include "absl/types/span.h"
#include "common/engine/model/causal_lm.h"
#include "kernels/cuda/sampling.h"

namespace weft::engine::gpu {

struct SamplingInputs {
  std::vector<kernels::gpu::SamplingRow> rows;
  std::vector<kernels::gpu::PenaltyToken> penalties;
  // Whether any row reports top logprobs.
  bool any_top_logprobs = false;
};

// The kernel inputs for `rows` (each with valid options).
SamplingInputs BuildSamplingInputs(absl::Span<const CausalLm::SampleRow> rows);

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_SAMPLING_ROWS_H_
