#include "router/openai/json_body.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/json/json_syntax_error.h"

namespace weft::router::openai {
namespace {

// The pre-scan: nesting depth and members per object, ignoring brackets and
// colons inside strings. Meaningful for valid JSON and harmless for anything
// else (the parser rejects that).
std::optional<ApiError> CheckShape(absl::string_view text, const JsonLimits& limits) {
  // Per open container: its member count so far for an object, -1 for an array.
  std::vector<int> open;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (static_cast<int>(open.size()) >= limits.max_depth) {
          return InvalidRequest(absl::StrCat("The JSON body of the request is nested deeper than ",
                                             limits.max_depth, " levels."));
        }
        open.push_back(c == '{' ? 0 : -1);
        break;
      case ']':
      case '}':
        if (!open.empty()) open.pop_back();
        break;
      case ':':
        if (!open.empty() && open.back() >= 0 && ++open.back() > limits.max_object_members) {
          return InvalidRequest(
              absl::StrCat("An object in the JSON body of the request has more than ",
                           limits.max_object_members, " members."));
        }
        break;
      default:
        break;
    }
  }
  return std::nullopt;
}

}  // namespace

ApiResult<Json> ParseJsonBody(absl::string_view text, const JsonLimits& limits) {
  if (std::optional<ApiError> error = CheckShape(text, limits)) return *std::move(error);
  Json value = Json::parse(text.begin(), text.end(), /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    const JsonSyntaxError error = FindJsonSyntaxError<Json>(text);
    return InvalidRequest(
        absl::StrCat("We could not parse the JSON body of your request: ", error.Short()));
  }
  return value;
}

std::string SerializeJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace weft::router::openai
