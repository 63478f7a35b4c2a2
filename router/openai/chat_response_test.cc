// Tests of /v1/chat/completions response bodies: the exact JSON of a
// response, of a stream's chunk sequence, and of the chat logprobs shape.
// Bodies are compared as ordered JSON, so key order matters too.
#include "router/openai/chat_response.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "router/openai/json_body.h"

namespace weft::router::openai {
namespace {

const ResponseMeta kMeta{.id = "chatcmpl-1", .created = 1700000000, .model = "m"};

TEST(ChatResponseTest, NonStreamed) {
  const std::string body =
      ChatResponseJson(kMeta,
                       {{.index = 0, .content = "Hello!", .finish_reason = FinishReason::kStop},
                        {.index = 1, .content = "Hi", .finish_reason = FinishReason::kLength}},
                       {.prompt_tokens = 9, .completion_tokens = 3, .cached_tokens = 0});
  EXPECT_EQ(Json::parse(body), Json::parse(R"({
      "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "m",
      "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "logprobs": null,
         "finish_reason": "stop"},
        {"index": 1, "message": {"role": "assistant", "content": "Hi"}, "logprobs": null,
         "finish_reason": "length"}],
      "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12,
                "prompt_tokens_details": {"cached_tokens": 0}}})"));
}

TEST(ChatResponseTest, Logprobs) {
  ChatChoice choice{.index = 0, .content = "Hi\xe2\x80\x94", .finish_reason = FinishReason::kStop};
  choice.logprobs = std::vector<TokenLogprob>{
      {.token = "Hi", .logprob = -0.25f, .top_logprobs = {{"Hi", -0.25f}, {"Hey", -2.0f}}},
      {.token = "\xe2\x80", .logprob = -0.5f},  // part of a character
      {.token = "\x94", .logprob = -0.75f},
  };
  const Json json = Json::parse(ChatResponseJson(kMeta, {choice}, {}));
  EXPECT_EQ(json["choices"][0]["logprobs"], Json::parse(R"({"content": [
      {"token": "Hi", "logprob": -0.25, "bytes": [72, 105], "top_logprobs": [
        {"token": "Hi", "logprob": -0.25, "bytes": [72, 105]},
        {"token": "Hey", "logprob": -2.0, "bytes": [72, 101, 121]}]},
      {"token": "\ufffd", "logprob": -0.5, "bytes": [226, 128], "top_logprobs": []},
      {"token": "\ufffd", "logprob": -0.75, "bytes": [148], "top_logprobs": []}]})"));
}

TEST(ChatResponseTest, StreamSequenceWithUsage) {
  std::vector<Json> events;
  for (const ChatDelta& delta :
       {ChatRoleDelta(0), ChatContentDelta(0, "Hel"), ChatContentDelta(0, "lo"),
        ChatFinishDelta(0, FinishReason::kStop)}) {
    events.push_back(Json::parse(ChatChunkJson(kMeta, delta, true)));
  }
  events.push_back(
      Json::parse(ChatUsageChunkJson(kMeta, {.prompt_tokens = 4, .completion_tokens = 2})));
  const Json expected = Json::parse(R"([
      {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
       "model": "m", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
       "logprobs": null, "finish_reason": null}], "usage": null},
      {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
       "model": "m", "choices": [{"index": 0, "delta": {"content": "Hel"},
       "logprobs": null, "finish_reason": null}], "usage": null},
      {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
       "model": "m", "choices": [{"index": 0, "delta": {"content": "lo"},
       "logprobs": null, "finish_reason": null}], "usage": null},
      {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
       "model": "m", "choices": [{"index": 0, "delta": {},
       "logprobs": null, "finish_reason": "stop"}], "usage": null},
      {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1700000000,
       "model": "m", "choices": [],
       "usage": {"prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6}}])");
  EXPECT_EQ(Json(events), expected);
}

TEST(ChatResponseTest, StreamWithoutUsageHasNoUsageField) {
  const Json json = Json::parse(ChatChunkJson(kMeta, ChatContentDelta(3, "x"), false));
  EXPECT_FALSE(json.contains("usage"));
  EXPECT_EQ(json["choices"][0]["index"], 3);
}

TEST(ChatResponseTest, StreamedLogprobs) {
  const ChatDelta delta =
      ChatContentDelta(0, "a", std::vector<TokenLogprob>{{.token = "a", .logprob = -1.0f}});
  const Json json = Json::parse(ChatChunkJson(kMeta, delta, false));
  EXPECT_EQ(json["choices"][0], Json::parse(R"({"index": 0, "delta": {"content": "a"},
      "logprobs": {"content": [{"token": "a", "logprob": -1.0, "bytes": [97],
                                "top_logprobs": []}]},
      "finish_reason": null})"));
}

TEST(ChatResponseTest, ContentAndFinishInOneChunk) {
  ChatDelta delta = ChatContentDelta(0, "end");
  delta.finish_reason = FinishReason::kAbort;
  const Json json = Json::parse(ChatChunkJson(kMeta, delta, false));
  EXPECT_EQ(json["choices"][0]["delta"], Json::parse(R"({"content": "end"})"));
  EXPECT_EQ(json["choices"][0]["finish_reason"], "abort");
}

}  // namespace
}  // namespace weft::router::openai
