// Tests of the pieces every response shares.
#include "router/openai/response_common.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router::openai {
namespace {

TEST(ResponseCommonTest, FinishReasonNames) {
  EXPECT_EQ(FinishReasonName(FinishReason::kStop), "stop");
  EXPECT_EQ(FinishReasonName(FinishReason::kLength), "length");
  EXPECT_EQ(FinishReasonName(FinishReason::kAbort), "abort");
}

TEST(ResponseCommonTest, ResponseIds) {
  const std::string a = NewResponseId("chatcmpl-");
  const std::string b = NewResponseId("chatcmpl-");
  EXPECT_THAT(a, ::testing::MatchesRegex("chatcmpl-[0-9a-f]{32}"));
  EXPECT_NE(a, b);
}

TEST(ResponseCommonTest, Usage) {
  EXPECT_EQ(UsageJson({.prompt_tokens = 3, .completion_tokens = 4}),
            Json::parse(R"({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7})"));
  EXPECT_EQ(UsageJson({.prompt_tokens = 3, .completion_tokens = 4, .cached_tokens = 2}),
            Json::parse(R"({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7,
                            "prompt_tokens_details": {"cached_tokens": 2}})"));
}

TEST(ResponseCommonTest, LogprobsThatJsonCannotCarryAreClamped) {
  EXPECT_EQ(JsonLogprob(-0.5f), -0.5);
  EXPECT_EQ(JsonLogprob(-std::numeric_limits<float>::infinity()), -9999.0);
  EXPECT_EQ(JsonLogprob(std::nanf("")), -9999.0);
}

TEST(ResponseCommonTest, TokenBytes) {
  EXPECT_EQ(TokenBytesJson("a\xe2\x80"), Json::parse("[97, 226, 128]"));
  EXPECT_EQ(TokenBytesJson(""), Json::array());
}

TEST(ResponseCommonTest, Utf8LengthCountsCharacters) {
  EXPECT_EQ(Utf8Length("abc"), 3);
  EXPECT_EQ(Utf8Length("h\xc3\xa9llo"), 5);                   // é
  EXPECT_EQ(Utf8Length("\xe2\x80\x94"), 1);                   // em dash
  EXPECT_EQ(Utf8Length("\xe2\x80") + Utf8Length("\x94"), 1);  // split across tokens
}

}  // namespace
}  // namespace weft::router::openai
