#include "router/openai/response_common.h"

#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"

namespace weft::router::openai {

absl::string_view FinishReasonName(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kAbort:
      return "abort";
  }
  return "abort";
}

std::string NewResponseId(absl::string_view prefix) {
  thread_local std::mt19937_64 generator{(uint64_t{std::random_device{}()} << 32) ^
                                         std::random_device{}()};
  const uint64_t high = generator();
  const uint64_t low = generator();
  return absl::StrCat(prefix, absl::Hex(high, absl::kZeroPad16), absl::Hex(low, absl::kZeroPad16));
}

Json UsageJson(const Usage& usage) {
  Json json = {{"prompt_tokens", usage.prompt_tokens},
               {"completion_tokens", usage.completion_tokens},
               {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
  if (usage.cached_tokens.has_value()) {
    json["prompt_tokens_details"] = {{"cached_tokens", *usage.cached_tokens}};
  }
  return json;
}

double JsonLogprob(float logprob) {
  constexpr double kMinLogprob = -9999.0;
  return std::isnan(logprob) || logprob < kMinLogprob ? kMinLogprob : logprob;
}

Json TokenBytesJson(absl::string_view token) {
  Json bytes = Json::array();
  for (const char c : token) bytes.push_back(static_cast<unsigned char>(c));
  return bytes;
}

int64_t Utf8Length(absl::string_view text) {
  int64_t length = 0;
  for (const char c : text) length += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return length;
}

}  // namespace weft::router::openai
