#include "router/serving/response_format.h"

#include <utility>

#include "router/openai/chat_response.h"
#include "router/openai/completion_response.h"

namespace weft::router {
namespace {

class CompletionFormat final : public ResponseFormat {
 public:
  CompletionFormat(openai::ResponseMeta meta, bool include_usage)
      : meta_(std::move(meta)), include_usage_(include_usage) {}

  std::vector<std::string> StreamChunks(const ChoiceDelta& d) const override {
    if (d.text.empty() && !d.finish.has_value() && !d.logprobs.has_value()) return {};
    openai::CompletionChoice c{.index = d.index,
                               .text = d.text,
                               .logprobs = d.logprobs,
                               .text_offset = d.text_offset,
                               .finish_reason = d.finish};
    return {openai::CompletionChunkJson(meta_, c, include_usage_)};
  }

  std::string UsageChunk(const openai::Usage& usage) const override {
    return openai::CompletionUsageChunkJson(meta_, usage);
  }

  std::string Body(const std::vector<ChoiceResult>& choices,
                   const openai::Usage& usage) const override {
    std::vector<openai::CompletionChoice> out;
    out.reserve(choices.size());
    for (const ChoiceResult& r : choices) {
      out.push_back({.index = r.index,
                     .text = r.text,
                     .logprobs = r.logprobs,
                     .text_offset = 0,
                     .finish_reason = r.finish});
    }
    return openai::CompletionResponseJson(meta_, out, usage);
  }

 private:
  const openai::ResponseMeta meta_;
  const bool include_usage_;
};

class ChatFormat final : public ResponseFormat {
 public:
  ChatFormat(openai::ResponseMeta meta, bool include_usage)
      : meta_(std::move(meta)), include_usage_(include_usage) {}

  std::vector<std::string> StreamChunks(const ChoiceDelta& d) const override {
    std::vector<std::string> chunks;
    if (d.first) {
      chunks.push_back(
          openai::ChatChunkJson(meta_, openai::ChatRoleDelta(d.index), include_usage_));
    }
    if (!d.text.empty() || d.logprobs.has_value()) {
      chunks.push_back(openai::ChatChunkJson(
          meta_, openai::ChatContentDelta(d.index, d.text, d.logprobs), include_usage_));
    }
    if (d.finish.has_value()) {
      chunks.push_back(openai::ChatChunkJson(meta_, openai::ChatFinishDelta(d.index, *d.finish),
                                             include_usage_));
    }
    return chunks;
  }

  std::string UsageChunk(const openai::Usage& usage) const override {
    return openai::ChatUsageChunkJson(meta_, usage);
  }

  std::string Body(const std::vector<ChoiceResult>& choices,
                   const openai::Usage& usage) const override {
    std::vector<openai::ChatChoice> out;
    out.reserve(choices.size());
    for (const ChoiceResult& r : choices) {
      out.push_back(
          {.index = r.index, .content = r.text, .logprobs = r.logprobs, .finish_reason = r.finish});
    }
    return openai::ChatResponseJson(meta_, out, usage);
  }

 private:
  const openai::ResponseMeta meta_;
  const bool include_usage_;
};

}  // namespace

std::unique_ptr<ResponseFormat> MakeResponseFormat(bool chat, openai::ResponseMeta meta,
                                                   bool include_usage) {
  if (chat) return std::make_unique<ChatFormat>(std::move(meta), include_usage);
  return std::make_unique<CompletionFormat>(std::move(meta), include_usage);
}

}  // namespace weft::router
