// StreamRecorder (and the chunk parser under it) on whole responses split at
// every byte position, with made-up timestamps.
#include "tests/loadgen/stream_recorder.h"

#include <chrono>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/loadgen/api_kind.h"
#include "tests/loadgen/stream_chunk.h"

namespace weft::loadgen {
namespace {

using ::testing::AnyOf;
using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kStreamHead[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

// One chunk of chunked transfer-coding per event.
std::string Chunked(const std::vector<std::string>& events) {
  std::string body;
  for (const std::string& event : events) {
    absl::StrAppend(&body, absl::Hex(event.size()), "\r\n", event, "\r\n");
  }
  return absl::StrCat(body, "0\r\n\r\n");
}

std::string Event(const std::string& json) { return absl::StrCat("data: ", json, "\n\n"); }

std::string CompletionEvent(const std::string& text) {
  return Event(
      absl::StrCat(R"({"id":"cmpl-1","object":"text_completion","choices":[{"index":0,"text":")",
                   text, R"(","finish_reason":null}]})"));
}

std::string UsageEvent(int prompt, int completion) {
  return Event(absl::StrCat(R"({"id":"cmpl-1","choices":[],"usage":{"prompt_tokens":)", prompt,
                            R"(,"completion_tokens":)", completion, R"(,"total_tokens":)",
                            prompt + completion, "}}"));
}

const std::string kDone = "data: [DONE]\n\n";

const Clock::time_point kStart = Clock::time_point() + std::chrono::seconds(100);
const Clock::time_point kFirstRead = kStart + std::chrono::milliseconds(10);
const Clock::time_point kSecondRead = kStart + std::chrono::milliseconds(20);

// The response received in two reads, at kFirstRead and kSecondRead, then
// (if `eof`) the close.
RequestResult Record(ApiKind kind, const std::string& response, size_t split, bool eof = true) {
  StreamRecorder recorder(kind, /*prompt_len=*/7, kStart);
  recorder.OnBytes(absl::string_view(response).substr(0, split), kFirstRead);
  recorder.OnBytes(absl::string_view(response).substr(split), kSecondRead);
  if (eof) recorder.OnEof(kSecondRead);
  EXPECT_TRUE(recorder.done());
  return recorder.TakeResult();
}

TEST(StreamRecorderTest, CompletionStreamAtEverySplit) {
  const std::string response = absl::StrCat(
      kStreamHead, Chunked({CompletionEvent("He"), CompletionEvent(""), CompletionEvent("llo"),
                            CompletionEvent(" world"), UsageEvent(7, 5), kDone}));
  for (size_t split = 0; split <= response.size(); ++split) {
    SCOPED_TRACE(split);
    const RequestResult r = Record(ApiKind::kCompletions, response, split);
    ASSERT_TRUE(r.success) << r.error;
    EXPECT_EQ(r.prompt_len, 7);
    EXPECT_EQ(r.content_chunks, 3);  // the empty text does not count
    EXPECT_THAT(r.usage_prompt_tokens, Optional(7));
    EXPECT_THAT(r.usage_completion_tokens, Optional(5));
    EXPECT_EQ(r.output_tokens, 5);  // usage wins over the chunk count
    EXPECT_THAT(r.ttft_s, AnyOf(DoubleNear(0.010, 1e-9), DoubleNear(0.020, 1e-9)));
    EXPECT_THAT(r.e2e_s, AnyOf(DoubleNear(0.010, 1e-9), DoubleNear(0.020, 1e-9)));
    ASSERT_EQ(r.itl_s.size(), 2);
    EXPECT_NEAR(std::accumulate(r.itl_s.begin(), r.itl_s.end(), 0.0), r.e2e_s - r.ttft_s, 1e-9);
    // The close after a complete response changes nothing.
    EXPECT_TRUE(Record(ApiKind::kCompletions, response, split, /*eof=*/false).success);
  }
}

TEST(StreamRecorderTest, ChatStreamWithoutUsageCountsChunks) {
  const std::string role = Event(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})");
  const std::string response = absl::StrCat(
      kStreamHead,
      Chunked(
          {role, Event(R"({"choices":[{"index":0,"delta":{"content":"Hi"}}]})"),
           Event(R"({"choices":[{"index":0,"delta":{"reasoning_content":"hm"}}]})"),
           Event(R"({"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":"length"}]})"),
           kDone}));
  for (size_t split = 0; split <= response.size(); ++split) {
    SCOPED_TRACE(split);
    const RequestResult r = Record(ApiKind::kChat, response, split);
    ASSERT_TRUE(r.success) << r.error;
    EXPECT_EQ(r.content_chunks, 3);
    EXPECT_EQ(r.usage_completion_tokens, std::nullopt);
    EXPECT_EQ(r.output_tokens, 3);
    EXPECT_EQ(r.itl_s.size(), 2);
  }
}

TEST(StreamRecorderTest, ContentLengthAndCloseDelimitedBodies) {
  const std::string events = absl::StrCat(CompletionEvent("a"), CompletionEvent("b"), kDone);
  const std::string with_length =
      absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", events.size(), "\r\n\r\n", events);
  const std::string until_close = absl::StrCat("HTTP/1.0 200 OK\r\n\r\n", events);
  for (size_t split = 0; split <= until_close.size(); ++split) {
    SCOPED_TRACE(split);
    EXPECT_TRUE(Record(ApiKind::kCompletions, with_length, split).success);
    EXPECT_TRUE(Record(ApiKind::kCompletions, until_close, split).success);
  }
}

TEST(StreamRecorderTest, HttpErrorStatusFailsWithItsBody) {
  const std::string body = "{\"error\":{\"message\":\"x\"}}\n";
  const std::string response = absl::StrCat(
      "HTTP/1.1 500 Internal Server Error\r\nContent-Length: ", body.size(), "\r\n\r\n", body);
  for (size_t split = 0; split <= response.size(); ++split) {
    SCOPED_TRACE(split);
    const RequestResult r = Record(ApiKind::kCompletions, response, split, /*eof=*/false);
    EXPECT_FALSE(r.success);
    EXPECT_THAT(r.error, HasSubstr("HTTP 500"));
    EXPECT_THAT(r.error, HasSubstr("message"));
  }
}

TEST(StreamRecorderTest, BrokenStreamsFail) {
  struct Case {
    std::string name;
    std::string response;
    std::string error;
  };
  const std::string two_chunks = absl::StrCat(CompletionEvent("a"), CompletionEvent("b"));
  const std::vector<Case> cases = {
      {"closed mid-stream", absl::StrCat(kStreamHead, "5\r\ndata:"),  // EOF follows
       "middle of the response body"},
      {"no [DONE]", absl::StrCat(kStreamHead, Chunked({two_chunks})), "without data: [DONE]"},
      {"cut mid-event", absl::StrCat(kStreamHead, Chunked({"data: {\"choices\":[]"})),
       "middle of an event"},
      {"malformed JSON", absl::StrCat(kStreamHead, Chunked({Event("{not json"), kDone})),
       "malformed stream chunk"},
      {"error event",
       absl::StrCat(kStreamHead, Chunked({CompletionEvent("a"),
                                          Event(R"({"error":{"message":"overloaded"}})"), kDone})),
       "error in stream: overloaded"},
      {"no text", absl::StrCat(kStreamHead, Chunked({UsageEvent(3, 0), kDone})),
       "no chunk carried text"},
      {"event after [DONE]", absl::StrCat(kStreamHead, Chunked({kDone, CompletionEvent("a")})),
       "after data: [DONE]"},
      {"garbage", "hello\r\n\r\n", "malformed HTTP response"},
      {"nothing", "", "before the response headers"},
  };
  for (const Case& c : cases) {
    for (size_t split = 0; split <= c.response.size(); ++split) {
      SCOPED_TRACE(absl::StrCat(c.name, " split at ", split));
      const RequestResult r = Record(ApiKind::kCompletions, c.response, split);
      EXPECT_FALSE(r.success);
      EXPECT_THAT(r.error, HasSubstr(c.error));
    }
  }
}

TEST(StreamRecorderTest, FailAndTakeBeforeDone) {
  StreamRecorder timed_out(ApiKind::kCompletions, 1, kStart);
  timed_out.OnBytes(kStreamHead, kFirstRead);
  timed_out.Fail("timed out after 1 s");
  timed_out.OnBytes(Chunked({CompletionEvent("a"), kDone}), kSecondRead);  // ignored
  RequestResult r = timed_out.TakeResult();
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.error, "timed out after 1 s");

  StreamRecorder unfinished(ApiKind::kCompletions, 1, kStart);
  EXPECT_FALSE(unfinished.done());
  EXPECT_EQ(unfinished.TakeResult().error, "response incomplete");
}

TEST(StreamChunkTest, ReadsTextUsageAndErrors) {
  absl::StatusOr<StreamChunk> chunk =
      ParseStreamChunk(R"({"choices":[{"text":"x"}],"usage":null})", ApiKind::kCompletions);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->content, "x");
  EXPECT_EQ(chunk->completion_tokens, std::nullopt);

  chunk = ParseStreamChunk(R"({"choices":[{"delta":{"content":null}}]})", ApiKind::kChat);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->content, "");

  // A completions chunk read as chat (and vice versa) carries no text.
  chunk = ParseStreamChunk(R"({"choices":[{"text":"x"}]})", ApiKind::kChat);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->content, "");

  chunk = ParseStreamChunk(R"({"error":"plain"})", ApiKind::kChat);
  ASSERT_TRUE(chunk.ok());
  EXPECT_THAT(chunk->error, Optional(std::string("\"plain\"")));

  chunk = ParseStreamChunk(R"({"usage":{"prompt_tokens":"3","completion_tokens":4}})",
                           ApiKind::kCompletions);
  ASSERT_TRUE(chunk.ok());
  EXPECT_EQ(chunk->prompt_tokens, std::nullopt);  // not an integer
  EXPECT_THAT(chunk->completion_tokens, Optional(4));

  EXPECT_FALSE(ParseStreamChunk("[1,2]", ApiKind::kCompletions).ok());
  EXPECT_FALSE(ParseStreamChunk("", ApiKind::kCompletions).ok());
  EXPECT_FALSE(ParseStreamChunk("{\"a\":", ApiKind::kCompletions).ok());
}

}  // namespace
}  // namespace weft::loadgen
