#include "tests/loadgen/http_response_parser.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::loadgen {
namespace {

using ::testing::HasSubstr;

struct Parsed {
  absl::Status status;
  bool complete = false;
  int code = 0;
  std::string body;
};

// Feeds `response` in two pieces split at `split` (then, if `eof`, the close).
Parsed ParseSplit(const std::string& response, size_t split, bool eof = false) {
  HttpResponseParser parser;
  Parsed parsed;
  parsed.status = parser.Feed(response.substr(0, split), &parsed.body);
  if (parsed.status.ok()) parsed.status = parser.Feed(response.substr(split), &parsed.body);
  if (parsed.status.ok() && eof) parsed.status = parser.FinishAtEof();
  parsed.complete = parser.complete();
  parsed.code = parser.status();
  return parsed;
}

// The response parses to `body` however it is split in two, and byte by byte.
void ExpectBodyAtEverySplit(const std::string& response, int code, const std::string& body,
                            bool eof = false) {
  for (size_t split = 0; split <= response.size(); ++split) {
    SCOPED_TRACE(split);
    const Parsed parsed = ParseSplit(response, split, eof);
    ASSERT_TRUE(parsed.status.ok()) << parsed.status;
    EXPECT_TRUE(parsed.complete);
    EXPECT_EQ(parsed.code, code);
    EXPECT_EQ(parsed.body, body);
  }
  HttpResponseParser parser;
  std::string received;
  for (char c : response) {
    ASSERT_TRUE(parser.Feed(std::string(1, c), &received).ok());
  }
  if (eof) ASSERT_TRUE(parser.FinishAtEof().ok());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(received, body);
}

TEST(HttpResponseParserTest, ContentLength) {
  ExpectBodyAtEverySplit(
      "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
      "Content-Length: 13\r\n\r\n{\"error\":\"x\"}",
      500, "{\"error\":\"x\"}");
}

TEST(HttpResponseParserTest, ChunkedWithExtensionsAndTrailers) {
  ExpectBodyAtEverySplit(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
      "6\r\ndata: \r\n"
      "9;ext=1\r\n{\"a\":1}\n\n\r\n"
      "e\r\ndata: [DONE]\n\n\r\n"
      "0\r\nX-Trailer: y\r\n\r\n",
      200, "data: {\"a\":1}\n\ndata: [DONE]\n\n");
}

TEST(HttpResponseParserTest, BareLineFeedsAndHeaderCase) {
  ExpectBodyAtEverySplit("HTTP/1.1 200 OK\ntransfer-encoding: Chunked\n\n3\nabc\n0\n\n", 200,
                         "abc");
}

TEST(HttpResponseParserTest, CloseDelimitedBodyEndsAtEof) {
  ExpectBodyAtEverySplit("HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: x\n\n",
                         200, "data: x\n\n", /*eof=*/true);
}

TEST(HttpResponseParserTest, SkipsInterimResponses) {
  ExpectBodyAtEverySplit(
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200, "ok");
}

TEST(HttpResponseParserTest, NoContentHasNoBody) {
  ExpectBodyAtEverySplit("HTTP/1.1 204 No Content\r\n\r\n", 204, "");
}

TEST(HttpResponseParserTest, IgnoresBytesAfterTheResponse) {
  HttpResponseParser parser;
  std::string body;
  ASSERT_TRUE(parser.Feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxyz", &body).ok());
  EXPECT_TRUE(parser.complete());
  EXPECT_EQ(body, "x");
  EXPECT_EQ(parser.Header("content-length"), "1");
}

TEST(HttpResponseParserTest, EofMidBodyIsDataLoss) {
  HttpResponseParser parser;
  std::string body;
  ASSERT_TRUE(
      parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", &body).ok());
  EXPECT_TRUE(parser.headers_complete());
  EXPECT_FALSE(parser.complete());
  const absl::Status status = parser.FinishAtEof();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("middle of the response body"));

  HttpResponseParser no_headers;
  ASSERT_TRUE(no_headers.Feed("HTTP/1.1 200 OK\r\n", &body).ok());
  EXPECT_THAT(no_headers.FinishAtEof().message(), HasSubstr("before the response headers"));

  HttpResponseParser short_length;
  ASSERT_TRUE(short_length.Feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", &body).ok());
  EXPECT_EQ(short_length.FinishAtEof().code(), absl::StatusCode::kDataLoss);
}

TEST(HttpResponseParserTest, RejectsMalformedFraming) {
  for (const char* response : {
           "HTTP/2 200\r\n\r\n",
           "HTTP/1.1 2x0 OK\r\n\r\n",
           "SSH-2.0-OpenSSH\r\n\r\n",
           "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
           "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
       }) {
    SCOPED_TRACE(response);
    HttpResponseParser parser;
    std::string body;
    const absl::Status status = parser.Feed(response, &body);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_FALSE(parser.complete());
    EXPECT_FALSE(parser.Feed("more", &body).ok());  // stays failed
  }
}

TEST(HttpResponseParserTest, RejectsOverlongLines) {
  HttpResponseParser parser;
  std::string body;
  const std::string huge(HttpResponseParser::kMaxLineBytes + 1, 'a');
  EXPECT_FALSE(parser.Feed("HTTP/1.1 200 OK\r\nX: " + huge, &body).ok());
}

}  // namespace
}  // namespace weft::loadgen
