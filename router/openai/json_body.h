// Request and response bodies as JSON: parsing untrusted text without
// exceptions and with a nesting limit, and serializing without ever throwing.
//
// Bodies are nlohmann::ordered_json so that objects keep their key order:
// messages and tools reach the chat template (and its `|tojson`) as the client
// wrote them, and responses list their fields in OpenAI's order.
#ifndef WEFT_ROUTER_OPENAI_JSON_BODY_H_
#define WEFT_ROUTER_OPENAI_JSON_BODY_H_

#include <string>

#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "router/openai/api_error.h"

namespace weft::router::openai {

using Json = nlohmann::ordered_json;

// What a body may be, checked by one linear pre-scan before parsing.
struct JsonLimits {
  // Nesting of arrays and objects; a top-level object is depth 1.
  int max_depth = 64;
  // Members of any one object. ordered_json inserts a key with a linear
  // search of the object's keys, so parsing an object of m members costs m^2:
  // an 8 MiB body of one object takes minutes, of 1024-member objects seconds.
  int max_object_members = 256;
};

// Parses `text` as one JSON value. Fails with a 400 for a body beyond
// `limits` (nothing is parsed then) and for invalid JSON ("We could not parse
// the JSON body of your request: parse error at line L, column C: ...").
// Never throws.
ApiResult<Json> ParseJsonBody(absl::string_view text, const JsonLimits& limits);

// Compact JSON text of `value`. Invalid UTF-8 in strings (e.g. a token that is
// part of a character) becomes U+FFFD instead of throwing.
std::string SerializeJson(const Json& value);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_JSON_BODY_H_
