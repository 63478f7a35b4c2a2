#include "common/engine/serving/request_conversion.h"

#include "absl/strings/str_cat.h"

namespace weft::engine {

absl::StatusOr<GenerationParams> FromSamplingParams(const weft::v1::SamplingParams& p,
                                                    const std::vector<int32_t>& eos_token_ids) {
  GenerationParams out;
  SamplingOptions& s = out.sampling;
  s.temperature = p.temperature();
  s.top_k = p.top_k();
  s.top_p = p.top_p() == 0.0f ? 1.0f : p.top_p();
  s.min_p = p.min_p();
  s.repetition_penalty = p.repetition_penalty() == 0.0f ? 1.0f : p.repetition_penalty();
  s.presence_penalty = p.presence_penalty();
  s.frequency_penalty = p.frequency_penalty();
  if (p.has_seed()) s.seed = p.seed();
  if (p.logprobs() > 20) {
    return absl::InvalidArgumentError(absl::StrCat("sampling.logprobs ", p.logprobs(), " > 20"));
  }
  s.top_logprobs = static_cast<int32_t>(p.logprobs());
  if (absl::Status st = ValidateSamplingOptions(s); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("sampling: ", st.message()));
  }
  if (p.max_tokens() == 0) return absl::InvalidArgumentError("sampling.max_tokens is required");
  if (p.max_tokens() > (1u << 30)) {
    return absl::InvalidArgumentError(absl::StrCat("sampling.max_tokens ", p.max_tokens()));
  }
  StopConditions& stop = out.stop;
  stop.max_tokens = static_cast<int32_t>(p.max_tokens());
  stop.eos_token_ids = eos_token_ids;
  stop.ignore_eos = p.ignore_eos();
  for (uint32_t id : p.stop_token_ids()) stop.stop_token_ids.push_back(static_cast<int32_t>(id));
  for (const std::string& text : p.stop_strings()) {
    if (text.empty()) return absl::InvalidArgumentError("sampling.stop_strings: empty string");
    stop.stop_strings.push_back(text);
  }
  return out;
}

weft::v1::GeneratedToken ToProto(const SampledToken& token) {
  weft::v1::GeneratedToken out;
  out.set_token_id(static_cast<uint32_t>(token.token));
  out.set_logprob(token.logprob);
  for (const auto& [id, logprob] : token.top_logprobs) {
    weft::v1::TopLogprob* top = out.add_top_logprobs();
    top->set_token_id(static_cast<uint32_t>(id));
    top->set_logprob(logprob);
  }
  return out;
}

SampledToken FromProto(const weft::v1::GeneratedToken& token) {
  SampledToken out{.token = static_cast<int32_t>(token.token_id()), .logprob = token.logprob()};
  for (const weft::v1::TopLogprob& top : token.top_logprobs()) {
    out.top_logprobs.emplace_back(static_cast<int32_t>(top.token_id()), top.logprob());
  }
  return out;
}

weft::v1::FinishReason ToProto(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return weft::v1::FINISH_REASON_STOP;
    case FinishReason::kLength:
      return weft::v1::FINISH_REASON_LENGTH;
    case FinishReason::kAbort:
      return weft::v1::FINISH_REASON_ABORT;
  }
  return weft::v1::FINISH_REASON_UNSPECIFIED;
}

}  // namespace weft::engine
