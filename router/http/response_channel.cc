#include "router/http/response_channel.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging/log.h"
#include "router/http/http_status.h"

namespace weft::router::http {
namespace {

std::string HttpDate(absl::Time time) {
  return absl::FormatTime("%a, %d %b %Y %H:%M:%S GMT", time, absl::UTCTimeZone());
}

}  // namespace

ResponseChannel::ResponseChannel(ResponseFraming framing, size_t max_pending_bytes,
                                 std::function<void()> wake)
    : max_pending_bytes_(max_pending_bytes), framing_(framing), wake_(std::move(wake)) {}

std::string ResponseChannel::FormatHead(int status, const HttpHeaders& headers, bool streaming,
                                        size_t body_size) {
  std::string head = absl::StrCat("HTTP/1.1 ", status, " ", ReasonPhrase(status), "\r\n");
  bool caller_close = false;
  bool has_date = false;
  for (const auto& [name, value] : headers) {
    if (!IsValidHeaderName(name) || !IsValidHeaderValue(value)) {
      WEFT_LOG(ERROR) << "dropping invalid response header field \"" << absl::CEscape(name) << "\"";
      continue;
    }
    // The server frames the body and manages the connection itself.
    if (absl::EqualsIgnoreCase(name, "Content-Length") ||
        absl::EqualsIgnoreCase(name, "Transfer-Encoding")) {
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "Connection")) {
      if (HttpHeaders({{name, value}}).HasToken("Connection", "close")) caller_close = true;
      continue;
    }
    if (absl::EqualsIgnoreCase(name, "Date")) has_date = true;
    absl::StrAppend(&head, name, ": ", value, "\r\n");
  }
  if (!has_date) absl::StrAppend(&head, "Date: ", HttpDate(absl::Now()), "\r\n");
  // A stream without chunked encoding (HTTP/1.0) ends by closing; HEAD
  // responses carry no body, so they never need to.
  const bool keep_alive =
      framing_.keep_alive && !caller_close && (!streaming || chunked_ || framing_.head);
  if (!streaming) {
    if (!StatusHasNoBody(status)) absl::StrAppend(&head, "Content-Length: ", body_size, "\r\n");
  } else if (chunked_) {
    head += "Transfer-Encoding: chunked\r\n";
  }
  if (!keep_alive) {
    head += "Connection: close\r\n";
  } else if (framing_.version_minor == 0) {
    head += "Connection: keep-alive\r\n";
  }
  head += "\r\n";
  final_keep_alive_ = keep_alive;
  return head;
}

void ResponseChannel::WakeLocked() {
  if (wake_pending_ || !wake_) return;
  wake_pending_ = true;
  wake_();
}

bool ResponseChannel::Respond(int status, HttpHeaders headers, std::string body) {
  if (status < 200 || status > 999) {
    WEFT_LOG(ERROR) << "HttpResponder::Respond: invalid status " << status;
    return false;
  }
  std::function<void()> dropped;  // destroyed after the lock is released
  weft::MutexLock lock(&mu_);
  if (!UsableLocked()) return false;
  if (phase_ != Phase::kNotStarted) {
    WEFT_LOG(ERROR) << "HttpResponder::Respond: a response was already started";
    return false;
  }
  pending_ += FormatHead(status, headers, /*streaming=*/false, body.size());
  if (!StatusHasNoBody(status) && !framing_.head) pending_ += body;
  phase_ = Phase::kComplete;
  dropped = std::move(on_close_);
  WakeLocked();
  return true;
}

bool ResponseChannel::StartStream(int status, HttpHeaders headers) {
  if (status < 200 || status > 999 || StatusHasNoBody(status)) {
    WEFT_LOG(ERROR) << "HttpResponder::StartStream: invalid status " << status;
    return false;
  }
  weft::MutexLock lock(&mu_);
  if (!UsableLocked()) return false;
  if (phase_ != Phase::kNotStarted) {
    WEFT_LOG(ERROR) << "HttpResponder::StartStream: a response was already started";
    return false;
  }
  chunked_ = framing_.version_minor >= 1;
  pending_ += FormatHead(status, headers, /*streaming=*/true, 0);
  phase_ = Phase::kStreaming;
  WakeLocked();
  return true;
}

bool ResponseChannel::Write(absl::string_view data) {
  weft::MutexLock lock(&mu_);
  if (!UsableLocked() || phase_ != Phase::kStreaming) return false;
  if (data.empty() || framing_.head) return true;
  // A chunk adds at most 16 hex digits and two line endings.
  const size_t framed = chunked_ ? data.size() + 20 : data.size();
  if (pending_.size() + unsent_ + framed > max_pending_bytes_) {
    overflow_ = true;
    WakeLocked();
    return false;
  }
  if (chunked_) {
    absl::StrAppend(&pending_, absl::Hex(data.size()), "\r\n", data, "\r\n");
  } else {
    pending_.append(data.data(), data.size());
  }
  WakeLocked();
  return true;
}

bool ResponseChannel::Finish() {
  std::function<void()> dropped;
  weft::MutexLock lock(&mu_);
  if (!UsableLocked() || phase_ != Phase::kStreaming) return false;
  if (chunked_ && !framing_.head) pending_ += "0\r\n\r\n";
  phase_ = Phase::kComplete;
  dropped = std::move(on_close_);
  WakeLocked();
  return true;
}

void ResponseChannel::OnClose(std::function<void()> callback) {
  {
    std::function<void()> dropped;
    weft::MutexLock lock(&mu_);
    if (phase_ == Phase::kComplete) {
      dropped = std::move(callback);  // the response is done: it can no longer be cut off
      return;
    }
    if (!closed_) {
      dropped = std::move(on_close_);
      on_close_ = std::move(callback);
      return;
    }
  }
  if (callback) callback();  // already gone
}

bool ResponseChannel::closed() const {
  weft::MutexLock lock(&mu_);
  return closed_ || overflow_;
}

void ResponseChannel::Abandon() {
  std::function<void()> dropped;
  weft::MutexLock lock(&mu_);
  if (closed_ || phase_ == Phase::kComplete) return;
  if (phase_ == Phase::kNotStarted) {
    WEFT_LOG(ERROR) << "HTTP handler dropped its responder without responding; answering 500";
    const std::string body = "handler did not respond\n";
    pending_ += FormatHead(500, {{"Content-Type", "text/plain; charset=utf-8"}},
                           /*streaming=*/false, body.size());
    if (!framing_.head) pending_ += body;
    phase_ = Phase::kComplete;
  } else {
    // An unfinished stream: what was written goes out, then the connection
    // closes without the terminating chunk.
    phase_ = Phase::kComplete;
    final_keep_alive_ = false;
  }
  dropped = std::move(on_close_);
  WakeLocked();
}

ResponseChannel::Output ResponseChannel::Take() {
  weft::MutexLock lock(&mu_);
  Output output;
  output.bytes.swap(pending_);
  output.complete = phase_ == Phase::kComplete;
  output.keep_alive = final_keep_alive_;
  output.abort = overflow_;
  wake_pending_ = false;
  return output;
}

void ResponseChannel::SetUnsent(size_t bytes) {
  weft::MutexLock lock(&mu_);
  unsent_ = bytes;
}

void ResponseChannel::DisallowKeepAlive() {
  weft::MutexLock lock(&mu_);
  framing_.keep_alive = false;
}

void ResponseChannel::Detach() {
  std::function<void()> wake;
  weft::MutexLock lock(&mu_);
  wake = std::move(wake_);
}

void ResponseChannel::Close() {
  std::function<void()> callback;
  std::function<void()> wake;
  {
    weft::MutexLock lock(&mu_);
    if (closed_) return;
    closed_ = true;
    wake = std::move(wake_);
    callback = std::move(on_close_);  // empty once the response is complete
    pending_.clear();
  }
  if (callback) callback();
}

}  // namespace weft::router::http
