// Between the services' protos and the engine's plain structs: a request's
// SamplingParams become sampling options and stop conditions; sampled
// tokens travel as GeneratedToken.
#ifndef WEFT_COMMON_ENGINE_SERVING_REQUEST_CONVERSION_H_
#define WEFT_COMMON_ENGINE_SERVING_REQUEST_CONVERSION_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/engine/executor/stop_checker.h"
#include "common/engine/sampling/sampler.h"
#include "proto/types.pb.h"

namespace weft::engine {

struct GenerationParams {
  SamplingOptions sampling;
  StopConditions stop;
};

// Proto3 zeros mean "unset" where zero is not a meaningful value: top_p 0
// is 1, repetition_penalty 0 is 1. temperature 0 is greedy. max_tokens must
// be set. InvalidArgument (naming the field) for values out of range.
absl::StatusOr<GenerationParams> FromSamplingParams(const weft::v1::SamplingParams& params,
                                                    const std::vector<int32_t>& eos_token_ids);

weft::v1::GeneratedToken ToProto(const SampledToken& token);
SampledToken FromProto(const weft::v1::GeneratedToken& token);

weft::v1::FinishReason ToProto(FinishReason reason);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_SERVING_REQUEST_CONVERSION_H_
