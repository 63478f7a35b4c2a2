#include "common/engine/cuda/sampling_rows.h"

#include <cstdint>
#include <map>

namespace weft::engine::gpu {

SamplingInputs BuildSamplingInputs(absl::Span<const CausalLm::SampleRow> rows) {
  SamplingInputs in;
  in.rows.reserve(rows.size());
  for (const CausalLm::SampleRow& row : rows) {
    const SamplingOptions& o = *row.options;
    kernels::gpu::SamplingRow r;
    r.temperature = o.temperature;
    r.top_k = o.top_k;
    r.top_p = o.top_p;
    r.min_p = o.min_p;
    r.repetition_penalty = o.repetition_penalty;
    r.presence_penalty = o.presence_penalty;
    r.frequency_penalty = o.frequency_penalty;
    r.top_logprobs = o.top_logprobs;
    r.uniform = Sampler::TokenUniform(row.seed, row.output.size());
    in.any_top_logprobs |= o.top_logprobs > 0;
    // Penalties matter only when some penalty is on.
    r.penalty_begin = r.penalty_end = static_cast<int32_t>(in.penalties.size());
    if (o.repetition_penalty != 1.0f || o.presence_penalty != 0.0f || o.frequency_penalty != 0.0f) {
      std::map<int32_t, int32_t> seen;  // token -> count in the output
      for (int32_t t : row.prompt) seen.emplace(t, 0);
      for (int32_t t : row.output) ++seen[t];
      for (const auto& [token, count] : seen) in.penalties.push_back({token, count});
      r.penalty_end = static_cast<int32_t>(in.penalties.size());
    }
    in.rows.push_back(r);
  }
  return in;
}

}  // namespace weft::engine::gpu
