// Sampling defaults from a Hugging Face generation_config.json (optional in a
// model directory). Absent fields stay unset; callers apply their own
// defaults. A plain value: copyable, thread-compatible.
#ifndef WEFT_COMMON_CHECKPOINT_GENERATION_CONFIG_H_
#define WEFT_COMMON_CHECKPOINT_GENERATION_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace weft::checkpoint {

struct GenerationConfig {
  std::vector<int64_t> eos_token_ids;  // eos_token_id: an integer or a list.
  std::optional<int64_t> bos_token_id;
  std::optional<int64_t> pad_token_id;
  std::optional<bool> do_sample;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int64_t> top_k;
  std::optional<double> min_p;
  std::optional<double> repetition_penalty;
  std::optional<int64_t> max_new_tokens;
};

// Parses generation_config.json text; `label` names the file in errors
// (InvalidArgument naming the field for ill-typed or out-of-range values).
absl::StatusOr<GenerationConfig> ParseGenerationConfig(absl::string_view json_text,
                                                       absl::string_view label);

// Reads `model_dir`/generation_config.json: nullopt if the file is absent.
absl::StatusOr<std::optional<GenerationConfig>> LoadGenerationConfig(const std::string& model_dir);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_GENERATION_CONFIG_H_
