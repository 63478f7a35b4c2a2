// A model directory's reference.json: prompts with what Hugging Face
// transformers computed for them (the logits at the last prompt position, a
// greedy continuation and the top-1/top-2 logit margin at each of its steps).
// The format is described in tests/data/README.md:
//
//   { "model", "architecture", "made_by", "reference_dtype", "seed",
//     "prompts": [ { "source": "text" | "random_ids", "input_ids": [...],
//                    "text", "last_logits": [vocab floats], "greedy_ids": [...],
//                    "greedy_margins": [...], "greedy_text" } ] }
//
// reference.json is untrusted input: malformed JSON, missing or wrongly typed
// fields, non-finite numbers and inconsistent lengths are InvalidArgument
// errors naming the file and the field (e.g. `reference.json: prompts[2]:
// field 'greedy_margins' has 15 values, 'greedy_ids' 16`), never crashes.
#ifndef WEFT_COMMON_ENGINE_VERIFY_REFERENCE_FILE_H_
#define WEFT_COMMON_ENGINE_VERIFY_REFERENCE_FILE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/checkpoint/model_config.h"

namespace weft::engine {

struct ReferencePrompt {
  enum class Source {
    kText,       // "text": input_ids == encode(text)
    kRandomIds,  // "random_ids": random token ids; text need not re-encode
  };

  Source source = Source::kText;
  std::vector<int32_t> input_ids;  // at least one, each >= 0
  std::string text;                // decode(input_ids); required for kText
  std::vector<double> last_logits;
  std::vector<int32_t> greedy_ids;     // each >= 0
  std::vector<double> greedy_margins;  // one per greedy id, each >= 0
};

// "text" or "random_ids".
absl::string_view SourceName(ReferencePrompt::Source source);

struct Reference {
  // Descriptive fields; empty when absent.
  std::string model;
  std::string architecture;  // e.g. "LlamaForCausalLM"
  std::string reference_dtype;
  std::vector<ReferencePrompt> prompts;  // at least one
};

// Parses the contents of a reference.json; `file_name` starts every error.
// Fields that this reader does not use ("made_by", "seed", "greedy_text",
// unknown ones) are ignored.
absl::StatusOr<Reference> ParseReference(absl::string_view json_text, absl::string_view file_name);

// Reads and parses the file at `path` (NotFound if it does not exist; errors
// name the path).
absl::StatusOr<Reference> LoadReference(const std::string& path);

// Whether `reference` can be checked against a model of `config`: every
// prompt's last_logits has vocab_size values, every token id is below
// vocab_size, and the architecture, if the reference names one, is the
// model's. InvalidArgument naming `file_name` and the field otherwise.
absl::Status CheckReferenceFitsModel(const Reference& reference,
                                     const checkpoint::ModelConfig& config,
                                     absl::string_view file_name);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_VERIFY_REFERENCE_FILE_H_
