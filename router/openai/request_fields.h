// Typed reads of request fields with OpenAI's leniency and strictness: an
// absent or null field keeps its default; a present one must have its type
// and range, or the read fails with a 400 whose param names the field
// ("temperature", "stream_options.include_usage", "messages[2].content").
//
// Integer fields accept integral numbers written as floats (1.0 for n), as
// vLLM's request models do; 1.5 is not an integer. Number fields accept
// integers. Booleans and strings are never converted.
#ifndef WEFT_ROUTER_OPENAI_REQUEST_FIELDS_H_
#define WEFT_ROUTER_OPENAI_REQUEST_FIELDS_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "router/openai/api_error.h"
#include "router/openai/json_body.h"

namespace weft::router::openai {

using MaybeError = std::optional<ApiError>;

// Member `key` of the object `object`; nullptr when absent or null.
const Json* Member(const Json& object, absl::string_view key);

// "a string", "an integer", "a number", "a boolean", "an array", "an object", "null".
absl::string_view TypeName(const Json& value);

// 400 "Invalid type for 'param': expected <expected>, but got <TypeName> instead."
ApiError WrongType(absl::string_view param, absl::string_view expected, const Json& got);
// 400 "Invalid value for 'param': <what>."
ApiError InvalidValue(absl::string_view param, absl::string_view what);

// An allowed range for a number field.
struct NumberRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;  // (min, max] rather than [min, max]
};

// Conversions of a present value.
MaybeError GetBool(const Json& value, absl::string_view param, bool* out);
MaybeError GetString(const Json& value, absl::string_view param, std::string* out);
MaybeError GetInt(const Json& value, absl::string_view param, int64_t min, int64_t max,
                  int64_t* out);
MaybeError GetNumber(const Json& value, absl::string_view param, const NumberRange& range,
                     double* out);

// Reads of member `key` of `object` (param: `key`); *out is untouched when the
// member is absent or null.
MaybeError ReadBool(const Json& object, absl::string_view key, bool* out);
MaybeError ReadString(const Json& object, absl::string_view key, std::string* out);
MaybeError ReadNumber(const Json& object, absl::string_view key, const NumberRange& range,
                      float* out);
// [min, max] must lie within int32_t.
MaybeError ReadInt(const Json& object, absl::string_view key, int32_t min, int32_t max,
                   int32_t* out);
MaybeError ReadInt(const Json& object, absl::string_view key, int32_t min, int32_t max,
                   std::optional<int32_t>* out);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_REQUEST_FIELDS_H_
