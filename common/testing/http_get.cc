#include "common/testing/http_get.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace weft::testutil {

absl::StatusOr<HttpResponse> HttpGet(const std::string& host, int port, const std::string& path,
                                     absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addrs = nullptr;
  const std::string port_str = absl::StrCat(port);
  if (int rc = getaddrinfo(host.c_str(), port_str.c_str(), &hints, &addrs); rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolve ", host, ": ", gai_strerror(rc)));
  }
  absl::Cleanup free_addrs = [addrs] { freeaddrinfo(addrs); };
  const int fd = socket(addrs->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  absl::Cleanup close_fd = [fd] { close(fd); };
  if (connect(fd, addrs->ai_addr, addrs->ai_addrlen) != 0) {
    return absl::UnavailableError(
        absl::StrCat("connect ", host, ":", port, ": ", std::strerror(errno)));
  }
  const std::string request = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: ", host, ":", port,
                                           "\r\nConnection: close\r\nAccept: */*\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
  }
  std::string raw;
  char buf[16384];
  while (true) {
    const int64_t left_ms = absl::ToInt64Milliseconds(deadline - absl::Now());
    if (left_ms <= 0) return absl::DeadlineExceededError("HTTP GET timed out");
    pollfd pfd{fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return absl::DeadlineExceededError("HTTP GET timed out");
    const ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    if (n == 0) break;
    raw.append(buf, static_cast<size_t>(n));
  }
  const size_t header_end = raw.find("\r\n\r\n");
  const size_t line_end = raw.find("\r\n");
  if (header_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) {
    return absl::DataLossError(absl::StrCat("malformed HTTP response: ", raw.substr(0, 80)));
  }
  HttpResponse response;
  if (!absl::SimpleAtoi(raw.substr(9, 3), &response.status_code)) {
    return absl::DataLossError("malformed HTTP status line");
  }
  response.headers = raw.substr(line_end + 2, header_end - line_end - 2);
  response.body = raw.substr(header_end + 4);
  if (response.headers.find("Transfer-Encoding: chunked") != std::string::npos) {
    // De-chunk: <hex size>\r\n<data>\r\n ... 0\r\n\r\n
    std::string body;
    size_t pos = 0;
    const std::string& in = response.body;
    while (pos < in.size()) {
      const size_t eol = in.find("\r\n", pos);
      if (eol == std::string::npos) return absl::DataLossError("bad chunk header");
      size_t size = 0;
      if (!absl::SimpleHexAtoi(in.substr(pos, eol - pos), &size)) {
        return absl::DataLossError("bad chunk size");
      }
      if (size == 0) break;
      body.append(in, eol + 2, size);
      pos = eol + 2 + size + 2;
    }
    response.body = std::move(body);
  }
  return response;
}

}  // namespace weft::testutil
