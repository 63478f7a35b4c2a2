// Tests of request-body parsing (limits, error messages) and serialization.
#include "router/openai/json_body.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router::openai {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

TEST(JsonBodyTest, ParsesAnObjectKeepingKeyOrder) {
  const ApiResult<Json> json = ParseJsonBody(R"({"b": 1, "a": [true, null]})", {});
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(SerializeJson(json.value()), R"({"b":1,"a":[true,null]})");
}

TEST(JsonBodyTest, MalformedJsonSaysWhere) {
  const ApiResult<Json> json = ParseJsonBody(R"({"model": "m", "prompt": x})", {});
  ASSERT_FALSE(json.ok());
  EXPECT_EQ(json.error().http_status, 400);
  EXPECT_EQ(json.error().type, "invalid_request_error");
  EXPECT_EQ(json.error().param, std::nullopt);
  EXPECT_THAT(json.error().message,
              StartsWith("We could not parse the JSON body of your request: parse error at "
                         "line 1, column 26"));
  EXPECT_THAT(json.error().message, Not(HasSubstr("json.exception")));
}

TEST(JsonBodyTest, ErrorDoesNotEchoTheBody) {
  const std::string body = R"({"a": ")" + std::string(100000, 'x') + "\x01\"}";
  const ApiResult<Json> json = ParseJsonBody(body, {});
  ASSERT_FALSE(json.ok());
  EXPECT_LT(json.error().message.size(), 300u);
  EXPECT_THAT(json.error().message, HasSubstr("control character"));
}

TEST(JsonBodyTest, RejectsEmptyTruncatedAndTrailingInput) {
  for (const char* body : {"", "   ", R"({"a": 1)", R"({"a": 1} x)", R"({"a": 1}{})", "nul"}) {
    const ApiResult<Json> json = ParseJsonBody(body, {});
    ASSERT_FALSE(json.ok()) << body;
    EXPECT_THAT(json.error().message, StartsWith("We could not parse")) << body;
  }
}

TEST(JsonBodyTest, RejectsInvalidUtf8) {
  EXPECT_FALSE(ParseJsonBody("{\"a\": \"\xff\"}", {}).ok());
}

TEST(JsonBodyTest, DepthLimit) {
  const JsonLimits limits{.max_depth = 3};
  EXPECT_TRUE(ParseJsonBody("[[[1]]]", limits).ok());
  EXPECT_TRUE(ParseJsonBody(R"({"a": {"b": [1]}, "c": [[2]]})", limits).ok());
  const ApiResult<Json> deep = ParseJsonBody("[[[[1]]]]", limits);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().http_status, 400);
  EXPECT_EQ(deep.error().message, "The JSON body of the request is nested deeper than 3 levels.");
  EXPECT_FALSE(ParseJsonBody(R"({"a": {"b": {"c": {}}}})", limits).ok());
}

TEST(JsonBodyTest, DepthIgnoresBracketsInStrings) {
  const JsonLimits limits{.max_depth = 2};
  EXPECT_TRUE(ParseJsonBody(R"({"a": "[[[[{{{{"})", limits).ok());
  EXPECT_TRUE(ParseJsonBody(R"({"a": "\"[[[[{{{{"})", limits).ok());
  EXPECT_TRUE(ParseJsonBody(R"({"[[[": ["]]]]]]]]"]})", limits).ok());
  // An escaped backslash ends before the quote: the brackets after it count.
  EXPECT_FALSE(ParseJsonBody(R"({"a": "\\", "b": [[[1]]]})", limits).ok());
  // Closing brackets in strings do not lower the depth.
  EXPECT_FALSE(ParseJsonBody(R"([{"a": "]]]]", "b": [[1]]}])", limits).ok());
}

TEST(JsonBodyTest, VeryDeepInputIsRejectedBeforeParsing) {
  const std::string body = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  const ApiResult<Json> json = ParseJsonBody(body, {});
  ASSERT_FALSE(json.ok());
  EXPECT_THAT(json.error().message, HasSubstr("nested deeper than 64"));
}

TEST(JsonBodyTest, ObjectMemberLimit) {
  const JsonLimits limits{.max_object_members = 3};
  EXPECT_TRUE(ParseJsonBody(R"({"a": 1, "b": 2, "c": {"d": 1, "e": 2, "f": 3}})", limits).ok());
  EXPECT_TRUE(
      ParseJsonBody(R"([{"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 2, "c": 3}])", limits).ok());
  EXPECT_TRUE(ParseJsonBody(R"({"a": "x:y:z:w", "b": [1, 2, 3, 4, 5]})", limits).ok());
  const ApiResult<Json> wide = ParseJsonBody(R"({"a": 1, "b": 2, "c": 3, "d": 4})", limits);
  ASSERT_FALSE(wide.ok());
  EXPECT_EQ(wide.error().message,
            "An object in the JSON body of the request has more than 3 members.");
  // The count resumes after a nested object closes.
  EXPECT_FALSE(ParseJsonBody(R"({"a": 1, "b": {"x": 1}, "c": 3, "d": 4})", limits).ok());
}

TEST(JsonBodyTest, SerializeReplacesInvalidUtf8) {
  Json json = {{"token", "\xe2\x80"}, {"ok", "\xe2\x80\x94"}};
  EXPECT_EQ(SerializeJson(json), "{\"token\":\"\xEF\xBF\xBD\",\"ok\":\"\xe2\x80\x94\"}");
}

}  // namespace
}  // namespace weft::router::openai
