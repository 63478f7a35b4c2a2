#include "router/openai/context_window.h"

#include <algorithm>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"

namespace weft::router::openai {
namespace {

ApiError ContextLengthExceeded(std::string message, absl::string_view prompt_param) {
  ApiError error = InvalidRequest(std::move(message), prompt_param);
  error.code = "context_length_exceeded";
  return error;
}

}  // namespace

ApiResult<int32_t> ResolveMaxTokens(std::optional<int32_t> requested, int64_t prompt_tokens,
                                    int64_t max_model_len, absl::string_view prompt_param) {
  if (prompt_tokens <= 0) {
    return InvalidRequest(absl::StrCat("The ", prompt_param, " must not be empty."), prompt_param);
  }
  if (prompt_tokens >= max_model_len) {
    return ContextLengthExceeded(
        absl::StrCat("This model's maximum context length is ", max_model_len,
                     " tokens. However, your ", prompt_param, " resulted in ", prompt_tokens,
                     " tokens, which leaves no room for the completion. Please reduce the "
                     "length of the ",
                     prompt_param, "."),
        prompt_param);
  }
  const int64_t room = max_model_len - prompt_tokens;
  if (!requested.has_value()) {
    return static_cast<int32_t>(std::min<int64_t>(room, std::numeric_limits<int32_t>::max()));
  }
  if (*requested > room) {
    return ContextLengthExceeded(
        absl::StrCat("This model's maximum context length is ", max_model_len,
                     " tokens. However, you requested ", prompt_tokens + *requested, " tokens (",
                     prompt_tokens, " in the ", prompt_param, ", ", *requested,
                     " in the completion). Please reduce the length of the ", prompt_param,
                     " or completion."),
        prompt_param);
  }
  return *requested;
}

}  // namespace weft::router::openai
