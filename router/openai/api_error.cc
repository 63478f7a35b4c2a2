#include "router/openai/api_error.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace weft::router::openai {
namespace {

ApiError Make(int http_status, std::string message, std::string type,
              std::optional<std::string> code = std::nullopt) {
  ApiError e;
  e.http_status = http_status;
  e.message = std::move(message);
  e.type = std::move(type);
  e.code = std::move(code);
  return e;
}

}  // namespace

std::string ApiError::ToJson() const {
  nlohmann::ordered_json error = {
      {"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}};
  if (param.has_value()) error["param"] = *param;
  if (code.has_value()) error["code"] = *code;
  // Messages may quote request text: never let invalid UTF-8 throw.
  return nlohmann::ordered_json{{"error", std::move(error)}}.dump(
      -1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string Abbreviate(absl::string_view text) {
  constexpr size_t kMaxBytes = 64;
  if (text.size() <= kMaxBytes) return std::string(text);
  return absl::StrCat(text.substr(0, kMaxBytes), "...");
}

ApiError InvalidRequest(std::string message, absl::string_view param) {
  ApiError e = Make(400, std::move(message), "invalid_request_error");
  if (!param.empty()) e.param = std::string(param);
  return e;
}

ApiError NotSupported(std::string message, absl::string_view param) {
  return InvalidRequest(std::move(message), param);
}

ApiError ModelNotFound(absl::string_view model) {
  return Make(
      404,
      absl::StrCat("The model `", Abbreviate(model), "` does not exist or is not served here."),
      "invalid_request_error", "model_not_found");
}

ApiError Unauthorized(std::string message) {
  return Make(401, std::move(message), "invalid_request_error", "invalid_api_key");
}

ApiError UnknownUrl(absl::string_view method, absl::string_view path) {
  return Make(404, absl::StrCat("Invalid URL (", method, " ", path, ")"), "invalid_request_error");
}

ApiError MethodNotAllowed(absl::string_view method, absl::string_view path) {
  return Make(405, absl::StrCat("Method not allowed (", method, " ", path, ")"),
              "invalid_request_error");
}

ApiError HttpLayerError(int status, std::string message) {
  if (status >= 500) return Make(status, std::move(message), "server_error");
  if (status == 413) {
    return Make(status, std::move(message), "invalid_request_error", "request_too_large");
  }
  return Make(status, std::move(message), "invalid_request_error");
}

ApiError RateLimited(std::string message) {
  return Make(429, std::move(message), "requests", "rate_limit_exceeded");
}

ApiError InternalError(std::string message) {
  return Make(500, std::move(message), "server_error");
}

ApiError ServiceUnavailable(std::string message) {
  return Make(503, std::move(message), "server_error");
}

ApiError ApiErrorFromStatus(const absl::Status& status) {
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return InvalidRequest(std::move(message));
    case absl::StatusCode::kNotFound:
      return Make(404, std::move(message), "invalid_request_error");
    case absl::StatusCode::kResourceExhausted:
      return RateLimited(std::move(message));
    case absl::StatusCode::kUnavailable:
      return ServiceUnavailable(std::move(message));
    default:
      return InternalError(std::move(message));
  }
}

}  // namespace weft::router::openai
