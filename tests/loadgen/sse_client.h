// SseClient: one streamed OpenAI request over its own HTTP/1.1 connection,
// on a non-blocking socket driven by a readiness loop (LoadRunner's epoll):
// connect, send the whole request, then read the event stream into a
// StreamRecorder until the response is complete, fails or is abandoned.
//
//   SseClient client(ApiKind::kCompletions, prompt_len,
//                    FormatPostRequest(address, "/v1/completions", body, ""));
//   client.Start(address, Clock::now());
//   ... register client.fd() for client.wanted_events(); on readiness:
//   client.OnReady(events);   // until client.done()
//   RequestResult result = client.TakeResult();
//
// Not thread-safe; one loop thread drives it.
#ifndef WEFT_TESTS_LOADGEN_SSE_CLIENT_H_
#define WEFT_TESTS_LOADGEN_SSE_CLIENT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "tests/loadgen/api_kind.h"
#include "tests/loadgen/request_result.h"
#include "tests/loadgen/server_address.h"
#include "tests/loadgen/stream_recorder.h"

namespace weft::loadgen {

// "POST <base_path><path> HTTP/1.1" with Host, Content-Type: application/json,
// Accept: text/event-stream, Content-Length, "Connection: close" and, if
// `api_key` is not empty, "Authorization: Bearer <api_key>"; then `body`.
std::string FormatPostRequest(const ServerAddress& address, absl::string_view path,
                              absl::string_view body, absl::string_view api_key);

class SseClient {
 public:
  // `request`: the complete HTTP request (FormatPostRequest).
  SseClient(ApiKind kind, int prompt_len, std::string request);
  // Closes the socket.
  ~SseClient();
  SseClient(const SseClient&) = delete;
  SseClient& operator=(const SseClient&) = delete;

  // The request starts at `now` (TTFT and E2E count from here): opens a
  // non-blocking socket and starts connecting. If that fails the request is
  // done (failed) at once.
  void Start(const ServerAddress& address, Clock::time_point now);

  // The socket (-1 before Start, if Start failed to open one, and after
  // TakeResult). Stays open until TakeResult, also once done(), so that the
  // loop can unregister it first.
  int fd() const { return fd_; }
  // EPOLLOUT while connecting and sending, EPOLLIN once the request is sent.
  uint32_t wanted_events() const;

  // The socket is ready (`events`: epoll's). Does what I/O it can without
  // blocking, timestamping each read with steady_clock.
  void OnReady(uint32_t events);
  // Ends the request as failed (a timeout), unless already done.
  void Fail(std::string error);

  bool done() const { return recorder_.has_value() && recorder_->done(); }
  // The outcome; see StreamRecorder::TakeResult. Closes the socket.
  RequestResult TakeResult();

 private:
  void Send();
  void Receive();
  void CloseSocket();

  const ApiKind kind_;
  const int prompt_len_;
  const std::string request_;
  std::optional<StreamRecorder> recorder_;  // from Start on
  int fd_ = -1;
  size_t sent_ = 0;  // bytes of request_ sent
  bool connected_ = false;
};

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_SSE_CLIENT_H_
