#include "router/openai/chat_response.h"

#include <utility>

namespace weft::router::openai {
namespace {

Json ChatLogprobsJson(const std::vector<TokenLogprob>& tokens) {
  Json content = Json::array();
  for (const TokenLogprob& t : tokens) {
    Json top = Json::array();
    for (const TopLogprob& alternative : t.top_logprobs) {
      top.push_back({{"token", alternative.token},
                     {"logprob", JsonLogprob(alternative.logprob)},
                     {"bytes", TokenBytesJson(alternative.token)}});
    }
    content.push_back({{"token", t.token},
                       {"logprob", JsonLogprob(t.logprob)},
                       {"bytes", TokenBytesJson(t.token)},
                       {"top_logprobs", std::move(top)}});
  }
  return {{"content", std::move(content)}};
}

Json OptionalLogprobs(const std::optional<std::vector<TokenLogprob>>& logprobs) {
  return logprobs.has_value() ? ChatLogprobsJson(*logprobs) : Json(nullptr);
}

Json Envelope(const ResponseMeta& meta, absl::string_view object, Json choices) {
  return {{"id", meta.id},
          {"object", std::string(object)},
          {"created", meta.created},
          {"model", meta.model},
          {"choices", std::move(choices)}};
}

}  // namespace

ChatDelta ChatRoleDelta(int32_t index) {
  ChatDelta delta;
  delta.index = index;
  delta.role = true;
  delta.content = "";
  return delta;
}

ChatDelta ChatContentDelta(int32_t index, std::string content,
                           std::optional<std::vector<TokenLogprob>> logprobs) {
  ChatDelta delta;
  delta.index = index;
  delta.content = std::move(content);
  delta.logprobs = std::move(logprobs);
  return delta;
}

ChatDelta ChatFinishDelta(int32_t index, FinishReason reason) {
  ChatDelta delta;
  delta.index = index;
  delta.finish_reason = reason;
  return delta;
}

std::string ChatResponseJson(const ResponseMeta& meta, const std::vector<ChatChoice>& choices,
                             const Usage& usage) {
  Json choices_json = Json::array();
  for (const ChatChoice& choice : choices) {
    choices_json.push_back(
        {{"index", choice.index},
         {"message", {{"role", "assistant"}, {"content", choice.content}}},
         {"logprobs", OptionalLogprobs(choice.logprobs)},
         {"finish_reason", std::string(FinishReasonName(choice.finish_reason))}});
  }
  Json json = Envelope(meta, "chat.completion", std::move(choices_json));
  json["usage"] = UsageJson(usage);
  return SerializeJson(json);
}

std::string ChatChunkJson(const ResponseMeta& meta, const ChatDelta& delta, bool include_usage) {
  Json delta_json = Json::object();
  if (delta.role) delta_json["role"] = "assistant";
  if (delta.content.has_value()) delta_json["content"] = *delta.content;
  Json choice = {{"index", delta.index},
                 {"delta", std::move(delta_json)},
                 {"logprobs", OptionalLogprobs(delta.logprobs)},
                 {"finish_reason", nullptr}};
  if (delta.finish_reason.has_value()) {
    choice["finish_reason"] = std::string(FinishReasonName(*delta.finish_reason));
  }
  Json json = Envelope(meta, "chat.completion.chunk", Json::array({std::move(choice)}));
  if (include_usage) json["usage"] = nullptr;
  return SerializeJson(json);
}

std::string ChatUsageChunkJson(const ResponseMeta& meta, const Usage& usage) {
  Json json = Envelope(meta, "chat.completion.chunk", Json::array());
  json["usage"] = UsageJson(usage);
  return SerializeJson(json);
}

}  // namespace weft::router::openai
