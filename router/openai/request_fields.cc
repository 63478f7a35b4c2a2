#include "router/openai/request_fields.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace weft::router::openai {
namespace {

// The bounds of a range, as a message fragment: "a value between 0 and 2",
// "a value > 0", "a value >= 1".
std::string RangeText(double min, double max, bool min_exclusive) {
  const bool has_min = std::isfinite(min);
  const bool has_max = std::isfinite(max);
  if (has_min && has_max && !min_exclusive) {
    return absl::StrCat("a value between ", min, " and ", max);
  }
  std::string text = "a value";
  if (has_min) absl::StrAppend(&text, min_exclusive ? " > " : " >= ", min);
  if (has_min && has_max) absl::StrAppend(&text, " and");
  if (has_max) absl::StrAppend(&text, " <= ", max);
  return text;
}

std::string IntRangeText(int64_t min, int64_t max) {
  return absl::StrCat("a value between ", min, " and ", max);
}

ApiError OutOfRange(absl::string_view param, const std::string& range, const Json& got) {
  return InvalidValue(
      param, absl::StrCat("expected ", range, ", but got ", SerializeJson(got), " instead"));
}

}  // namespace

const Json* Member(const Json& object, absl::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(std::string(key));
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

absl::string_view TypeName(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return "a string";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a number";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    default:
      return "null";
  }
}

ApiError WrongType(absl::string_view param, absl::string_view expected, const Json& got) {
  return InvalidRequest(absl::StrCat("Invalid type for '", param, "': expected ", expected,
                                     ", but got ", TypeName(got), " instead."),
                        param);
}

ApiError InvalidValue(absl::string_view param, absl::string_view what) {
  return InvalidRequest(absl::StrCat("Invalid value for '", param, "': ", what, "."), param);
}

MaybeError GetBool(const Json& value, absl::string_view param, bool* out) {
  if (!value.is_boolean()) return WrongType(param, "a boolean", value);
  *out = value.get<bool>();
  return std::nullopt;
}

MaybeError GetString(const Json& value, absl::string_view param, std::string* out) {
  if (!value.is_string()) return WrongType(param, "a string", value);
  *out = value.get_ref<const std::string&>();
  return std::nullopt;
}

MaybeError GetInt(const Json& value, absl::string_view param, int64_t min, int64_t max,
                  int64_t* out) {
  const std::string range = IntRangeText(min, max);
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    // Non-negative integers parse as unsigned.
    if (max < 0 || v > static_cast<uint64_t>(max) || static_cast<int64_t>(v) < min) {
      return OutOfRange(param, range, value);
    }
    *out = static_cast<int64_t>(v);
  } else if (value.is_number_integer()) {
    const int64_t v = value.get<int64_t>();
    if (v < min || v > max) return OutOfRange(param, range, value);
    *out = v;
  } else if (value.is_number_float()) {
    const double v = value.get<double>();
    if (std::isfinite(v) && std::trunc(v) != v) return WrongType(param, "an integer", value);
    // Compare as doubles; 2^63 itself is out of range.
    if (!(v >= static_cast<double>(min)) || !(v < 0x1p63) || v > static_cast<double>(max)) {
      return OutOfRange(param, range, value);
    }
    *out = static_cast<int64_t>(v);
  } else {
    return WrongType(param, "an integer", value);
  }
  return std::nullopt;
}

MaybeError GetNumber(const Json& value, absl::string_view param, const NumberRange& range,
                     double* out) {
  if (!value.is_number()) return WrongType(param, "a number", value);
  const double v = value.get<double>();
  const bool above_min = range.min_exclusive ? v > range.min : v >= range.min;
  if (!std::isfinite(v) || !above_min || v > range.max) {
    return OutOfRange(param, RangeText(range.min, range.max, range.min_exclusive), value);
  }
  *out = v;
  return std::nullopt;
}

MaybeError ReadBool(const Json& object, absl::string_view key, bool* out) {
  const Json* value = Member(object, key);
  return value == nullptr ? std::nullopt : GetBool(*value, key, out);
}

MaybeError ReadString(const Json& object, absl::string_view key, std::string* out) {
  const Json* value = Member(object, key);
  return value == nullptr ? std::nullopt : GetString(*value, key, out);
}

MaybeError ReadNumber(const Json& object, absl::string_view key, const NumberRange& range,
                      float* out) {
  const Json* value = Member(object, key);
  if (value == nullptr) return std::nullopt;
  double v = 0;
  if (MaybeError error = GetNumber(*value, key, range, &v)) return error;
  *out = static_cast<float>(v);
  return std::nullopt;
}

MaybeError ReadInt(const Json& object, absl::string_view key, int32_t min, int32_t max,
                   int32_t* out) {
  const Json* value = Member(object, key);
  if (value == nullptr) return std::nullopt;
  int64_t v = 0;
  if (MaybeError error = GetInt(*value, key, min, max, &v)) return error;
  *out = static_cast<int32_t>(v);
  return std::nullopt;
}

MaybeError ReadInt(const Json& object, absl::string_view key, int32_t min, int32_t max,
                   std::optional<int32_t>* out) {
  int32_t v = 0;
  const Json* value = Member(object, key);
  if (value == nullptr) return std::nullopt;
  if (MaybeError error = ReadInt(object, key, min, max, &v)) return error;
  *out = v;
  return std::nullopt;
}

}  // namespace weft::router::openai
