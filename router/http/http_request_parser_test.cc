// HttpRequestParser on byte strings: accepted syntax, every limit and error
// status, pipelining, and identical results however the input is split.
#include "router/http/http_request_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::router::http {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using Result = HttpRequestParser::Result;

// Feeds `input` split into pieces of at most `piece` bytes, the way a
// connection does: unconsumed bytes are passed again with the next piece.
struct Parsed {
  Result result = Result::kNeedMore;
  HttpRequest request;
  int error_status = 0;
  std::string rest;                // bytes left unconsumed
  bool expected_continue = false;  // expects_continue() was true at some point
};

Parsed ParseInPieces(absl::string_view input, size_t piece, const HttpParserLimits& limits = {}) {
  HttpRequestParser parser(limits);
  Parsed parsed;
  std::string buffer;
  size_t pos = 0;
  while (true) {
    const size_t n = std::min(piece, input.size() - pos);
    buffer.append(input.data() + pos, n);
    pos += n;
    buffer.erase(0, parser.Parse(buffer));
    if (parser.expects_continue()) parsed.expected_continue = true;
    if (parser.result() != Result::kNeedMore || pos == input.size()) break;
  }
  parsed.result = parser.result();
  parsed.error_status = parser.error_status();
  parsed.rest = buffer + std::string(input.substr(pos));
  if (parsed.result == Result::kDone) parsed.request = parser.TakeRequest();
  return parsed;
}

Parsed Parse(absl::string_view input, const HttpParserLimits& limits = {}) {
  return ParseInPieces(input, input.size() + 1, limits);
}

int ErrorOf(absl::string_view input, const HttpParserLimits& limits = {}) {
  const Parsed parsed = Parse(input, limits);
  EXPECT_EQ(parsed.result, Result::kError) << input;
  return parsed.error_status;
}

TEST(HttpRequestParserTest, SimpleGet) {
  const Parsed parsed =
      Parse("GET /v1/models?limit=2&x=y HTTP/1.1\r\nHost: localhost\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.method, "GET");
  EXPECT_EQ(parsed.request.target, "/v1/models?limit=2&x=y");
  EXPECT_EQ(parsed.request.path, "/v1/models");
  EXPECT_EQ(parsed.request.query, "limit=2&x=y");
  EXPECT_EQ(parsed.request.version_minor, 1);
  EXPECT_THAT(parsed.request.headers.fields(),
              ElementsAre(Pair("Host", "localhost"), Pair("Accept", "*/*")));
  EXPECT_EQ(parsed.request.body, "");
  EXPECT_EQ(parsed.rest, "");
}

TEST(HttpRequestParserTest, PostWithContentLength) {
  const Parsed parsed = Parse(
      "POST /v1/completions HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
      "Content-Length: 13\r\n\r\n{\"prompt\":\"\"}");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.method, "POST");
  EXPECT_EQ(parsed.request.body, "{\"prompt\":\"\"}");
}

TEST(HttpRequestParserTest, HeadersCaseInsensitiveOrderedAndTrimmed) {
  const Parsed parsed = Parse(
      "GET / HTTP/1.1\r\nhost: h\r\nX-A:  1 \t\r\nx-a: 2\r\nX-Empty:\r\n"
      "Connection: Keep-Alive, CLOSE\r\n\r\n");
  ASSERT_EQ(parsed.result, Result::kDone);
  const HttpHeaders& headers = parsed.request.headers;
  EXPECT_EQ(headers.Get("HOST"), "h");
  EXPECT_EQ(headers.Get("x-a"), "1");
  EXPECT_THAT(headers.GetAll("X-a"), ElementsAre("1", "2"));
  EXPECT_EQ(headers.Get("x-empty"), "");
  EXPECT_FALSE(headers.Get("missing").has_value());
  EXPECT_TRUE(headers.HasToken("connection", "close"));
  EXPECT_FALSE(headers.HasToken("connection", "upgrade"));
}

TEST(HttpRequestParserTest, BareLineFeedsAndLeadingEmptyLines) {
  const Parsed parsed = Parse("\r\n\nGET /x HTTP/1.1\nHost: h\n\n");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.path, "/x");
  EXPECT_EQ(parsed.request.headers.Get("Host"), "h");
  EXPECT_EQ(ErrorOf(absl::StrCat(std::string(9 * 2, '\n'), "GET / HTTP/1.1\r\nHost: h\r\n\r\n")),
            400);
}

TEST(HttpRequestParserTest, TargetForms) {
  Parsed parsed = Parse("GET http://example.com:8080/a/b?c=d HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.path, "/a/b");
  EXPECT_EQ(parsed.request.query, "c=d");
  parsed = Parse("GET HTTPS://example.com HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.path, "/");
  parsed = Parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.path, "*");
  EXPECT_EQ(ErrorOf("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET foo HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(HttpRequestParserTest, Http10) {
  Parsed parsed = Parse("GET / HTTP/1.0\r\n\r\n");  // no Host needed
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.version_minor, 0);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
}

TEST(HttpRequestParserTest, KeepAlive) {
  auto keep_alive = [](absl::string_view request) {
    HttpRequestParser parser;
    parser.Parse(request);
    EXPECT_EQ(parser.result(), Result::kDone) << request;
    return parser.keep_alive();
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
}

TEST(HttpRequestParserTest, MalformedRequestLines) {
  EXPECT_EQ(ErrorOf("GET /\r\n\r\n"), 400);                       // HTTP/0.9
  EXPECT_EQ(ErrorOf("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);  // empty target
  EXPECT_EQ(ErrorOf("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / http/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1x\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf(absl::string_view("GET /\0 HTTP/1.1\r\n\r\n", 20)), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), 505);
  EXPECT_EQ(ErrorOf("\x16\x03\x01\x02\xfc\x03\x03 x y\r\n"), 400);  // a TLS hello
}

TEST(HttpRequestParserTest, MalformedHeaders) {
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\n: h\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), 400);  // obs-fold
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n"), 400);          // bare CR
  EXPECT_EQ(ErrorOf(absl::string_view("GET / HTTP/1.1\r\nHost: h\0\r\n\r\n", 28)), 400);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\n\r\n"), 400);  // no Host
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

TEST(HttpRequestParserTest, ContentLengthValidation) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\n";
  EXPECT_EQ(ErrorOf(head + "Content-Length: abc\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "Content-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "Content-Length: +1\r\n\r\nx"), 400);
  EXPECT_EQ(ErrorOf(head + "Content-Length:\r\n\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nxx"), 400);
  EXPECT_EQ(ErrorOf(head + "Content-Length: 1, 2\r\n\r\nxx"), 400);
  EXPECT_EQ(ErrorOf(head + "Content-Length: 99999999999999999999999999\r\n\r\n"), 413);
  EXPECT_EQ(ErrorOf(head + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  // Identical duplicates are accepted.
  Parsed parsed = Parse(head + "Content-Length: 2\r\nContent-Length: 2, 2\r\n\r\nab");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.body, "ab");
  parsed = Parse(head + "Content-Length: 0\r\n\r\n");
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.body, "");
}

TEST(HttpRequestParserTest, BodyLimitIsCheckedBeforeTheBody) {
  HttpParserLimits limits;
  limits.max_body_bytes = 10;
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n";
  HttpRequestParser parser(limits);
  const size_t consumed = parser.Parse(head + "01234567890");
  EXPECT_EQ(parser.result(), Result::kError);
  EXPECT_EQ(parser.error_status(), 413);
  EXPECT_EQ(consumed, head.size());  // no body byte read
  const Parsed ok =
      Parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789", limits);
  EXPECT_EQ(ok.result, Result::kDone);
}

TEST(HttpRequestParserTest, RequestLineLimit) {
  HttpParserLimits limits;
  limits.max_request_line_bytes = 32;
  const std::string fits = "GET /" + std::string(32 - 14, 'a') + " HTTP/1.1";
  ASSERT_EQ(fits.size(), 32u);
  EXPECT_EQ(Parse(fits + "\r\nHost: h\r\n\r\n", limits).result, Result::kDone);
  EXPECT_EQ(ErrorOf("GET /" + std::string(32 - 13, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n", limits),
            414);
  // Detected before the line ends.
  HttpRequestParser parser(limits);
  parser.Parse("GET /" + std::string(100, 'a'));
  EXPECT_EQ(parser.result(), Result::kError);
  EXPECT_EQ(parser.error_status(), 414);
}

TEST(HttpRequestParserTest, HeaderCountLimit) {
  HttpParserLimits limits;
  limits.max_headers = 3;
  EXPECT_EQ(Parse("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", limits).result,
            Result::kDone);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits), 431);
}

TEST(HttpRequestParserTest, HeaderBytesLimit) {
  HttpParserLimits limits;
  limits.max_header_bytes = 64;
  // "Host: h\r\n" (9) + "X: <v>\r\n" (5 + v) + "\r\n" (2) = 64 with v = 48.
  EXPECT_EQ(
      Parse("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(48, 'v') + "\r\n\r\n", limits).result,
      Result::kDone);
  EXPECT_EQ(ErrorOf("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(49, 'v') + "\r\n\r\n", limits),
            431);
  // An endless header line is cut off without waiting for its end.
  HttpRequestParser parser(limits);
  parser.Parse("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(1000, 'v'));
  EXPECT_EQ(parser.result(), Result::kError);
  EXPECT_EQ(parser.error_status(), 431);
}

TEST(HttpRequestParserTest, ChunkedBody) {
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n"
      "1;ext=1;q=\"x\"\r\n \r\n"
      "A\r\n0123456789\r\n"
      "0\r\nX-Trailer: t\r\n\r\n";
  const Parsed parsed = Parse(request);
  ASSERT_EQ(parsed.result, Result::kDone);
  EXPECT_EQ(parsed.request.body, "hello 0123456789");
  EXPECT_FALSE(parsed.request.headers.Has("X-Trailer"));  // trailers are discarded
  EXPECT_EQ(parsed.rest, "");
}

TEST(HttpRequestParserTest, ChunkedBodyErrors) {
  const std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(ErrorOf(head + "x\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "\r\n"), 400);
  EXPECT_EQ(ErrorOf(head + "3\r\nabcd\r\n"), 400);  // data longer than announced
  EXPECT_EQ(ErrorOf(head + "FFFFFFFFFFFFFFFFFFFFFFFF\r\n"), 413);
  EXPECT_EQ(ErrorOf(head + "1;" + std::string(2000, 'e') + "\r\n"), 400);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n"), 501);

  HttpParserLimits limits;
  limits.max_body_bytes = 8;
  EXPECT_EQ(Parse(head + "4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n", limits).result, Result::kDone);
  EXPECT_EQ(ErrorOf(head + "4\r\nabcd\r\n5\r\nefghi\r\n0\r\n\r\n", limits), 413);

  limits = HttpParserLimits();
  limits.max_headers = 2;  // Host, Transfer-Encoding; a trailer is one too many
  EXPECT_EQ(ErrorOf(head + "0\r\nT: 1\r\n\r\n", limits), 431);
}

TEST(HttpRequestParserTest, PipelinedRequestsInOneBuffer) {
  const std::string buffer =
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "POST /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\n\r\n"
      "GET /4 HTTP/1.1\r\nHo";
  HttpRequestParser parser;
  absl::string_view rest = buffer;
  std::vector<std::string> seen;
  while (true) {
    rest.remove_prefix(parser.Parse(rest));
    if (parser.result() != Result::kDone) break;
    HttpRequest request = parser.TakeRequest();
    seen.push_back(request.path + ":" + request.body);
  }
  EXPECT_THAT(seen, ElementsAre("/1:", "/2:abc", "/3:z"));
  EXPECT_EQ(parser.result(), Result::kNeedMore);
  EXPECT_EQ(rest, "Ho");  // an incomplete line stays unconsumed
  EXPECT_TRUE(parser.started());
  EXPECT_FALSE(parser.headers_complete());
}

TEST(HttpRequestParserTest, ParseStopsAfterDoneAndError) {
  HttpRequestParser parser;
  const std::string request = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(parser.Parse(request + request), request.size());
  EXPECT_EQ(parser.Parse(request), 0u);
  parser.Reset();
  parser.Parse("BAD\r\n");
  EXPECT_EQ(parser.result(), Result::kError);
  EXPECT_EQ(parser.Parse(request), 0u);
}

TEST(HttpRequestParserTest, ExpectContinue) {
  HttpRequestParser parser;
  parser.Parse("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_TRUE(parser.headers_complete());
  EXPECT_TRUE(parser.expects_continue());
  parser.Parse("a");
  EXPECT_FALSE(parser.expects_continue());  // the body started: no 100 needed
  parser.Parse("bc");
  EXPECT_EQ(parser.result(), Result::kDone);

  // Body in the same buffer as the headers: nothing to wait for.
  EXPECT_FALSE(
      ParseInPieces(
          "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", 1000)
          .expected_continue);
  // No body, HTTP/1.0: no 100.
  EXPECT_FALSE(ParseInPieces("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n", 1)
                   .expected_continue);
  EXPECT_FALSE(
      ParseInPieces("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx", 1)
          .expected_continue);
  // Chunked bodies may be expected too.
  EXPECT_TRUE(ParseInPieces("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                            "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                            1)
                  .expected_continue);
  EXPECT_EQ(ErrorOf("POST / HTTP/1.1\r\nHost: h\r\nExpect: something\r\n\r\n"), 417);
  // An oversized body is refused instead of continued.
  HttpParserLimits limits;
  limits.max_body_bytes = 2;
  EXPECT_EQ(
      ErrorOf("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n",
              limits),
      413);
}

TEST(HttpRequestParserTest, StartedTracksTheFirstByte) {
  HttpRequestParser parser;
  EXPECT_FALSE(parser.started());
  parser.Parse("");
  EXPECT_FALSE(parser.started());
  parser.Parse("G");
  EXPECT_TRUE(parser.started());
}

// Every request, split at every byte boundary (and fed byte by byte), parses
// exactly as it does in one piece.
TEST(HttpRequestParserTest, SplitAtEveryByteBoundary) {
  const std::vector<std::string> requests = {
      "GET /v1/models?x=1 HTTP/1.1\r\nHost: h\r\nA: b\r\n\r\n",
      "\r\nPOST /p HTTP/1.1\nHost: h\nContent-Length: 5\n\nhello",
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;e=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nT: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'y') + "\r\n\r\n",
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",                                     // 400
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n",             // 413
      "GET /" + std::string(300, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n",         // 414
      "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(300, 'y') + "\r\n\r\n",  // 431
  };
  HttpParserLimits limits;
  limits.max_body_bytes = 100;
  limits.max_request_line_bytes = 200;
  limits.max_header_bytes = 200;
  for (const std::string& request : requests) {
    const Parsed whole = Parse(request, limits);
    auto same = [&](const Parsed& other, const std::string& how) {
      EXPECT_EQ(other.result, whole.result) << how << ": " << request;
      EXPECT_EQ(other.error_status, whole.error_status) << how << ": " << request;
      EXPECT_EQ(other.request.path, whole.request.path) << how;
      EXPECT_EQ(other.request.query, whole.request.query) << how;
      EXPECT_EQ(other.request.body, whole.request.body) << how;
      EXPECT_EQ(other.request.headers.fields(), whole.request.headers.fields()) << how;
    };
    same(ParseInPieces(request, 1, limits), "byte by byte");
    for (size_t split = 1; split < request.size(); ++split) {
      HttpRequestParser parser(limits);
      std::string buffer = request.substr(0, split);
      buffer.erase(0, parser.Parse(buffer));
      Parsed parsed;
      if (parser.result() == Result::kNeedMore) {
        buffer += request.substr(split);
        buffer.erase(0, parser.Parse(buffer));
      }
      parsed.result = parser.result();
      parsed.error_status = parser.error_status();
      if (parsed.result == Result::kDone) parsed.request = parser.TakeRequest();
      same(parsed, absl::StrCat("split at ", split));
    }
  }
}

TEST(HttpRequestParserTest, TakeRequestResets) {
  HttpRequestParser parser;
  parser.Parse("POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx");
  ASSERT_EQ(parser.result(), Result::kDone);
  const HttpRequest first = parser.TakeRequest();
  EXPECT_EQ(first.body, "x");
  EXPECT_EQ(parser.result(), Result::kNeedMore);
  EXPECT_FALSE(parser.started());
  EXPECT_FALSE(parser.headers_complete());
  parser.Parse("GET /b HTTP/1.0\r\n\r\n");
  ASSERT_EQ(parser.result(), Result::kDone);
  const HttpRequest second = parser.TakeRequest();
  EXPECT_EQ(second.path, "/b");
  EXPECT_EQ(second.body, "");
  EXPECT_TRUE(second.headers.empty());
}

}  // namespace
}  // namespace weft::router::http
