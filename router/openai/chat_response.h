// /v1/chat/completions response bodies: the whole response (object
// "chat.completion") and the chunks of a streamed one
// ("chat.completion.chunk").
//
// A stream, for each choice: a first chunk whose delta is {"role":
// "assistant", "content": ""}; chunks with {"content": ...} (and logprobs);
// a last one with an empty delta and the finish_reason. Then, with
// stream_options.include_usage, a usage chunk with "choices": []; then
// "data: [DONE]". Each string returned here is one event's data (frame it with
// router/http/sse.h SseEvent).
//
// Logprobs have the chat shape: {"content": [{"token", "logprob", "bytes",
// "top_logprobs": [{"token", "logprob", "bytes"}, ...]}, ...]}.
#ifndef WEFT_ROUTER_OPENAI_CHAT_RESPONSE_H_
#define WEFT_ROUTER_OPENAI_CHAT_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "router/openai/response_common.h"

namespace weft::router::openai {

// One choice of a non-streamed response.
struct ChatChoice {
  int32_t index = 0;
  std::string content;
  std::optional<std::vector<TokenLogprob>> logprobs;  // nullopt: "logprobs": null
  FinishReason finish_reason = FinishReason::kStop;
};

// One stream chunk's change to a choice.
struct ChatDelta {
  int32_t index = 0;
  bool role = false;                                  // the delta carries "role": "assistant"
  std::optional<std::string> content;                 // nullopt: no "content" in the delta
  std::optional<std::vector<TokenLogprob>> logprobs;  // nullopt: "logprobs": null
  std::optional<FinishReason> finish_reason;          // nullopt: null
};

// The deltas of a choice's first chunk ({"role": "assistant", "content": ""}),
// a content chunk and its last chunk (an empty delta with the reason).
ChatDelta ChatRoleDelta(int32_t index);
ChatDelta ChatContentDelta(int32_t index, std::string content,
                           std::optional<std::vector<TokenLogprob>> logprobs = std::nullopt);
ChatDelta ChatFinishDelta(int32_t index, FinishReason reason);

// The non-streamed response, with usage.
std::string ChatResponseJson(const ResponseMeta& meta, const std::vector<ChatChoice>& choices,
                             const Usage& usage);

// One stream chunk carrying `delta`. With include_usage, it has "usage": null
// as OpenAI sends it.
std::string ChatChunkJson(const ResponseMeta& meta, const ChatDelta& delta, bool include_usage);

// The final usage chunk of a stream with include_usage: "choices": [].
std::string ChatUsageChunkJson(const ResponseMeta& meta, const Usage& usage);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_CHAT_RESPONSE_H_
