#include "common/engine/verify/reference_file.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/json/json_syntax_error.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace weft::engine {
namespace {

using Json = nlohmann::json;

// A reference.json of a large-vocabulary model with a few prompts is tens of
// megabytes; anything far beyond that is not one.
constexpr size_t kMaxFileBytes = size_t{1} << 30;

// "a string", "an array", ... for messages.
std::string TypeWithArticle(const Json& value) {
  const absl::string_view name = value.type_name();
  if (name == "null") return "null";
  const bool vowel = name[0] == 'a' || name[0] == 'o';
  return absl::StrCat(vowel ? "an " : "a ", name);
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
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
    if (out.size() + n > kMaxFileBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": file is larger than the limit of ", kMaxFileBytes, " bytes"));
    }
    out.append(buffer, n);
  }
  if (std::ferror(file.get()))
    return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  return out;
}

// Typed reads of one JSON object's fields; errors are
// "<context>: field 'key' <what>".
class Fields {
 public:
  Fields(const Json& object, std::string context) : object_(object), context_(std::move(context)) {}

  absl::Status Error(absl::string_view key, absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(context_, ": field '", key, "' ", what));
  }

  absl::Status TypeError(absl::string_view key, const Json& value,
                         absl::string_view expected) const {
    return Error(key, absl::StrCat("is ", TypeWithArticle(value), ", expected ", expected));
  }

  // The field, or nullptr if absent or null.
  const Json* Find(absl::string_view key) const {
    const auto it = object_.find(std::string(key));
    if (it == object_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  absl::StatusOr<const Json*> Required(absl::string_view key) const {
    const Json* value = Find(key);
    if (value == nullptr) return Error(key, "is missing");
    return value;
  }

  // "" if absent.
  absl::StatusOr<std::string> OptionalString(absl::string_view key) const {
    const Json* value = Find(key);
    if (value == nullptr) return std::string();
    if (!value->is_string()) return TypeError(key, *value, "a string");
    return value->get<std::string>();
  }

  absl::StatusOr<std::string> RequiredString(absl::string_view key) const {
    WEFT_ASSIGN_OR_RETURN(const Json* value, Required(key));
    if (!value->is_string()) return TypeError(key, *value, "a string");
    return value->get<std::string>();
  }

  absl::StatusOr<const Json*> RequiredArray(absl::string_view key) const {
    WEFT_ASSIGN_OR_RETURN(const Json* value, Required(key));
    if (!value->is_array()) return TypeError(key, *value, "an array");
    return value;
  }

  // An array of token ids: integers in [0, INT32_MAX].
  absl::StatusOr<std::vector<int32_t>> TokenIds(absl::string_view key) const {
    WEFT_ASSIGN_OR_RETURN(const Json* array, RequiredArray(key));
    std::vector<int32_t> ids;
    ids.reserve(array->size());
    for (size_t i = 0; i < array->size(); ++i) {
      const Json& element = (*array)[i];
      if (!element.is_number_integer()) {
        return Error(key, absl::StrCat("element ", i, " is ", TypeWithArticle(element),
                                       element.is_number() ? " with a fraction" : "",
                                       ", expected a token id"));
      }
      if (element.is_number_unsigned()) {
        const uint64_t value = element.get<uint64_t>();
        if (value > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
          return Error(key, absl::StrCat("element ", i, " (", value, ") is not a valid token id"));
        }
        ids.push_back(static_cast<int32_t>(value));
      } else {
        const int64_t value = element.get<int64_t>();
        if (value < 0 || value > std::numeric_limits<int32_t>::max()) {
          return Error(key, absl::StrCat("element ", i, " (", value, ") is not a valid token id"));
        }
        ids.push_back(static_cast<int32_t>(value));
      }
    }
    return ids;
  }

  // An array of finite numbers, each >= `min`.
  absl::StatusOr<std::vector<double>> Numbers(
      absl::string_view key, double min = -std::numeric_limits<double>::infinity()) const {
    WEFT_ASSIGN_OR_RETURN(const Json* array, RequiredArray(key));
    std::vector<double> numbers;
    numbers.reserve(array->size());
    for (size_t i = 0; i < array->size(); ++i) {
      const Json& element = (*array)[i];
      if (!element.is_number()) {
        return Error(key, absl::StrCat("element ", i, " is ", TypeWithArticle(element),
                                       ", expected a number"));
      }
      const double value = element.get<double>();
      if (!std::isfinite(value)) {
        return Error(key, absl::StrCat("element ", i, " is not finite"));
      }
      if (value < min) {
        return Error(key, absl::StrCat("element ", i, " (", value, ") is below ", min));
      }
      numbers.push_back(value);
    }
    return numbers;
  }

 private:
  const Json& object_;
  std::string context_;
};

absl::StatusOr<ReferencePrompt> ParsePrompt(const Json& json, const std::string& context) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(context, " is ", TypeWithArticle(json), ", expected an object"));
  }
  const Fields fields(json, context);
  ReferencePrompt prompt;
  WEFT_ASSIGN_OR_RETURN(const std::string source, fields.RequiredString("source"));
  if (source == "text") {
    prompt.source = ReferencePrompt::Source::kText;
    WEFT_ASSIGN_OR_RETURN(prompt.text, fields.RequiredString("text"));
  } else if (source == "random_ids") {
    prompt.source = ReferencePrompt::Source::kRandomIds;
    WEFT_ASSIGN_OR_RETURN(prompt.text, fields.OptionalString("text"));
  } else {
    return fields.Error("source",
                        absl::StrCat("is \"", source, "\", expected \"text\" or \"random_ids\""));
  }
  WEFT_ASSIGN_OR_RETURN(prompt.input_ids, fields.TokenIds("input_ids"));
  if (prompt.input_ids.empty()) return fields.Error("input_ids", "is empty");
  WEFT_ASSIGN_OR_RETURN(prompt.last_logits, fields.Numbers("last_logits"));
  if (prompt.last_logits.empty()) return fields.Error("last_logits", "is empty");
  WEFT_ASSIGN_OR_RETURN(prompt.greedy_ids, fields.TokenIds("greedy_ids"));
  WEFT_ASSIGN_OR_RETURN(prompt.greedy_margins, fields.Numbers("greedy_margins", /*min=*/0.0));
  if (prompt.greedy_margins.size() != prompt.greedy_ids.size()) {
    return fields.Error("greedy_margins",
                        absl::StrCat("has ", prompt.greedy_margins.size(), " values, 'greedy_ids' ",
                                     prompt.greedy_ids.size()));
  }
  return prompt;
}

}  // namespace

absl::string_view SourceName(ReferencePrompt::Source source) {
  switch (source) {
    case ReferencePrompt::Source::kText:
      return "text";
    case ReferencePrompt::Source::kRandomIds:
      return "random_ids";
  }
  return "unknown";
}

absl::StatusOr<Reference> ParseReference(absl::string_view json_text, absl::string_view file_name) {
  const Json json = Json::parse(json_text.begin(), json_text.end(), nullptr,
                                /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    const JsonSyntaxError error = FindJsonSyntaxError(json_text);
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": invalid JSON: byte ", error.byte, ": ", error.message));
  }
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(file_name, ": is ", TypeWithArticle(json), ", expected an object"));
  }
  const Fields fields(json, std::string(file_name));
  Reference reference;
  WEFT_ASSIGN_OR_RETURN(reference.model, fields.OptionalString("model"));
  WEFT_ASSIGN_OR_RETURN(reference.architecture, fields.OptionalString("architecture"));
  WEFT_ASSIGN_OR_RETURN(reference.reference_dtype, fields.OptionalString("reference_dtype"));
  WEFT_ASSIGN_OR_RETURN(const Json* prompts, fields.RequiredArray("prompts"));
  if (prompts->empty()) return fields.Error("prompts", "is empty");
  for (size_t i = 0; i < prompts->size(); ++i) {
    WEFT_ASSIGN_OR_RETURN(
        ReferencePrompt prompt,
        ParsePrompt((*prompts)[i], absl::StrCat(file_name, ": prompts[", i, "]")));
    reference.prompts.push_back(std::move(prompt));
  }
  return reference;
}

absl::StatusOr<Reference> LoadReference(const std::string& path) {
  WEFT_ASSIGN_OR_RETURN(const std::string text, ReadFile(path));
  return ParseReference(text, path);
}

absl::Status CheckReferenceFitsModel(const Reference& reference,
                                     const checkpoint::ModelConfig& config,
                                     absl::string_view file_name) {
  const absl::string_view architecture = checkpoint::ArchitectureName(config.architecture);
  if (!reference.architecture.empty() && reference.architecture != architecture) {
    return absl::InvalidArgumentError(absl::StrCat(file_name, ": field 'architecture' is \"",
                                                   reference.architecture, "\" but the model is a ",
                                                   architecture));
  }
  const int64_t vocab = config.vocab_size;
  for (size_t i = 0; i < reference.prompts.size(); ++i) {
    const ReferencePrompt& prompt = reference.prompts[i];
    const std::string context = absl::StrCat(file_name, ": prompts[", i, "]: field '");
    if (static_cast<int64_t>(prompt.last_logits.size()) != vocab) {
      return absl::InvalidArgumentError(absl::StrCat(context, "last_logits' has ",
                                                     prompt.last_logits.size(),
                                                     " values; the model's vocab_size is ", vocab));
    }
    for (const auto& [key, ids] :
         {std::pair<const char*, const std::vector<int32_t>*>{"input_ids", &prompt.input_ids},
          {"greedy_ids", &prompt.greedy_ids}}) {
      for (size_t j = 0; j < ids->size(); ++j) {
        if ((*ids)[j] >= vocab) {
          return absl::InvalidArgumentError(
              absl::StrCat(context, key, "' element ", j, " (", (*ids)[j],
                           ") is not below the model's vocab_size ", vocab));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::engine
