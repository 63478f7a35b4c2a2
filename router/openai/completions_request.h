// POST /v1/completions: the request body to a GenerationRequest with a
// CompletionInput.
//
// Beyond the shared fields (common_params.h):
//   prompt      required: a string, an array of strings (a batch), an array of
//               token ids, or an array of token id arrays (a batch); a batch
//               holds 1..max_prompts prompts, token prompts are non-empty,
//               token ids are >= 0. (An empty string is accepted: the
//               tokenizer may add BOS; ResolveMaxTokens rejects an empty
//               tokenized prompt.)
//   max_tokens  >= 1; 16 when absent, as OpenAI's completions default.
//   logprobs    an integer 0..max_top_logprobs: the sampled token's logprob and
//               that many alternatives per token.
//   echo        supported, except with logprobs (prompt logprobs are not
//               computed): 400.
//   suffix      a non-empty suffix is not supported: 400.
//   best_of     accepted when equal to n (the same choices); below n is
//               invalid and above n not supported: 400.
#ifndef WEFT_ROUTER_OPENAI_COMPLETIONS_REQUEST_H_
#define WEFT_ROUTER_OPENAI_COMPLETIONS_REQUEST_H_

#include "absl/strings/string_view.h"
#include "router/openai/api_error.h"
#include "router/openai/generation_request.h"

namespace weft::router::openai {

// Parses and validates a /v1/completions body. Errors are 400s.
ApiResult<GenerationRequest> ParseCompletionsRequest(absl::string_view body,
                                                     const RequestLimits& limits);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_COMPLETIONS_REQUEST_H_
