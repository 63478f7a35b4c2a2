// Tests of /v1/completions response bodies: the exact JSON of a response, of
// a stream's chunks, and of the legacy logprobs shape. Bodies are compared as
// ordered JSON, so key order matters too.
#include "router/openai/completion_response.h"

#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "router/openai/json_body.h"

namespace weft::router::openai {
namespace {

const ResponseMeta kMeta{.id = "cmpl-1", .created = 1700000000, .model = "m"};

TEST(CompletionResponseTest, NonStreamed) {
  const std::vector<CompletionChoice> choices = {
      {.index = 0, .text = "Hello", .finish_reason = FinishReason::kStop},
      {.index = 1, .text = "Hi there", .finish_reason = FinishReason::kLength},
  };
  const std::string body =
      CompletionResponseJson(kMeta, choices, {.prompt_tokens = 5, .completion_tokens = 7});
  EXPECT_EQ(Json::parse(body), Json::parse(R"({
      "id": "cmpl-1", "object": "text_completion", "created": 1700000000, "model": "m",
      "choices": [
        {"index": 0, "text": "Hello", "logprobs": null, "finish_reason": "stop"},
        {"index": 1, "text": "Hi there", "logprobs": null, "finish_reason": "length"}],
      "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}})"));
}

TEST(CompletionResponseTest, AbortAndCachedTokens) {
  const std::string body = CompletionResponseJson(
      kMeta, {{.index = 0, .text = "x", .finish_reason = FinishReason::kAbort}},
      {.prompt_tokens = 5, .completion_tokens = 1, .cached_tokens = 4});
  const Json json = Json::parse(body);
  EXPECT_EQ(json["choices"][0]["finish_reason"], "abort");
  EXPECT_EQ(json["usage"], Json::parse(R"({"prompt_tokens": 5, "completion_tokens": 1,
      "total_tokens": 6, "prompt_tokens_details": {"cached_tokens": 4}})"));
}

TEST(CompletionResponseTest, LegacyLogprobs) {
  CompletionChoice choice{
      .index = 0, .text = " caf\xc3\xa9!", .finish_reason = FinishReason::kStop};
  choice.logprobs = std::vector<TokenLogprob>{
      {.token = " caf", .logprob = -0.5f, .top_logprobs = {{" caf", -0.5f}, {" cat", -1.5f}}},
      // The sampled token need not be among the alternatives; it is added.
      {.token = "\xc3\xa9", .logprob = -2.0f, .top_logprobs = {{"e", -0.25f}}},
      // Alternatives that share a text: the first (most likely) is shown.
      {.token = "!",
       .logprob = -std::numeric_limits<float>::infinity(),
       .top_logprobs = {{".", -1.0f}, {".", -3.0f}}},
  };
  const Json json = Json::parse(CompletionResponseJson(kMeta, {choice}, {}));
  EXPECT_EQ(json["choices"][0]["logprobs"], Json::parse(R"({
      "tokens": [" caf", "é", "!"],
      "token_logprobs": [-0.5, -2.0, -9999.0],
      "top_logprobs": [{" caf": -0.5, " cat": -1.5}, {"e": -0.25, "é": -2.0},
                       {".": -1.0, "!": -9999.0}],
      "text_offset": [0, 4, 5]})"));
}

TEST(CompletionResponseTest, TextOffsetStartsWhereTheChunkDoes) {
  CompletionChoice chunk{.index = 2, .text = "ab", .text_offset = 10};
  chunk.logprobs =
      std::vector<TokenLogprob>{{.token = "a", .logprob = -1.0f}, {.token = "b", .logprob = -1.0f}};
  const Json json = Json::parse(CompletionChunkJson(kMeta, chunk, false));
  EXPECT_EQ(json["choices"][0]["logprobs"]["text_offset"], Json::parse("[10, 11]"));
  EXPECT_EQ(json["choices"][0]["logprobs"]["top_logprobs"],
            Json::parse(R"([{"a": -1.0}, {"b": -1.0}])"));
}

TEST(CompletionResponseTest, StreamWithUsage) {
  const std::vector<std::string> events = {
      CompletionChunkJson(kMeta, {.index = 0, .text = "Hel"}, true),
      CompletionChunkJson(kMeta, {.index = 0, .text = "lo", .finish_reason = FinishReason::kStop},
                          true),
      CompletionUsageChunkJson(kMeta, {.prompt_tokens = 2, .completion_tokens = 2}),
  };
  EXPECT_EQ(Json::parse(events[0]), Json::parse(R"({
      "id": "cmpl-1", "object": "text_completion", "created": 1700000000, "model": "m",
      "choices": [{"index": 0, "text": "Hel", "logprobs": null, "finish_reason": null}],
      "usage": null})"));
  EXPECT_EQ(Json::parse(events[1]), Json::parse(R"({
      "id": "cmpl-1", "object": "text_completion", "created": 1700000000, "model": "m",
      "choices": [{"index": 0, "text": "lo", "logprobs": null, "finish_reason": "stop"}],
      "usage": null})"));
  EXPECT_EQ(Json::parse(events[2]), Json::parse(R"({
      "id": "cmpl-1", "object": "text_completion", "created": 1700000000, "model": "m",
      "choices": [],
      "usage": {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}})"));
}

TEST(CompletionResponseTest, StreamWithoutUsageHasNoUsageField) {
  const Json json = Json::parse(CompletionChunkJson(kMeta, {.index = 1, .text = "x"}, false));
  EXPECT_FALSE(json.contains("usage"));
  EXPECT_EQ(json["choices"][0]["index"], 1);
}

TEST(CompletionResponseTest, PartialUtf8DoesNotThrow) {
  CompletionChoice choice{.index = 0, .text = "\xe2\x80", .finish_reason = FinishReason::kLength};
  choice.logprobs = std::vector<TokenLogprob>{{.token = "\xe2\x80", .logprob = -1.0f}};
  const Json json = Json::parse(CompletionResponseJson(kMeta, {choice}, {}));
  EXPECT_EQ(json["choices"][0]["text"], "\xEF\xBF\xBD");
}

}  // namespace
}  // namespace weft::router::openai
