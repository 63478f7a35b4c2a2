// Token sampling on the GPU: the choices of common/engine/sampling's
// SampleLogits for a batch of logit rows, so that only the chosen tokens and
// their logprobs leave the device. Per row: repetition, frequency and
// presence penalties; temperature (below 1e-5: greedy, the first maximum);
// top-k, top-p and min-p over the candidates in order of decreasing tempered
// logit (ties to the lower id); the draw, the first candidate at which the
// cumulative probability exceeds `uniform` times the kept mass; logprobs of
// the raw distribution and its most likely `top_logprobs` tokens.
#ifndef WEFT_KERNELS_CUDA_SAMPLING_H_
#define WEFT_KERNELS_CUDA_SAMPLING_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace weft::kernels::gpu {

inline constexpr int32_t kMaxTopLogprobs = 20;

// One row's settings (a device array of these, one per row).
struct SamplingRow {
  float temperature = 1.0f;  // below 1e-5: greedy
  int32_t top_k = 0;         // 0: off
  float top_p = 1.0f;        // (0, 1]
  float min_p = 0.0f;        // [0, 1]
  float repetition_penalty = 1.0f;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int32_t top_logprobs = 0;  // 0..kMaxTopLogprobs
  double uniform = 0.0;      // the row's draw in [0, 1)
  // The row's entries in SampleParams::penalty_tokens: [begin, end).
  int32_t penalty_begin = 0;
  int32_t penalty_end = 0;
};

// A token the row's sequence has seen (prompt or output), listed once per
// row, with how often it occurs in the output.
struct PenaltyToken {
  int32_t token = 0;
  int32_t output_count = 0;
};

struct SampleParams {
  const float* logits = nullptr;  // [rows, logits_stride], the first `vocab` used
  int64_t logits_stride = 0;
  int32_t rows = 0;
  int32_t vocab = 0;
  const SamplingRow* row_settings = nullptr;     // [rows], device
  const PenaltyToken* penalty_tokens = nullptr;  // device; may be null if no row has any
  void* workspace = nullptr;                     // SampleWorkspaceBytes(rows, vocab)
  size_t workspace_bytes = 0;
  int32_t* tokens = nullptr;      // [rows]
  float* logprobs = nullptr;      // [rows], of `tokens` under the raw distribution
  int32_t* top_ids = nullptr;     // [rows, kMaxTopLogprobs]; may be null if no row asks
  float* top_logprobs = nullptr;  // [rows, kMaxTopLogprobs], most likely first
};

// Workspace for `rows` rows of `vocab` logits (0 on overflow).
size_t SampleWorkspaceBytes(int32_t rows, int32_t vocab);

// Samples every row. cudaErrorInvalidValue for bad sizes, missing pointers or
// a short workspace. Row settings are not validated here (the engine has
// validated them: ValidateSamplingOptions); penalty tokens outside the
// vocabulary are ignored.
cudaError_t LaunchSample(const SampleParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_SAMPLING_H_
