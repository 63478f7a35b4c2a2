// How a request's choices become OpenAI response bodies: the chunks of a
// stream and the whole non-streamed body, for /v1/completions or
// /v1/chat/completions (router/openai/*_response.h do the JSON).
#ifndef WEFT_ROUTER_SERVING_RESPONSE_FORMAT_H_
#define WEFT_ROUTER_SERVING_RESPONSE_FORMAT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "router/openai/response_common.h"

namespace weft::router {

// What one choice gained from one token event.
struct ChoiceDelta {
  int32_t index = 0;
  bool first = false;  // the choice's first delta
  std::string text;    // new text (completions with echo: the prompt first)
  std::optional<std::vector<openai::TokenLogprob>> logprobs;
  int64_t text_offset = 0;  // characters of the choice before `text`
  std::optional<openai::FinishReason> finish;
};

// A finished choice.
struct ChoiceResult {
  int32_t index = 0;
  std::string text;
  std::optional<std::vector<openai::TokenLogprob>> logprobs;
  openai::FinishReason finish = openai::FinishReason::kStop;
};

class ResponseFormat {
 public:
  virtual ~ResponseFormat() = default;
  // The data of the stream events for `delta` (SSE framing not included).
  virtual std::vector<std::string> StreamChunks(const ChoiceDelta& delta) const = 0;
  // The final usage chunk (stream_options.include_usage).
  virtual std::string UsageChunk(const openai::Usage& usage) const = 0;
  // The whole non-streamed body; `choices` ordered by index.
  virtual std::string Body(const std::vector<ChoiceResult>& choices,
                           const openai::Usage& usage) const = 0;
};

std::unique_ptr<ResponseFormat> MakeResponseFormat(bool chat, openai::ResponseMeta meta,
                                                   bool include_usage);

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_RESPONSE_FORMAT_H_
