// StreamRecorder: turns the bytes of one streamed OpenAI response, as they
// arrive, into a RequestResult: HTTP framing (HttpResponseParser), events
// (SseParser), chunks (ParseStreamChunk), and the time of every chunk that
// carries text. Knows nothing of sockets, so it can be fed any split of a
// response. Times are steady_clock points given by the caller.
//
//   StreamRecorder recorder(ApiKind::kCompletions, /*prompt_len=*/128, start);
//   recorder.OnBytes(bytes, Clock::now());   // until recorder.done()
//   recorder.OnEof(Clock::now());            // if the server closed first
//   RequestResult result = recorder.TakeResult();
//
// Not thread-safe.
#ifndef WEFT_TESTS_LOADGEN_STREAM_RECORDER_H_
#define WEFT_TESTS_LOADGEN_STREAM_RECORDER_H_

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "tests/loadgen/api_kind.h"
#include "tests/loadgen/http_response_parser.h"
#include "tests/loadgen/request_result.h"
#include "tests/loadgen/sse_parser.h"

namespace weft::loadgen {

using Clock = std::chrono::steady_clock;

class StreamRecorder {
 public:
  // Most bytes of an error response's body kept for the error message.
  static constexpr size_t kMaxErrorBodyBytes = 300;

  // `start`: when the request began (before connecting).
  StreamRecorder(ApiKind kind, int prompt_len, Clock::time_point start);

  // The next bytes received at `now`. Ignored once done().
  void OnBytes(absl::string_view bytes, Clock::time_point now);
  // The server closed the connection at `now`.
  void OnEof(Clock::time_point now);
  // Ends the request as failed with `error` (a connection error, a timeout),
  // unless already done.
  void Fail(std::string error);

  // Whether the outcome is settled: the response is complete, or failed.
  bool done() const { return done_; }
  // The result; call once, after done() (if called before, the request
  // counts as failed: "response incomplete").
  RequestResult TakeResult();

 private:
  void OnEvent(const std::string& data, Clock::time_point now);
  // Settles the outcome of a complete HTTP response.
  void OnResponseComplete();
  double SecondsSinceStart(Clock::time_point t) const;

  const ApiKind kind_;
  const Clock::time_point start_;
  HttpResponseParser http_;
  SseParser sse_;
  std::string body_;  // body bytes not yet given to sse_ (or an error body)
  std::vector<std::string> events_;
  bool saw_done_event_ = false;
  bool have_content_ = false;
  Clock::time_point last_content_;
  bool done_ = false;
  RequestResult result_;
};

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_STREAM_RECORDER_H_
