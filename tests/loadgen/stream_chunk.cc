#include "tests/loadgen/stream_chunk.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace weft::loadgen {
namespace {

using Json = nlohmann::json;

// The string member `key` of object `object`, or "".
std::string StringMember(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

std::optional<int64_t> IntMember(const Json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

}  // namespace

absl::StatusOr<StreamChunk> ParseStreamChunk(absl::string_view data, ApiKind kind) {
  const Json json = Json::parse(data.begin(), data.end(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed stream chunk: '", data.substr(0, 120), "'"));
  }
  StreamChunk chunk;
  if (auto error = json.find("error"); error != json.end() && !error->is_null()) {
    std::string message = StringMember(*error, "message");
    chunk.error =
        message.empty() ? error->dump(-1, ' ', false, Json::error_handler_t::replace) : message;
    return chunk;
  }
  if (auto choices = json.find("choices");
      choices != json.end() && choices->is_array() && !choices->empty()) {
    const Json& choice = (*choices)[0];
    if (kind == ApiKind::kCompletions) {
      chunk.content = StringMember(choice, "text");
    } else if (choice.is_object()) {
      if (auto delta = choice.find("delta"); delta != choice.end()) {
        chunk.content = StringMember(*delta, "content");
        if (chunk.content.empty()) chunk.content = StringMember(*delta, "reasoning_content");
      }
    }
  }
  if (auto usage = json.find("usage"); usage != json.end() && usage->is_object()) {
    chunk.prompt_tokens = IntMember(*usage, "prompt_tokens");
    chunk.completion_tokens = IntMember(*usage, "completion_tokens");
  }
  return chunk;
}

}  // namespace weft::loadgen
