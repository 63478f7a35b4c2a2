#include "router/openai/json_body.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace weft::router::openai {
namespace {

// A SAX handler that only records the first syntax error: run on the error
// path to say where the body is broken (the DOM parser without exceptions
// says only that it is).
class ErrorRecorder : public nlohmann::json_sax<Json> {
 public:
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    message_ = ex.what();
    return false;
  }

  // nlohmann's message without its "[json.exception.parse_error.101] " prefix
  // and without the "; last read: '...'" echo of the body (which can be long).
  std::string Describe() const {
    absl::string_view m = message_;
    if (const size_t p = m.find("] "); m.rfind("[json.exception", 0) == 0 && p != m.npos) {
      m.remove_prefix(p + 2);
    }
    if (const size_t p = m.find("; last read: "); p != m.npos) m = m.substr(0, p);
    return std::string(m);
  }

 private:
  std::string message_ = "invalid JSON";
};

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
    ErrorRecorder recorder;
    Json::sax_parse(text.begin(), text.end(), &recorder);
    return InvalidRequest(
        absl::StrCat("We could not parse the JSON body of your request: ", recorder.Describe()));
  }
  return value;
}

std::string SerializeJson(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace weft::router::openai
