#include "common/checkpoint/generation_config.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "common/checkpoint/json_util.h"
#include "common/status/status_macros.h"
#include "nlohmann/json.hpp"

namespace weft::checkpoint {

absl::StatusOr<GenerationConfig> ParseGenerationConfig(absl::string_view json_text,
                                                       absl::string_view label) {
  WEFT_ASSIGN_OR_RETURN(nlohmann::json root, ParseJson(json_text, label));
  if (!root.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": must be a JSON object, got ", JsonTypeName(root)));
  }
  JsonObjectReader r(root, std::string(label));
  GenerationConfig config;
  WEFT_ASSIGN_OR_RETURN(config.eos_token_ids, r.IntOrIntList("eos_token_id"));
  for (int64_t id : config.eos_token_ids) {
    if (id < 0) return r.FieldError("eos_token_id", absl::StrCat("holds negative id ", id));
  }
  WEFT_ASSIGN_OR_RETURN(config.bos_token_id, r.OptionalInt("bos_token_id"));
  WEFT_ASSIGN_OR_RETURN(config.pad_token_id, r.OptionalInt("pad_token_id"));
  WEFT_ASSIGN_OR_RETURN(config.do_sample, r.OptionalBool("do_sample"));
  WEFT_ASSIGN_OR_RETURN(config.temperature, r.OptionalDouble("temperature"));
  if (config.temperature.has_value() && !(*config.temperature >= 0)) {
    return r.FieldError("temperature", "must not be negative");
  }
  WEFT_ASSIGN_OR_RETURN(config.top_p, r.OptionalDouble("top_p"));
  if (config.top_p.has_value() && !(*config.top_p > 0 && *config.top_p <= 1)) {
    return r.FieldError("top_p", "must be in (0, 1]");
  }
  WEFT_ASSIGN_OR_RETURN(config.top_k, r.OptionalInt("top_k"));
  if (config.top_k.has_value() && *config.top_k < 0) {
    return r.FieldError("top_k", "must not be negative");
  }
  WEFT_ASSIGN_OR_RETURN(config.min_p, r.OptionalDouble("min_p"));
  if (config.min_p.has_value() && !(*config.min_p >= 0 && *config.min_p <= 1)) {
    return r.FieldError("min_p", "must be in [0, 1]");
  }
  WEFT_ASSIGN_OR_RETURN(config.repetition_penalty, r.OptionalDouble("repetition_penalty"));
  if (config.repetition_penalty.has_value() && !(*config.repetition_penalty > 0)) {
    return r.FieldError("repetition_penalty", "must be positive");
  }
  WEFT_ASSIGN_OR_RETURN(config.max_new_tokens, r.OptionalInt("max_new_tokens"));
  return config;
}

absl::StatusOr<std::optional<GenerationConfig>> LoadGenerationConfig(const std::string& model_dir) {
  const std::string path = absl::StrCat(model_dir, "/generation_config.json");
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return std::optional<GenerationConfig>();
  WEFT_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path, 16 << 20));
  WEFT_ASSIGN_OR_RETURN(GenerationConfig config, ParseGenerationConfig(text, path));
  return std::optional<GenerationConfig>(std::move(config));
}

}  // namespace weft::checkpoint
