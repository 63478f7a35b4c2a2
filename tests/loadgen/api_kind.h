// The two OpenAI-compatible streaming endpoints the load generator drives.
#ifndef WEFT_TESTS_LOADGEN_API_KIND_H_
#define WEFT_TESTS_LOADGEN_API_KIND_H_

#include <optional>

#include "absl/strings/string_view.h"

namespace weft::loadgen {

enum class ApiKind {
  kCompletions,  // /v1/completions: "prompt", chunks carry choices[0].text
  kChat,         // /v1/chat/completions: "messages", chunks carry choices[0].delta.content
};

inline constexpr absl::string_view kCompletionsPath = "/v1/completions";
inline constexpr absl::string_view kChatPath = "/v1/chat/completions";

inline absl::string_view ApiPath(ApiKind kind) {
  return kind == ApiKind::kChat ? kChatPath : kCompletionsPath;
}

// The kind served at `path` (one of the two above), if any.
inline std::optional<ApiKind> ApiKindForPath(absl::string_view path) {
  if (path == kCompletionsPath) return ApiKind::kCompletions;
  if (path == kChatPath) return ApiKind::kChat;
  return std::nullopt;
}

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_API_KIND_H_
