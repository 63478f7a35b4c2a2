// POST /v1/chat/completions: the request body to a GenerationRequest with a
// ChatInput.
//
// Beyond the shared fields (common_params.h):
//   messages               required; see chat_messages.h.
//   max_completion_tokens  >= 1; preferred over max_tokens (>= 1) when both
//                          are given; absent: what the context window leaves.
//   logprobs, top_logprobs a boolean and 0..max_top_logprobs; top_logprobs > 0
//                          needs logprobs: true.
//   response_format        only {"type": "text"}; json_object and json_schema
//                          are not supported: 400.
//   tools                  function tools ({"type": "function", "function":
//                          {"name": string, ...}}), passed to the chat template.
//                          Tool calls come back as the model writes them, in
//                          the content: the output is not parsed into tool_calls.
//   tool_choice            "auto" (the default) or "none" (the tools are then
//                          not given to the template); "required" and a named
//                          function (forced calls) are not supported: 400.
//   chat_template_kwargs   vLLM's extra template variables: an object that may
//                          not name messages, tools, documents,
//                          add_generation_prompt or the special tokens.
//   add_generation_prompt  default true, or false when continue_final_message
//                          is true and it is not given.
//   continue_final_message default false; true with add_generation_prompt true
//                          is invalid, as in vLLM.
#ifndef WEFT_ROUTER_OPENAI_CHAT_REQUEST_H_
#define WEFT_ROUTER_OPENAI_CHAT_REQUEST_H_

#include "absl/strings/string_view.h"
#include "router/openai/api_error.h"
#include "router/openai/generation_request.h"

namespace weft::router::openai {

// Parses and validates a /v1/chat/completions body. Errors are 400s.
ApiResult<GenerationRequest> ParseChatRequest(absl::string_view body, const RequestLimits& limits);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_CHAT_REQUEST_H_
