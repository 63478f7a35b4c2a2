// What every OpenAI response body shares: its identity (id, created, model),
// finish reasons, token usage and per-token logprobs, as plain structs the
// router fills as tokens arrive.
#ifndef WEFT_ROUTER_OPENAI_RESPONSE_COMMON_H_
#define WEFT_ROUTER_OPENAI_RESPONSE_COMMON_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "router/openai/json_body.h"

namespace weft::router::openai {

// Why a choice ended: "stop" (end of sequence, a stop string or token),
// "length" (max_tokens or the context window) or "abort" (cancelled or
// failed; vLLM's name).
enum class FinishReason { kStop, kLength, kAbort };
absl::string_view FinishReasonName(FinishReason reason);

// The identity of one response, the same in each of its stream chunks.
struct ResponseMeta {
  std::string id;       // NewResponseId("cmpl-") or NewResponseId("chatcmpl-")
  int64_t created = 0;  // unix seconds
  std::string model;    // the model as the request named it
};

// `prefix` followed by 32 random hex digits.
std::string NewResponseId(absl::string_view prefix);

struct Usage {
  int64_t prompt_tokens = 0;  // over all prompts (each counted once, not n times)
  int64_t completion_tokens = 0;
  // Prompt tokens served from the prefix cache, as
  // usage.prompt_tokens_details.cached_tokens; nullopt omits the details.
  std::optional<int64_t> cached_tokens;
};

// One generated token's log probability and the most likely alternatives.
// Token strings are the tokens' own bytes: a token that is part of a UTF-8
// character is shown with U+FFFD in "token" and exactly in "bytes".
struct TopLogprob {
  std::string token;
  float logprob = 0.0f;
};
struct TokenLogprob {
  std::string token;
  float logprob = 0.0f;
  std::vector<TopLogprob> top_logprobs;  // most likely first
};

// {"prompt_tokens", "completion_tokens", "total_tokens"[, "prompt_tokens_details":
// {"cached_tokens"}]}.
Json UsageJson(const Usage& usage);

// A logprob as JSON can carry it: -inf (and NaN) become -9999.0, as vLLM does.
double JsonLogprob(float logprob);

// The UTF-8 bytes of `token` as a JSON array of integers (OpenAI's "bytes").
Json TokenBytesJson(absl::string_view token);

// Characters (code points) in `text`: its bytes that do not continue a UTF-8
// sequence. Sums over the pieces of a text split anywhere, even inside a
// character, add up to the count of the whole.
int64_t Utf8Length(absl::string_view text);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_RESPONSE_COMMON_H_
