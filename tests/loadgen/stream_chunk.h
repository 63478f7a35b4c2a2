// The fields of one OpenAI streaming chunk (the JSON of one "data:" event)
// that a benchmark measures: the generated text it carries, the usage of the
// final chunk (stream_options.include_usage) and an in-stream error.
#ifndef WEFT_TESTS_LOADGEN_STREAM_CHUNK_H_
#define WEFT_TESTS_LOADGEN_STREAM_CHUNK_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/loadgen/api_kind.h"

namespace weft::loadgen {

struct StreamChunk {
  // The text of choices[0]: "text" for completions, "delta.content" (or
  // "delta.reasoning_content") for chat. Empty for a chunk without choices
  // (the usage chunk) or with empty text (a role-only first delta, say).
  std::string content;
  // usage.prompt_tokens / usage.completion_tokens, when present and integers.
  std::optional<int64_t> prompt_tokens;
  std::optional<int64_t> completion_tokens;
  // The message of an {"error": ...} event, as some servers send mid-stream.
  std::optional<std::string> error;
};

// Parses one event's data. InvalidArgument if it is not a JSON object.
absl::StatusOr<StreamChunk> ParseStreamChunk(absl::string_view data, ApiKind kind);

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_STREAM_CHUNK_H_
