#include "common/checkpoint/json_util.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/json/json_syntax_error.h"

namespace weft::checkpoint {
namespace {

using Json = nlohmann::json;

}  // namespace

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view label) {
  Json json = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!json.is_discarded()) return json;
  const JsonSyntaxError error = FindJsonSyntaxError(text);
  return absl::InvalidArgumentError(
      absl::StrCat(label, ": invalid JSON: byte ", error.byte, ": ", error.message));
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (file == nullptr) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat(path, ": file not found"));
    return absl::InvalidArgumentError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  std::string out;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
    if (out.size() + n > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": file is larger than the limit of ", max_bytes, " bytes"));
    }
    out.append(buffer, n);
  }
  if (std::ferror(file.get())) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  }
  return out;
}

std::optional<size_t> FindInvalidUtf8(absl::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return i;
    }
    i += len;
  }
  return std::nullopt;
}

std::string EscapeForMessage(absl::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(ch);
    } else {
      absl::StrAppendFormat(&out, "\\x%02X", c);
    }
  }
  return out;
}

std::string JsonTypeName(const Json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "number";
  return value.type_name();
}

bool JsonObjectReader::Contains(absl::string_view key) const { return Get(key) != nullptr; }

bool JsonObjectReader::Has(absl::string_view key) const {
  const Json* value = Get(key);
  return value != nullptr && !value->is_null();
}

const Json* JsonObjectReader::Get(absl::string_view key) const {
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(std::string(key));
  return it == object_.end() ? nullptr : &*it;
}

absl::Status JsonObjectReader::FieldError(absl::string_view key, absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(context_, ": field '", key, "' ", what));
}

absl::StatusOr<std::optional<int64_t>> JsonObjectReader::OptionalInt(absl::string_view key) const {
  const Json* value = Get(key);
  if (value == nullptr || value->is_null()) return std::optional<int64_t>();
  if (value->is_number_unsigned()) {
    const auto u = value->get_ref<const Json::number_unsigned_t&>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return FieldError(key, "is too large");
    }
    return std::optional<int64_t>(static_cast<int64_t>(u));
  }
  if (value->is_number_integer()) {
    return std::optional<int64_t>(value->get_ref<const Json::number_integer_t&>());
  }
  return FieldError(key, absl::StrCat("must be an integer, got ", JsonTypeName(*value)));
}

absl::StatusOr<int64_t> JsonObjectReader::RequiredInt(absl::string_view key) const {
  auto value = OptionalInt(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return FieldError(key, "is missing (an integer is required)");
  return **value;
}

absl::StatusOr<int64_t> JsonObjectReader::IntOr(absl::string_view key, int64_t fallback) const {
  auto value = OptionalInt(key);
  if (!value.ok()) return value.status();
  return value->value_or(fallback);
}

absl::StatusOr<std::optional<double>> JsonObjectReader::OptionalDouble(
    absl::string_view key) const {
  const Json* value = Get(key);
  if (value == nullptr || value->is_null()) return std::optional<double>();
  if (value->is_number_float()) {
    return std::optional<double>(value->get_ref<const Json::number_float_t&>());
  }
  if (value->is_number_unsigned()) {
    return std::optional<double>(
        static_cast<double>(value->get_ref<const Json::number_unsigned_t&>()));
  }
  if (value->is_number_integer()) {
    return std::optional<double>(
        static_cast<double>(value->get_ref<const Json::number_integer_t&>()));
  }
  return FieldError(key, absl::StrCat("must be a number, got ", JsonTypeName(*value)));
}

absl::StatusOr<double> JsonObjectReader::RequiredDouble(absl::string_view key) const {
  auto value = OptionalDouble(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return FieldError(key, "is missing (a number is required)");
  return **value;
}

absl::StatusOr<double> JsonObjectReader::DoubleOr(absl::string_view key, double fallback) const {
  auto value = OptionalDouble(key);
  if (!value.ok()) return value.status();
  return value->value_or(fallback);
}

absl::StatusOr<std::optional<bool>> JsonObjectReader::OptionalBool(absl::string_view key) const {
  const Json* value = Get(key);
  if (value == nullptr || value->is_null()) return std::optional<bool>();
  if (!value->is_boolean()) {
    return FieldError(key, absl::StrCat("must be a boolean, got ", JsonTypeName(*value)));
  }
  return std::optional<bool>(value->get_ref<const Json::boolean_t&>());
}

absl::StatusOr<bool> JsonObjectReader::BoolOr(absl::string_view key, bool fallback) const {
  auto value = OptionalBool(key);
  if (!value.ok()) return value.status();
  return value->value_or(fallback);
}

absl::StatusOr<std::optional<std::string>> JsonObjectReader::OptionalString(
    absl::string_view key) const {
  const Json* value = Get(key);
  if (value == nullptr || value->is_null()) return std::optional<std::string>();
  if (!value->is_string()) {
    return FieldError(key, absl::StrCat("must be a string, got ", JsonTypeName(*value)));
  }
  return std::optional<std::string>(value->get_ref<const Json::string_t&>());
}

absl::StatusOr<std::string> JsonObjectReader::StringOr(absl::string_view key,
                                                       absl::string_view fallback) const {
  auto value = OptionalString(key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return std::string(fallback);
  return **value;
}

absl::StatusOr<std::vector<int64_t>> JsonObjectReader::IntList(absl::string_view key) const {
  const Json* value = Get(key);
  std::vector<int64_t> out;
  if (value == nullptr || value->is_null()) return out;
  if (!value->is_array()) {
    return FieldError(key, absl::StrCat("must be a list of integers, got ", JsonTypeName(*value)));
  }
  for (size_t i = 0; i < value->size(); ++i) {
    const Json& item = (*value)[i];
    if (item.is_number_unsigned()) {
      const auto u = item.get_ref<const Json::number_unsigned_t&>();
      if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return FieldError(key, absl::StrCat("element ", i, " is too large"));
      }
      out.push_back(static_cast<int64_t>(u));
    } else if (item.is_number_integer()) {
      out.push_back(item.get_ref<const Json::number_integer_t&>());
    } else {
      return FieldError(
          key, absl::StrCat("element ", i, " must be an integer, got ", JsonTypeName(item)));
    }
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> JsonObjectReader::IntOrIntList(absl::string_view key) const {
  const Json* value = Get(key);
  if (value != nullptr && value->is_array()) return IntList(key);
  auto single = OptionalInt(key);
  if (!single.ok()) {
    return FieldError(
        key, absl::StrCat("must be an integer or a list of integers, got ", JsonTypeName(*value)));
  }
  std::vector<int64_t> out;
  if (single->has_value()) out.push_back(**single);
  return out;
}

}  // namespace weft::checkpoint
