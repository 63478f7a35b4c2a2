// The context-window check once the router has tokenized a prompt: prompt
// plus max_tokens must fit in the model's window.
#ifndef WEFT_ROUTER_OPENAI_CONTEXT_WINDOW_H_
#define WEFT_ROUTER_OPENAI_CONTEXT_WINDOW_H_

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "router/openai/api_error.h"

namespace weft::router::openai {

// The tokens to generate at most for a prompt of `prompt_tokens` tokens in a
// window of `max_model_len` tokens: `requested` (StopParams::max_tokens) if
// prompt + requested fits, or, without a request, all the window leaves.
// Errors are 400s naming `prompt_param` ("prompt" or "messages"): an empty
// prompt, and, with code "context_length_exceeded" and OpenAI's message, a
// prompt that leaves no room or a request that does not fit.
ApiResult<int32_t> ResolveMaxTokens(std::optional<int32_t> requested, int64_t prompt_tokens,
                                    int64_t max_model_len, absl::string_view prompt_param);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_CONTEXT_WINDOW_H_
