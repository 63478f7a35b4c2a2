#include "router/http/connection.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "router/http/http_status.h"

namespace weft::router::http {
namespace {

constexpr size_t kReadChunkBytes = 16 << 10;
// Input a lingering close throws away before it gives up and closes at once.
constexpr size_t kMaxLingerDiscardBytes = 1 << 20;
// While the server drains, lingering closes are cut short.
constexpr absl::Duration kDrainLingerTimeout = absl::Milliseconds(100);
constexpr absl::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

Connection::Connection(EventLoop* loop, int fd, std::string peer, const ConnectionOptions& options,
                       const HttpHandler* handler, std::function<void(Connection*)> on_closed)
    : loop_(loop),
      fd_(fd),
      peer_(std::move(peer)),
      options_(options),
      handler_(handler),
      on_closed_(std::move(on_closed)),
      parser_(options.limits) {}

Connection::~Connection() {
  if (fd_ >= 0) close(fd_);
}

void Connection::Start() {
  absl::StatusOr<EventLoop::WatchId> watch =
      loop_->Watch(fd_, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                   [this](uint32_t events) { OnEvents(events); });
  if (!watch.ok()) {
    WEFT_LOG(ERROR) << "HTTP connection from " << peer_ << ": " << watch.status();
    Close();
    return;
  }
  watch_id_ = *watch;
  SetDeadline(absl::Now() + options_.header_timeout);
}

void Connection::OnEvents(uint32_t events) {
  if (events & (EPOLLERR | EPOLLHUP)) {
    Close();
    return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP)) {
    if (state_ == State::kReading) {
      ReadAndParse();
    } else if (state_ == State::kLingering) {
      DiscardInput();
    }
  }
  // The client hung up (at least its sending side) while its response is
  // being produced: it is gone.
  if ((events & EPOLLRDHUP) && state_ == State::kHandling) {
    Close();
    return;
  }
  if ((events & EPOLLOUT) && state_ != State::kClosed && out_pos_ < out_.size()) FlushOutput();
}

void Connection::ReadAndParse() {
  char buf[kReadChunkBytes];
  while (state_ == State::kReading) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<size_t>(n));
      ProcessInput();
      continue;
    }
    if (n == 0) {  // the client closed before sending a complete request
      Close();
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) Close();
    return;
  }
}

void Connection::ProcessInput() {
  while (state_ == State::kReading && in_pos_ < in_.size()) {
    const bool was_started = parser_.started();
    in_pos_ += parser_.Parse(absl::string_view(in_).substr(in_pos_));
    if (!was_started && parser_.started()) {
      SetDeadline(absl::Now() + options_.header_timeout);
    }
    const HttpRequestParser::Result result = parser_.result();
    if (result == HttpRequestParser::Result::kError) {
      SendErrorAndClose(parser_.error_status(), parser_.error_message());
      return;
    }
    if (result == HttpRequestParser::Result::kDone) {
      Dispatch();
      continue;
    }
    // More bytes needed.
    if (parser_.headers_complete()) {
      SetDeadline(absl::Now() + options_.idle_timeout);  // the body must keep coming
      if (parser_.expects_continue() && !continue_sent_) {
        continue_sent_ = true;
        out_.append(kContinueResponse.data(), kContinueResponse.size());
        FlushOutput();
      }
    }
    break;
  }
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > 0 && in_pos_ * 2 >= in_.size()) {
    in_.erase(0, in_pos_);
    in_pos_ = 0;
  }
}

void Connection::Dispatch() {
  const bool keep_alive = parser_.keep_alive() && !draining_;
  HttpRequest request = parser_.TakeRequest();
  request.peer = peer_;
  ResponseFraming framing;
  framing.version_minor = request.version_minor;
  framing.head = request.method == "HEAD";
  framing.keep_alive = keep_alive;
  EventLoop* const loop = loop_;
  std::weak_ptr<Connection> weak = weak_from_this();
  channel_ =
      std::make_shared<ResponseChannel>(framing, options_.max_pending_output_bytes, [loop, weak] {
        loop->RunInLoop([weak] {
          if (std::shared_ptr<Connection> self = weak.lock()) self->OnResponseOutput();
        });
      });
  state_ = State::kHandling;
  continue_sent_ = false;
  response_complete_ = false;
  SetDeadline(absl::InfiniteFuture());  // the handler takes as long as it takes
  (*handler_)(std::move(request), std::make_shared<HttpResponder>(channel_));
  // A handler that answered at once: write now rather than on the wake-up.
  if (state_ == State::kHandling) OnResponseOutput();
}

void Connection::OnResponseOutput() {
  if (state_ != State::kHandling || channel_ == nullptr || response_complete_) return;
  ResponseChannel::Output output = channel_->Take();
  if (output.abort) {
    Close();
    return;
  }
  if (out_pos_ == out_.size()) {
    out_.swap(output.bytes);
    out_pos_ = 0;
  } else {
    out_ += output.bytes;
  }
  if (output.complete) {
    response_complete_ = true;
    response_keep_alive_ = output.keep_alive;
  }
  FlushOutput();
}

void Connection::FlushOutput() {
  bool progress = false;
  while (out_pos_ < out_.size()) {
    const ssize_t n = send(fd_, out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      progress = true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close();  // the client is gone
    return;
  }
  const size_t unsent = out_.size() - out_pos_;
  if (unsent == 0) {
    out_.clear();
    out_pos_ = 0;
  } else if (out_pos_ >= (64 << 10) && out_pos_ * 2 >= out_.size()) {
    out_.erase(0, out_pos_);
    out_pos_ = 0;
  }
  if (state_ != State::kHandling && state_ != State::kClosing) return;
  if (state_ == State::kHandling) channel_->SetUnsent(unsent);
  if (unsent > 0) {
    // A client that stops reading is cut off after idle_timeout.
    if (progress || deadline_ == absl::InfiniteFuture()) {
      SetDeadline(absl::Now() + options_.idle_timeout);
    }
    return;
  }
  if (state_ == State::kClosing) {
    StartLingeringClose();
  } else if (response_complete_) {
    FinishResponse();
  } else {
    SetDeadline(absl::InfiniteFuture());
  }
}

void Connection::FinishResponse() {
  channel_->Detach();
  channel_.reset();
  response_complete_ = false;
  if (!response_keep_alive_ || draining_) {
    StartLingeringClose();
    return;
  }
  state_ = State::kReading;
  SetDeadline(absl::Now() + options_.idle_timeout);
  // Not inline: this may run deep inside the previous request's dispatch.
  std::weak_ptr<Connection> weak = weak_from_this();
  loop_->RunInLoop([weak] {
    if (std::shared_ptr<Connection> self = weak.lock()) self->Resume();
  });
}

void Connection::Resume() {
  if (state_ != State::kReading) return;
  ProcessInput();
  // Bytes that arrived while the response was produced: their edge was seen
  // then and will not be reported again.
  if (state_ == State::kReading) ReadAndParse();
}

void Connection::SendErrorAndClose(int status, absl::string_view message) {
  out_ += FormatErrorResponse(options_.error_body, status, message);
  state_ = State::kClosing;
  SetDeadline(absl::Now() + options_.idle_timeout);
  FlushOutput();
}

void Connection::StartLingeringClose() {
  state_ = State::kLingering;
  in_.clear();
  in_pos_ = 0;
  parser_.Reset();
  shutdown(fd_, SHUT_WR);
  SetDeadline(absl::Now() + (draining_ ? std::min(kDrainLingerTimeout, options_.linger_timeout)
                                       : options_.linger_timeout));
  DiscardInput();
}

void Connection::DiscardInput() {
  char buf[kReadChunkBytes];
  while (state_ == State::kLingering) {
    const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      discarded_ += static_cast<size_t>(n);
      if (discarded_ > kMaxLingerDiscardBytes) Close();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close();  // EOF: the client has read everything and closed; or an error
  }
}

void Connection::Drain() {
  draining_ = true;
  switch (state_) {
    case State::kReading:
      Close();
      break;
    case State::kHandling:
      channel_->DisallowKeepAlive();
      break;
    case State::kLingering:
      SetDeadline(std::min(deadline_, absl::Now() + kDrainLingerTimeout));
      break;
    default:
      break;
  }
}

void Connection::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  if (watch_id_ != 0) loop_->Unwatch(watch_id_);
  watch_id_ = 0;
  if (timer_id_ != 0) loop_->CancelTimer(timer_id_);
  timer_id_ = 0;
  close(fd_);
  fd_ = -1;
  in_ = std::string();
  out_ = std::string();
  out_pos_ = 0;
  in_pos_ = 0;
  if (std::shared_ptr<ResponseChannel> channel = std::move(channel_)) channel->Close();
  if (on_closed_) {
    std::function<void(Connection*)> on_closed = std::move(on_closed_);
    on_closed(this);
  }
}

void Connection::SetDeadline(absl::Time deadline) {
  deadline_ = deadline;
  if (deadline == absl::InfiniteFuture() || state_ == State::kClosed) return;
  if (timer_id_ != 0 && timer_at_ <= deadline) return;  // fires first, then re-arms
  if (timer_id_ != 0) loop_->CancelTimer(timer_id_);
  timer_at_ = deadline;
  std::weak_ptr<Connection> weak = weak_from_this();
  timer_id_ = loop_->RunAt(deadline, [weak] {
    if (std::shared_ptr<Connection> self = weak.lock()) self->OnTimer();
  });
}

void Connection::OnTimer() {
  timer_id_ = 0;
  if (state_ == State::kClosed || deadline_ == absl::InfiniteFuture()) return;
  if (absl::Now() < deadline_) {
    SetDeadline(deadline_);
    return;
  }
  deadline_ = absl::InfiniteFuture();
  OnTimeout();
}

void Connection::OnTimeout() {
  if (state_ == State::kReading && parser_.started()) {
    SendErrorAndClose(408, "request not received in time");
  } else {
    // Idle between requests, a client not reading its response, or the end
    // of a lingering close.
    Close();
  }
}

}  // namespace weft::router::http
