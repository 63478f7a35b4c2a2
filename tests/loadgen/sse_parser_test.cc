#include "tests/loadgen/sse_parser.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::loadgen {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> FeedSplit(const std::string& body, size_t split) {
  SseParser parser;
  std::vector<std::string> events;
  EXPECT_TRUE(parser.Feed(body.substr(0, split), &events).ok());
  EXPECT_TRUE(parser.Feed(body.substr(split), &events).ok());
  EXPECT_FALSE(parser.has_partial_event());
  return events;
}

TEST(SseParserTest, OpenAiStreamAtEverySplit) {
  const std::string body =
      "data: {\"choices\":[{\"text\":\"a\"}]}\n\n"
      "data: {\"choices\":[{\"text\":\"b\"}]}\r\n\r\n"
      ": keep-alive comment\n\n"
      "data: [DONE]\n\n";
  for (size_t split = 0; split <= body.size(); ++split) {
    SCOPED_TRACE(split);
    EXPECT_THAT(FeedSplit(body, split), ElementsAre("{\"choices\":[{\"text\":\"a\"}]}",
                                                    "{\"choices\":[{\"text\":\"b\"}]}", "[DONE]"));
  }
  SseParser parser;
  std::vector<std::string> events;
  for (char c : body) {
    ASSERT_TRUE(parser.Feed(std::string(1, c), &events).ok());
  }
  EXPECT_EQ(events.size(), 3);
}

TEST(SseParserTest, MultiLineDataAndOtherFields) {
  EXPECT_THAT(FeedSplit("event: x\nid: 7\ndata: one\ndata:two\nretry: 5\n\n", 11),
              ElementsAre("one\ntwo"));
  EXPECT_THAT(FeedSplit("data\n\n", 2), ElementsAre(""));  // a data field without a value
  EXPECT_THAT(FeedSplit("event: only\n\n\n\n", 3), IsEmpty());
}

TEST(SseParserTest, PartialEventIsPending) {
  SseParser parser;
  std::vector<std::string> events;
  ASSERT_TRUE(parser.Feed("data: {\"a\"", &events).ok());
  EXPECT_TRUE(parser.has_partial_event());
  ASSERT_TRUE(parser.Feed(":1}\n", &events).ok());
  EXPECT_TRUE(parser.has_partial_event());  // data, but no blank line yet
  EXPECT_THAT(events, IsEmpty());
  ASSERT_TRUE(parser.Feed("\n", &events).ok());
  EXPECT_THAT(events, ElementsAre("{\"a\":1}"));
  EXPECT_FALSE(parser.has_partial_event());
}

TEST(SseParserTest, RejectsOversizedLines) {
  SseParser parser;
  std::vector<std::string> events;
  const std::string huge(SseParser::kMaxEventBytes + 1, 'x');
  EXPECT_EQ(parser.Feed("data: " + huge, &events).code(), absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace weft::loadgen
