// /v1/completions response bodies: the whole response, and the chunks of a
// streamed one (object "text_completion" in both, as OpenAI sends them).
//
// A stream, for each choice: chunks with text (and logprobs), the last one
// with a finish_reason; then, with stream_options.include_usage, a usage
// chunk with "choices": []; then "data: [DONE]". Each string returned here is
// one event's data (frame it with router/http/sse.h SseEvent).
#ifndef WEFT_ROUTER_OPENAI_COMPLETION_RESPONSE_H_
#define WEFT_ROUTER_OPENAI_COMPLETION_RESPONSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "router/openai/response_common.h"

namespace weft::router::openai {

// One choice, or one chunk of a streamed choice.
struct CompletionChoice {
  int32_t index = 0;  // prompt index * n + choice within the prompt
  std::string text;   // the whole text, or this chunk's piece of it
  // Logprobs of the tokens of `text`, when the request asked for them;
  // nullopt: "logprobs": null. Shown in the legacy shape {tokens,
  // token_logprobs, top_logprobs, text_offset}, where each top_logprobs entry
  // maps the alternatives' and the sampled token's text to their logprobs.
  std::optional<std::vector<TokenLogprob>> logprobs;
  // Characters of the choice's text before the first of these tokens (the
  // text of earlier chunks; with echo, the prompt's too): where text_offset
  // starts counting (Utf8Length).
  int64_t text_offset = 0;
  std::optional<FinishReason> finish_reason;  // nullopt: null (a chunk before the last)
};

// The non-streamed response, with usage.
std::string CompletionResponseJson(const ResponseMeta& meta,
                                   const std::vector<CompletionChoice>& choices,
                                   const Usage& usage);

// One stream chunk carrying `choice`. With include_usage, it has "usage": null
// as OpenAI sends it.
std::string CompletionChunkJson(const ResponseMeta& meta, const CompletionChoice& choice,
                                bool include_usage);

// The final usage chunk of a stream with include_usage: "choices": [].
std::string CompletionUsageChunkJson(const ResponseMeta& meta, const Usage& usage);

}  // namespace weft::router::openai

#endif  // WEFT_ROUTER_OPENAI_COMPLETION_RESPONSE_H_
