// A small blocking HTTP/1.1 client over a real TCP connection, for tests of
// processes that serve HTTP: one-shot requests (HttpRequest), and
// connections that read a response piece by piece — a streamed body chunk
// by chunk, or Server-Sent Events one `data:` payload at a time — and can be
// closed (or reset) in the middle, as a client that goes away does.
#ifndef WEFT_COMMON_TESTING_HTTP_CLIENT_H_
#define WEFT_COMMON_TESTING_HTTP_CLIENT_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace weft::testutil {

struct HttpResponse {
  int status_code = 0;
  std::string headers;  // raw header block, without the status line
  std::string body;     // de-chunked; empty after ReadHead

  // The value of the first header field `name` (case-insensitive), or "".
  std::string Header(absl::string_view name) const;
};

class HttpClient {
 public:
  // Connects to host:port. Every later read waits at most `timeout` for
  // each piece it returns.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Connect(
      const std::string& host, int port, absl::Duration timeout = absl::Seconds(10));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  void set_timeout(absl::Duration timeout) { timeout_ = timeout; }

  // Sends `bytes` as they are.
  absl::Status Send(absl::string_view bytes);
  // Sends one request: the request line, Host, Content-Length (and
  // Content-Type: application/json) when `body` is not empty or the method
  // is POST, `extra_headers` (each "Name: value\r\n"), then the body.
  absl::Status SendRequest(absl::string_view method, absl::string_view path,
                           absl::string_view body = "", absl::string_view extra_headers = "");

  // Reads a response's status line and headers; the body is read next with
  // ReadBody, ReadBodyPiece or ReadSseData.
  absl::StatusOr<HttpResponse> ReadHead();
  // After ReadHead: the next piece of the body (a chunk of a chunked body,
  // or what arrived of a Content-Length or close-delimited one); "" once the
  // body has ended.
  absl::StatusOr<std::string> ReadBodyPiece();
  // After ReadHead: the rest of the body.
  absl::StatusOr<std::string> ReadBody();
  // ReadHead and ReadBody.
  absl::StatusOr<HttpResponse> ReadResponse();

  // After ReadHead of a text/event-stream: the data of the next event (its
  // `data:` lines joined by "\n"), or nullopt once the body has ended.
  absl::StatusOr<std::optional<std::string>> ReadSseData();

  // Closes the socket now; `reset` sends a TCP reset (SO_LINGER 0).
  void Close(bool reset = false);
  bool closed() const { return fd_ < 0; }

 private:
  enum class BodyKind { kNone, kChunked, kLength, kUntilClose };

  HttpClient(int fd, absl::Duration timeout) : fd_(fd), timeout_(timeout) {}
  // Appends at least one received byte to buf_. OutOfRange on EOF.
  absl::Status Fill(absl::Time deadline);
  absl::StatusOr<std::string> ReadLine(absl::Time deadline);
  absl::StatusOr<std::string> ReadExactly(size_t n, absl::Time deadline);

  int fd_;
  absl::Duration timeout_;
  std::string host_ = "127.0.0.1";
  std::string buf_;  // received, not consumed
  BodyKind body_kind_ = BodyKind::kNone;
  uint64_t body_left_ = 0;  // kLength
  bool body_done_ = true;
  std::string sse_buf_;  // body bytes not yet split into events
};

// One request on a fresh connection ("Connection: close"), and its response.
absl::StatusOr<HttpResponse> HttpRequest(const std::string& host, int port,
                                         absl::string_view method, absl::string_view path,
                                         absl::string_view body = "",
                                         absl::Duration timeout = absl::Seconds(10),
                                         absl::string_view extra_headers = "");

}  // namespace weft::testutil

#endif  // WEFT_COMMON_TESTING_HTTP_CLIENT_H_
