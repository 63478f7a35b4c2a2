#include "common/json/json_syntax_error.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft {
namespace {

TEST(JsonSyntaxError, NamesThePlace) {
  const JsonSyntaxError e = FindJsonSyntaxError("{\"a\": [1, 2,, 3]}");
  EXPECT_EQ(e.byte, 13u);
  EXPECT_THAT(e.message, ::testing::HasSubstr("[json.exception.parse_error"));
  EXPECT_THAT(e.Short(), ::testing::StartsWith("parse error at line 1, column 13: syntax error"));
  EXPECT_THAT(e.Short(), ::testing::Not(::testing::HasSubstr("last read")));
  const JsonSyntaxError ordered = FindJsonSyntaxError<nlohmann::ordered_json>("[1");
  EXPECT_EQ(ordered.byte, 3u);
}

}  // namespace
}  // namespace weft
