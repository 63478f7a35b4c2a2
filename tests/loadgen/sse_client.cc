#include "tests/loadgen/sse_client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace weft::loadgen {
namespace {

// Reads per readiness report, so that one busy stream cannot starve the
// others on the loop (epoll is level-triggered: the rest comes next round).
constexpr int kMaxReadsPerReady = 16;
constexpr size_t kReadBufferBytes = 64 << 10;

std::string ErrnoText(const char* what, int error) {
  return absl::StrCat(what, ": ", std::strerror(error));
}

}  // namespace

std::string FormatPostRequest(const ServerAddress& address, absl::string_view path,
                              absl::string_view body, absl::string_view api_key) {
  std::string request =
      absl::StrCat("POST ", address.base_path, path, " HTTP/1.1\r\nHost: ", address.host_header,
                   "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\n",
                   "Content-Length: ", body.size(), "\r\nConnection: close\r\n");
  if (!api_key.empty()) absl::StrAppend(&request, "Authorization: Bearer ", api_key, "\r\n");
  absl::StrAppend(&request, "\r\n", body);
  return request;
}

SseClient::SseClient(ApiKind kind, int prompt_len, std::string request)
    : kind_(kind), prompt_len_(prompt_len), request_(std::move(request)) {}

SseClient::~SseClient() { CloseSocket(); }

void SseClient::CloseSocket() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

void SseClient::Start(const ServerAddress& address, Clock::time_point now) {
  recorder_.emplace(kind_, prompt_len_, now);
  fd_ = socket(address.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    Fail(ErrnoText("socket", errno));
    return;
  }
  const int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address.addr), address.addr_len) == 0) {
    connected_ = true;
    Send();
  } else if (errno != EINPROGRESS) {
    Fail(ErrnoText("connect", errno));
  }
}

uint32_t SseClient::wanted_events() const { return sent_ < request_.size() ? EPOLLOUT : EPOLLIN; }

void SseClient::OnReady(uint32_t events) {
  if (!recorder_.has_value() || done() || fd_ < 0) return;
  if (!connected_) {
    int error = 0;
    socklen_t length = sizeof(error);
    if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) {
      Fail(ErrnoText("connect", error));
      return;
    }
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    connected_ = true;
  }
  if (sent_ < request_.size()) {
    Send();
  } else {
    Receive();
  }
}

void SseClient::Send() {
  while (sent_ < request_.size()) {
    const ssize_t n = send(fd_, request_.data() + sent_, request_.size() - sent_, MSG_NOSIGNAL);
    if (n > 0) {
      sent_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Fail(ErrnoText("send", n < 0 ? errno : EPIPE));
    return;
  }
}

void SseClient::Receive() {
  char buffer[kReadBufferBytes];
  for (int i = 0; i < kMaxReadsPerReady && !done(); ++i) {
    const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
    if (n > 0) {
      recorder_->OnBytes(absl::string_view(buffer, static_cast<size_t>(n)), Clock::now());
      continue;
    }
    if (n == 0) {
      recorder_->OnEof(Clock::now());
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    Fail(ErrnoText("recv", errno));
    return;
  }
}

void SseClient::Fail(std::string error) {
  if (!recorder_.has_value()) recorder_.emplace(kind_, prompt_len_, Clock::now());
  recorder_->Fail(std::move(error));
}

RequestResult SseClient::TakeResult() {
  CloseSocket();
  if (!recorder_.has_value()) {
    RequestResult result;
    result.prompt_len = prompt_len_;
    result.error = "not started";
    return result;
  }
  return recorder_->TakeResult();
}

}  // namespace weft::loadgen
