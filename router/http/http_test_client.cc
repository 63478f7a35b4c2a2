#include "router/http/http_test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"

namespace weft::router::http {
namespace {

int MillisecondsUntil(absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return ms <= 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

}  // namespace

std::string TestResponse::Header(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return "";
}

bool TestResponse::HasHeader(absl::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<HttpTestClient>> HttpTestClient::Connect(int port,
                                                                        absl::Duration timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("connect :", port, ": ", strerror(err)));
  }
  return std::unique_ptr<HttpTestClient>(new HttpTestClient(fd, timeout));
}

HttpTestClient::~HttpTestClient() { Close(); }

void HttpTestClient::Close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger option{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  }
  close(fd_);
  fd_ = -1;
}

absl::Status HttpTestClient::Send(absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status HttpTestClient::Fill(absl::Time deadline) {
  char chunk[16384];
  while (true) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, MillisecondsUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
    if (ready == 0) return absl::DeadlineExceededError("timed out reading the response");
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    if (n == 0) return absl::OutOfRangeError("connection closed by the server");
    buf_.append(chunk, static_cast<size_t>(n));
    return absl::OkStatus();
  }
}

absl::StatusOr<std::string> HttpTestClient::ReadLine(absl::Time deadline) {
  while (true) {
    const size_t lf = buf_.find("\r\n");
    if (lf != std::string::npos) {
      std::string line = buf_.substr(0, lf);
      buf_.erase(0, lf + 2);
      return line;
    }
    if (absl::Status status = Fill(deadline); !status.ok()) return status;
  }
}

absl::StatusOr<std::string> HttpTestClient::ReadExactly(size_t n, absl::Time deadline) {
  while (buf_.size() < n) {
    if (absl::Status status = Fill(deadline); !status.ok()) return status;
  }
  std::string bytes = buf_.substr(0, n);
  buf_.erase(0, n);
  return bytes;
}

absl::StatusOr<TestResponse> HttpTestClient::ReadHead() {
  const absl::Time deadline = absl::Now() + timeout_;
  absl::StatusOr<std::string> status_line = ReadLine(deadline);
  if (!status_line.ok()) return status_line.status();
  TestResponse response;
  // "HTTP/1.1 200 OK"
  if (!absl::StartsWith(*status_line, "HTTP/1.") || status_line->size() < 12 ||
      !absl::SimpleAtoi(status_line->substr(9, 3), &response.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", *status_line));
  }
  response.reason = status_line->size() > 13 ? status_line->substr(13) : "";
  while (true) {
    absl::StatusOr<std::string> line = ReadLine(deadline);
    if (!line.ok()) return line.status();
    if (line->empty()) break;
    const size_t colon = line->find(':');
    if (colon == std::string::npos) return absl::DataLossError("bad header line: " + *line);
    response.headers.emplace_back(line->substr(0, colon),
                                  std::string(absl::StripAsciiWhitespace(line->substr(colon + 1))));
  }
  return response;
}

absl::StatusOr<std::string> HttpTestClient::ReadChunk() {
  const absl::Time deadline = absl::Now() + timeout_;
  absl::StatusOr<std::string> size_line = ReadLine(deadline);
  if (!size_line.ok()) return size_line.status();
  size_t size = 0;
  if (!absl::SimpleHexAtoi(size_line->substr(0, size_line->find(';')), &size)) {
    return absl::DataLossError("bad chunk size line: " + *size_line);
  }
  if (size == 0) {
    while (true) {  // trailer section
      absl::StatusOr<std::string> line = ReadLine(deadline);
      if (!line.ok()) return line.status();
      if (line->empty()) return std::string();
    }
  }
  absl::StatusOr<std::string> data = ReadExactly(size + 2, deadline);
  if (!data.ok()) return data.status();
  if (data->substr(size) != "\r\n") return absl::DataLossError("chunk not followed by CRLF");
  data->resize(size);
  return data;
}

absl::StatusOr<TestResponse> HttpTestClient::ReadResponse(bool head) {
  absl::StatusOr<TestResponse> response = ReadHead();
  if (!response.ok()) return response;
  const int status = response->status;
  if (head || (status >= 100 && status < 200) || status == 204 || status == 304) return response;
  if (absl::EqualsIgnoreCase(response->Header("Transfer-Encoding"), "chunked")) {
    while (true) {
      absl::StatusOr<std::string> chunk = ReadChunk();
      if (!chunk.ok()) return chunk.status();
      if (chunk->empty()) return response;
      response->body += *chunk;
    }
  }
  if (response->HasHeader("Content-Length")) {
    size_t length = 0;
    if (!absl::SimpleAtoi(response->Header("Content-Length"), &length)) {
      return absl::DataLossError("bad Content-Length");
    }
    absl::StatusOr<std::string> body = ReadExactly(length, absl::Now() + timeout_);
    if (!body.ok()) return body.status();
    response->body = *std::move(body);
    return response;
  }
  absl::StatusOr<std::string> body = ReadUntilClose();
  if (!body.ok()) return body.status();
  response->body = *std::move(body);
  return response;
}

absl::StatusOr<std::string> HttpTestClient::ReadUntilClose() {
  const absl::Time deadline = absl::Now() + timeout_;
  while (true) {
    absl::Status status = Fill(deadline);
    if (absl::IsOutOfRange(status)) break;
    if (!status.ok()) return status;
  }
  std::string bytes = std::move(buf_);
  buf_.clear();
  return bytes;
}

bool HttpTestClient::WaitForClose(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    absl::Status status = Fill(deadline);
    buf_.clear();
    if (absl::IsDeadlineExceeded(status)) return false;
    if (!status.ok()) return true;  // EOF or reset
  }
}

absl::StatusOr<TestResponse> HttpTestClient::Get(absl::string_view target,
                                                 absl::string_view extra_headers) {
  if (absl::Status status =
          Send(absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: test\r\n", extra_headers, "\r\n"));
      !status.ok()) {
    return status;
  }
  return ReadResponse();
}

absl::StatusOr<TestResponse> HttpTestClient::Post(absl::string_view target, absl::string_view body,
                                                  absl::string_view extra_headers) {
  if (absl::Status status =
          Send(absl::StrCat("POST ", target, " HTTP/1.1\r\nHost: test\r\n",
                            "Content-Length: ", body.size(), "\r\n", extra_headers, "\r\n", body));
      !status.ok()) {
    return status;
  }
  return ReadResponse();
}

}  // namespace weft::router::http
