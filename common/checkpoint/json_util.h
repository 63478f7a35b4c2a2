// JSON helpers shared by the checkpoint readers (internal to this package).
// nlohmann::json is used without exceptions: parsing reports errors as
// absl::Status with the parser's position, and JsonObjectReader reads typed
// fields only after checking their JSON type.
//
// Thread-safety: free functions are thread-safe; a JsonObjectReader is a
// cheap view over a json object that must outlive it.
#ifndef WEFT_COMMON_CHECKPOINT_JSON_UTIL_H_
#define WEFT_COMMON_CHECKPOINT_JSON_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {

// Parses `text` as JSON (strict: no comments, no trailing garbage). On
// failure: InvalidArgument "<label>: invalid JSON: <parser message>".
absl::StatusOr<nlohmann::json> ParseJson(absl::string_view text, absl::string_view label);

// Reads a whole file into a string, refusing files over `max_bytes`.
// NotFound if it does not exist, InvalidArgument if too large.
absl::StatusOr<std::string> ReadFileToString(const std::string& path, size_t max_bytes);

// Returns the byte offset of the first invalid UTF-8 sequence in `text`
// (overlong forms, surrogates and code points above U+10FFFF are invalid),
// or nullopt if `text` is valid UTF-8.
std::optional<size_t> FindInvalidUtf8(absl::string_view text);

// `text` with bytes outside printable ASCII written as \xNN; for messages.
std::string EscapeForMessage(absl::string_view text);

// Typed access to the fields of one JSON object. Every error is
// InvalidArgument "<context>: field 'name' ..." naming the field and what was
// found. A field that is absent or null counts as missing for Optional*.
class JsonObjectReader {
 public:
  // `object` must be a JSON object and outlive the reader.
  JsonObjectReader(const nlohmann::json& object, std::string context)
      : object_(object), context_(std::move(context)) {}

  const std::string& context() const { return context_; }
  // Present and not null.
  bool Has(absl::string_view key) const;
  // Present (possibly null).
  bool Contains(absl::string_view key) const;
  // The field or nullptr if absent.
  const nlohmann::json* Get(absl::string_view key) const;

  absl::StatusOr<std::optional<int64_t>> OptionalInt(absl::string_view key) const;
  absl::StatusOr<int64_t> RequiredInt(absl::string_view key) const;
  absl::StatusOr<int64_t> IntOr(absl::string_view key, int64_t fallback) const;
  absl::StatusOr<std::optional<double>> OptionalDouble(absl::string_view key) const;
  absl::StatusOr<double> RequiredDouble(absl::string_view key) const;
  absl::StatusOr<double> DoubleOr(absl::string_view key, double fallback) const;
  absl::StatusOr<std::optional<bool>> OptionalBool(absl::string_view key) const;
  absl::StatusOr<bool> BoolOr(absl::string_view key, bool fallback) const;
  absl::StatusOr<std::optional<std::string>> OptionalString(absl::string_view key) const;
  absl::StatusOr<std::string> StringOr(absl::string_view key, absl::string_view fallback) const;
  // An integer or a list of integers (e.g. eos_token_id); empty if missing.
  absl::StatusOr<std::vector<int64_t>> IntOrIntList(absl::string_view key) const;
  // A list of integers; empty if missing.
  absl::StatusOr<std::vector<int64_t>> IntList(absl::string_view key) const;

  // InvalidArgument "<context>: field 'key' <what>".
  absl::Status FieldError(absl::string_view key, absl::string_view what) const;

 private:
  const nlohmann::json& object_;
  std::string context_;
};

// "integer", "string", "array", ... for messages.
std::string JsonTypeName(const nlohmann::json& value);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_JSON_UTIL_H_
