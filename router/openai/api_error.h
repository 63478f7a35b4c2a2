// Errors of the OpenAI-compatible API, in OpenAI's shape:
//
//   {"error": {"message": "...", "type": "...", "param": "..." | null,
//              "code": "..." | null}}
//
// The factories below fix the status, type and code of each kind of failure,
// following what api.openai.com answers (clients, e.g. the openai SDKs, map
// the HTTP status to an exception class and show `message`):
//
//   status  type                   code                     when
//   400     invalid_request_error  null                     malformed JSON, wrong type or
//                                                           value, unsupported feature
//   400     invalid_request_error  context_length_exceeded  prompt + max_tokens > window
//   401     invalid_request_error  invalid_api_key          API key missing or unknown
//   404     invalid_request_error  model_not_found          unknown model
//   404     invalid_request_error  null                     unknown URL
//   405     invalid_request_error  null                     wrong method for a URL
//   413     invalid_request_error  request_too_large        body over the size limit
//   429     requests               rate_limit_exceeded      admission refused
//   500     server_error           null                     a bug or a failed instance
//   503     server_error           null                     no healthy instance
//
// (OpenAI's rate-limit errors carry the limited resource as their type,
// "requests" or "tokens"; admission control refuses whole requests.)
#ifndef WEFT_ROUTER_OPENAI_API_ERROR_H_
#define WEFT_ROUTER_OPENAI_API_ERROR_H_

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::router::openai {

struct ApiError {
  int http_status = 400;
  std::string message;
  std::string type = "invalid_request_error";
  std::optional<std::string> param;  // the offending request field, e.g. "temperature"
  std::optional<std::string> code;

  // The response body: {"error": {message, type, param, code}}.
  std::string ToJson() const;
};

// 400: the request is invalid; `param` names the field ("" for none).
ApiError InvalidRequest(std::string message, absl::string_view param = "");
// 400: a feature this server does not implement, e.g. ("logit_bias", "logit_bias is not
// supported"); `message` should say what is supported instead, if anything.
ApiError NotSupported(std::string message, absl::string_view param);
// 404 model_not_found.
ApiError ModelNotFound(absl::string_view model);
// 404 for a path the API does not serve; 405 for a method it does not serve there.
ApiError UnknownUrl(absl::string_view method, absl::string_view path);
ApiError MethodNotAllowed(absl::string_view method, absl::string_view path);
// 401 invalid_api_key: no API key, or not one of the configured keys.
ApiError Unauthorized(std::string message);
// 429: admission control refused the request; `message` says why.
ApiError RateLimited(std::string message);
// 500 / 503.
ApiError InternalError(std::string message);
ApiError ServiceUnavailable(std::string message);

// An error the HTTP layer answers before the API sees the request (413 body
// too large, 431 headers too large, 400 malformed HTTP, 408, 503 too many
// connections, ...): `status` with `message`; 4xx are invalid_request_error
// (413: code request_too_large), 5xx server_error.
ApiError HttpLayerError(int status, std::string message);

// `text` for quoting in a message: at most 64 bytes, then "...".
std::string Abbreviate(absl::string_view text);

// The API error for a failed internal call: InvalidArgument and
// OutOfRange -> 400, NotFound -> 404, ResourceExhausted -> 429,
// Unavailable -> 503, anything else -> 500. `status` must not be OK.
ApiError ApiErrorFromStatus(const absl::Status& status);

// A value or the ApiError that prevented it (an absl::StatusOr for the API).
template <typename T>
class ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}         // NOLINT: implicit, as StatusOr
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  // value() requires ok(); error() requires !ok().
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_API_ERROR_H_
