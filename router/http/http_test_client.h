// HttpTestClient: a small blocking HTTP/1.1 client over a plain TCP socket,
// for tests that drive the server byte by byte: it sends exactly the bytes it
// is given and parses responses (Content-Length, chunked or close-delimited
// bodies, 1xx interim responses, streams read chunk by chunk).
#ifndef WEFT_ROUTER_HTTP_HTTP_TEST_CLIENT_H_
#define WEFT_ROUTER_HTTP_HTTP_TEST_CLIENT_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace weft::router::http {

struct TestResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // de-chunked

  // The first value of header `name` (case-insensitive), or "" if absent.
  std::string Header(absl::string_view name) const;
  bool HasHeader(absl::string_view name) const;
};

class HttpTestClient {
 public:
  // Connects to 127.0.0.1:port. Every later read waits at most `timeout`.
  static absl::StatusOr<std::unique_ptr<HttpTestClient>> Connect(
      int port, absl::Duration timeout = absl::Seconds(10));
  ~HttpTestClient();
  HttpTestClient(const HttpTestClient&) = delete;
  HttpTestClient& operator=(const HttpTestClient&) = delete;

  absl::Status Send(absl::string_view bytes);

  // Reads one response: status line, headers and body. A 1xx interim
  // response is returned as such (no body). `head`: the request was HEAD, so
  // no body follows whatever the headers say.
  absl::StatusOr<TestResponse> ReadResponse(bool head = false);
  // Reads only the status line and headers (of a streamed response, say).
  absl::StatusOr<TestResponse> ReadHead();
  // After ReadHead of a chunked response: the next chunk's data, or "" for
  // the terminating chunk (its trailer section is consumed too).
  absl::StatusOr<std::string> ReadChunk();
  // Reads until the server closes the connection; returns the bytes read.
  absl::StatusOr<std::string> ReadUntilClose();
  // Whether the server closes the connection (EOF or reset) within
  // `timeout`; bytes arriving meanwhile are discarded.
  bool WaitForClose(absl::Duration timeout);

  // GET/POST helpers: one request with "Host: test" and `extra_headers`
  // (each "Name: value\r\n"), then its response.
  absl::StatusOr<TestResponse> Get(absl::string_view target, absl::string_view extra_headers = "");
  absl::StatusOr<TestResponse> Post(absl::string_view target, absl::string_view body,
                                    absl::string_view extra_headers = "");

  // Closes the socket now (with SO_LINGER 0, `reset` sends a TCP reset).
  void Close(bool reset = false);
  int fd() const { return fd_; }

 private:
  explicit HttpTestClient(int fd, absl::Duration timeout) : fd_(fd), timeout_(timeout) {}
  // Appends at least one byte to buf_; error on EOF or timeout.
  absl::Status Fill(absl::Time deadline);
  absl::StatusOr<std::string> ReadLine(absl::Time deadline);
  absl::StatusOr<std::string> ReadExactly(size_t n, absl::Time deadline);

  int fd_;
  absl::Duration timeout_;
  std::string buf_;  // received, not yet consumed
};

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_HTTP_TEST_CLIENT_H_
