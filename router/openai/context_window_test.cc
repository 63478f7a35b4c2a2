// Tests of ResolveMaxTokens: defaults from the window and OpenAI's
// context_length_exceeded errors.
#include "router/openai/context_window.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router::openai {
namespace {

TEST(ContextWindowTest, RequestThatFits) {
  const ApiResult<int32_t> max_tokens = ResolveMaxTokens(100, 900, 1000, "prompt");
  ASSERT_TRUE(max_tokens.ok());
  EXPECT_EQ(max_tokens.value(), 100);
}

TEST(ContextWindowTest, DefaultIsWhatTheWindowLeaves) {
  const ApiResult<int32_t> max_tokens = ResolveMaxTokens(std::nullopt, 900, 1000, "messages");
  ASSERT_TRUE(max_tokens.ok());
  EXPECT_EQ(max_tokens.value(), 100);
  EXPECT_EQ(ResolveMaxTokens(std::nullopt, 1, int64_t{1} << 40, "prompt").value(),
            std::numeric_limits<int32_t>::max());
}

TEST(ContextWindowTest, RequestOverTheWindow) {
  const ApiResult<int32_t> max_tokens = ResolveMaxTokens(101, 900, 1000, "messages");
  ASSERT_FALSE(max_tokens.ok());
  const ApiError& e = max_tokens.error();
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, "context_length_exceeded");
  EXPECT_EQ(e.param, "messages");
  EXPECT_EQ(e.message,
            "This model's maximum context length is 1000 tokens. However, you requested 1001 "
            "tokens (900 in the messages, 101 in the completion). Please reduce the length of "
            "the messages or completion.");
}

TEST(ContextWindowTest, PromptThatFillsTheWindow) {
  for (int64_t prompt_tokens : {1000, 5000}) {
    const ApiResult<int32_t> max_tokens =
        ResolveMaxTokens(std::nullopt, prompt_tokens, 1000, "prompt");
    ASSERT_FALSE(max_tokens.ok());
    EXPECT_EQ(max_tokens.error().code, "context_length_exceeded");
    EXPECT_EQ(max_tokens.error().param, "prompt");
    EXPECT_THAT(max_tokens.error().message, ::testing::HasSubstr("maximum context length is 1000"));
  }
}

TEST(ContextWindowTest, EmptyPrompt) {
  const ApiResult<int32_t> max_tokens = ResolveMaxTokens(5, 0, 1000, "prompt");
  ASSERT_FALSE(max_tokens.ok());
  EXPECT_EQ(max_tokens.error().message, "The prompt must not be empty.");
  EXPECT_EQ(max_tokens.error().code, std::nullopt);
}

}  // namespace
}  // namespace weft::router::openai
