#include "common/testing/http_client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace weft::testutil {
namespace {

int MillisecondsUntil(absl::Time deadline) {
  const int64_t ms = absl::ToInt64Milliseconds(deadline - absl::Now());
  return ms <= 0 ? 0 : static_cast<int>(std::min<int64_t>(ms, 1 << 30));
}

}  // namespace

std::string HttpResponse::Header(absl::string_view name) const {
  for (absl::string_view line : absl::StrSplit(headers, "\r\n")) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(line.substr(0, colon)), name)) {
      return std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    }
  }
  return "";
}

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Connect(const std::string& host, int port,
                                                                absl::Duration timeout) {
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
  if (connect(fd, addrs->ai_addr, addrs->ai_addrlen) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("connect ", host, ":", port, ": ", std::strerror(err)));
  }
  std::unique_ptr<HttpClient> client(new HttpClient(fd, timeout));
  client->host_ = absl::StrCat(host, ":", port);
  return client;
}

HttpClient::~HttpClient() { Close(); }

void HttpClient::Close(bool reset) {
  if (fd_ < 0) return;
  if (reset) {
    linger option{1, 0};
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  }
  close(fd_);
  fd_ = -1;
}

absl::Status HttpClient::Send(absl::string_view bytes) {
  if (fd_ < 0) return absl::FailedPreconditionError("connection closed");
  while (!bytes.empty()) {
    const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("send: ", std::strerror(errno)));
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status HttpClient::SendRequest(absl::string_view method, absl::string_view path,
                                     absl::string_view body, absl::string_view extra_headers) {
  std::string request = absl::StrCat(method, " ", path, " HTTP/1.1\r\nHost: ", host_, "\r\n");
  if (!body.empty() || method == "POST") {
    absl::StrAppend(&request, "Content-Type: application/json\r\nContent-Length: ", body.size(),
                    "\r\n");
  }
  absl::StrAppend(&request, extra_headers, "\r\n", body);
  return Send(request);
}

absl::Status HttpClient::Fill(absl::Time deadline) {
  if (fd_ < 0) return absl::FailedPreconditionError("connection closed");
  char chunk[16384];
  while (true) {
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = poll(&pfd, 1, MillisecondsUntil(deadline));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return absl::InternalError(absl::StrCat("poll: ", std::strerror(errno)));
    if (ready == 0) return absl::DeadlineExceededError("timed out reading the response");
    const ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", std::strerror(errno)));
    if (n == 0) return absl::OutOfRangeError("connection closed by the server");
    buf_.append(chunk, static_cast<size_t>(n));
    return absl::OkStatus();
  }
}

absl::StatusOr<std::string> HttpClient::ReadLine(absl::Time deadline) {
  while (true) {
    const size_t eol = buf_.find("\r\n");
    if (eol != std::string::npos) {
      std::string line = buf_.substr(0, eol);
      buf_.erase(0, eol + 2);
      return line;
    }
    if (absl::Status s = Fill(deadline); !s.ok()) return s;
  }
}

absl::StatusOr<std::string> HttpClient::ReadExactly(size_t n, absl::Time deadline) {
  while (buf_.size() < n) {
    if (absl::Status s = Fill(deadline); !s.ok()) return s;
  }
  std::string bytes = buf_.substr(0, n);
  buf_.erase(0, n);
  return bytes;
}

absl::StatusOr<HttpResponse> HttpClient::ReadHead() {
  const absl::Time deadline = absl::Now() + timeout_;
  HttpResponse response;
  absl::StatusOr<std::string> status_line = ReadLine(deadline);
  if (!status_line.ok()) return status_line.status();
  if (!absl::StartsWith(*status_line, "HTTP/1.") || status_line->size() < 12 ||
      !absl::SimpleAtoi(status_line->substr(9, 3), &response.status_code)) {
    return absl::DataLossError(absl::StrCat("malformed HTTP status line: ", *status_line));
  }
  std::vector<std::string> lines;
  while (true) {
    absl::StatusOr<std::string> line = ReadLine(deadline);
    if (!line.ok()) return line.status();
    if (line->empty()) break;
    lines.push_back(*std::move(line));
  }
  response.headers = absl::StrJoin(lines, "\r\n");
  sse_buf_.clear();
  body_done_ = false;
  const int code = response.status_code;
  if ((code >= 100 && code < 200) || code == 204 || code == 304) {
    body_kind_ = BodyKind::kNone;
    body_done_ = true;
  } else if (absl::EqualsIgnoreCase(response.Header("Transfer-Encoding"), "chunked")) {
    body_kind_ = BodyKind::kChunked;
  } else if (const std::string length = response.Header("Content-Length"); !length.empty()) {
    if (!absl::SimpleAtoi(length, &body_left_)) return absl::DataLossError("bad Content-Length");
    body_kind_ = BodyKind::kLength;
    body_done_ = body_left_ == 0;
  } else {
    body_kind_ = BodyKind::kUntilClose;
  }
  return response;
}

absl::StatusOr<std::string> HttpClient::ReadBodyPiece() {
  if (body_done_) return std::string();
  const absl::Time deadline = absl::Now() + timeout_;
  switch (body_kind_) {
    case BodyKind::kNone:
      body_done_ = true;
      return std::string();
    case BodyKind::kChunked: {
      absl::StatusOr<std::string> size_line = ReadLine(deadline);
      if (!size_line.ok()) return size_line.status();
      size_t size = 0;
      if (!absl::SimpleHexAtoi(size_line->substr(0, size_line->find(';')), &size)) {
        return absl::DataLossError(absl::StrCat("bad chunk size line: ", *size_line));
      }
      if (size == 0) {
        while (true) {  // the trailer section
          absl::StatusOr<std::string> line = ReadLine(deadline);
          if (!line.ok()) return line.status();
          if (line->empty()) break;
        }
        body_done_ = true;
        return std::string();
      }
      absl::StatusOr<std::string> data = ReadExactly(size + 2, deadline);
      if (!data.ok()) return data.status();
      if (data->compare(size, 2, "\r\n") != 0) {
        return absl::DataLossError("chunk not followed by CRLF");
      }
      data->resize(size);
      return data;
    }
    case BodyKind::kLength: {
      if (buf_.empty()) {
        if (absl::Status s = Fill(deadline); !s.ok()) return s;
      }
      const size_t n = static_cast<size_t>(std::min<uint64_t>(body_left_, buf_.size()));
      std::string data = buf_.substr(0, n);
      buf_.erase(0, n);
      body_left_ -= n;
      body_done_ = body_left_ == 0;
      return data;
    }
    case BodyKind::kUntilClose: {
      if (buf_.empty()) {
        absl::Status s = Fill(deadline);
        if (absl::IsOutOfRange(s)) {
          body_done_ = true;
          return std::string();
        }
        if (!s.ok()) return s;
      }
      std::string data = std::move(buf_);
      buf_.clear();
      return data;
    }
  }
  return absl::InternalError("unreachable");
}

absl::StatusOr<std::string> HttpClient::ReadBody() {
  std::string body;
  while (!body_done_) {
    absl::StatusOr<std::string> piece = ReadBodyPiece();
    if (!piece.ok()) return piece.status();
    body += *piece;
  }
  return body;
}

absl::StatusOr<HttpResponse> HttpClient::ReadResponse() {
  absl::StatusOr<HttpResponse> response = ReadHead();
  if (!response.ok()) return response;
  absl::StatusOr<std::string> body = ReadBody();
  if (!body.ok()) return body.status();
  response->body = *std::move(body);
  return response;
}

absl::StatusOr<std::optional<std::string>> HttpClient::ReadSseData() {
  while (true) {
    // An event ends at a blank line; accept "\n\n" and "\r\n\r\n".
    size_t end = sse_buf_.find("\n\n");
    size_t sep = 2;
    if (const size_t crlf = sse_buf_.find("\r\n\r\n"); crlf < end) {
      end = crlf;
      sep = 4;
    }
    if (end != std::string::npos) {
      const std::string event = sse_buf_.substr(0, end);
      sse_buf_.erase(0, end + sep);
      std::vector<std::string> data;
      for (absl::string_view line : absl::StrSplit(event, '\n')) {
        line = absl::StripSuffix(line, "\r");
        if (absl::ConsumePrefix(&line, "data:")) {
          absl::ConsumePrefix(&line, " ");
          data.emplace_back(line);
        }
      }
      if (data.empty()) continue;  // a comment or keep-alive
      return std::optional<std::string>(absl::StrJoin(data, "\n"));
    }
    if (body_done_) {
      if (!sse_buf_.empty()) return absl::DataLossError("event stream ended mid-event");
      return std::optional<std::string>();
    }
    absl::StatusOr<std::string> piece = ReadBodyPiece();
    if (!piece.ok()) return piece.status();
    sse_buf_ += *piece;
  }
}

absl::StatusOr<HttpResponse> HttpRequest(const std::string& host, int port,
                                         absl::string_view method, absl::string_view path,
                                         absl::string_view body, absl::Duration timeout,
                                         absl::string_view extra_headers) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::StatusOr<std::unique_ptr<HttpClient>> client = HttpClient::Connect(host, port, timeout);
  if (!client.ok()) return client.status();
  absl::Status sent = (*client)->SendRequest(
      method, path, body, absl::StrCat("Connection: close\r\nAccept: */*\r\n", extra_headers));
  if (!sent.ok()) return sent;
  absl::StatusOr<HttpResponse> response = (*client)->ReadHead();
  if (!response.ok()) return response.status();
  std::string data;
  while (true) {
    if (absl::Now() > deadline) return absl::DeadlineExceededError("HTTP request timed out");
    (*client)->set_timeout(std::max(deadline - absl::Now(), absl::Milliseconds(1)));
    absl::StatusOr<std::string> piece = (*client)->ReadBodyPiece();
    if (!piece.ok()) return piece.status();
    if (piece->empty()) break;
    data += *piece;
  }
  response->body = std::move(data);
  return response;
}

}  // namespace weft::testutil
