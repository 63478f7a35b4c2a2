// The request fields /v1/completions and /v1/chat/completions share: model,
// n, stream and stream_options, user, the sampling settings and the stop
// conditions (all but max_tokens, which the endpoints name differently).
#ifndef WEFT_ROUTER_OPENAI_COMMON_PARAMS_H_
#define WEFT_ROUTER_OPENAI_COMMON_PARAMS_H_

#include "absl/strings/string_view.h"
#include "router/openai/api_error.h"
#include "router/openai/generation_request.h"
#include "router/openai/json_body.h"
#include "router/openai/request_fields.h"

namespace weft::router::openai {

// Parses a request body: JSON within limits.json, and an object.
ApiResult<Json> ParseRequestBody(absl::string_view body, const RequestLimits& limits);

// Reads the shared fields of `body` (an object) into `request`:
//   model (required, a non-empty string), n (1..max_n), stream,
//   stream_options {include_usage} (only with stream: true), user,
//   temperature [0, 2], top_p (0, 1], top_k (-1 or 0: off), min_p [0, 1],
//   repetition_penalty > 0, presence_penalty and frequency_penalty [-2, 2],
//   seed (int64), stop (a string or up to max_stop_strings strings of at most
//   max_stop_string_bytes; empty ones are dropped), stop_token_ids (vLLM),
//   ignore_eos and return_tokens_as_token_ids (vLLM), and logit_bias (rejected unless empty: the
//   engine has no logit bias).
MaybeError ParseCommonParams(const Json& body, const RequestLimits& limits,
                             GenerationRequest* request);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_COMMON_PARAMS_H_
