// Answers in the shapes the OpenAI API uses: a JSON body, an API error
// ({"error": {...}} with its status; 429s with Retry-After), and the
// event-stream framing of a streamed response.
#ifndef WEFT_ROUTER_SERVING_HTTP_REPLIES_H_
#define WEFT_ROUTER_SERVING_HTTP_REPLIES_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "router/http/http_responder.h"
#include "router/openai/api_error.h"

namespace weft::router {

bool RespondJson(http::HttpResponder& responder, int status, std::string body);

// `retry_after`, if set, becomes a Retry-After header (whole seconds, at
// least 1).
bool RespondApiError(http::HttpResponder& responder, const openai::ApiError& error,
                     std::optional<absl::Duration> retry_after = std::nullopt);

// Starts a text/event-stream response.
bool StartEventStream(http::HttpResponder& responder);

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_HTTP_REPLIES_H_
