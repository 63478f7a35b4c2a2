#include "router/serving/http_replies.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "router/http/sse.h"

namespace weft::router {

bool RespondJson(http::HttpResponder& responder, int status, std::string body) {
  return responder.Respond(status, {{"Content-Type", "application/json"}}, std::move(body));
}

bool RespondApiError(http::HttpResponder& responder, const openai::ApiError& error,
                     std::optional<absl::Duration> retry_after) {
  http::HttpHeaders headers{{"Content-Type", "application/json"}};
  if (retry_after.has_value()) {
    const double seconds = std::max(1.0, std::ceil(absl::ToDoubleSeconds(*retry_after)));
    headers.Add("Retry-After", std::to_string(static_cast<int64_t>(seconds)));
  }
  return responder.Respond(error.http_status, std::move(headers), error.ToJson());
}

bool StartEventStream(http::HttpResponder& responder) {
  return responder.StartStream(
      200, {{"Content-Type", std::string(http::kSseContentType)}, {"Cache-Control", "no-cache"}});
}

}  // namespace weft::router
