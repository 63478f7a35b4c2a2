// ResponseChannel: the hand-over point for one response between the threads
// that produce it (through HttpResponder, any thread) and the event-loop
// thread that owns the connection and writes the socket.
//
// The producer side formats the response (status line, headers, chunked
// framing) into a pending byte buffer under a mutex and wakes the loop; the
// loop side takes the pending bytes, writes them and reports how many are
// still unsent, which together with the pending bytes is held under
// max_pending_bytes (the backpressure cap). When the connection goes away the
// loop closes the channel: producer calls then fail, and the OnClose callback
// runs if the response was not complete yet.
//
// Internal to the server; handlers see HttpResponder.
#ifndef WEFT_ROUTER_HTTP_RESPONSE_CHANNEL_H_
#define WEFT_ROUTER_HTTP_RESPONSE_CHANNEL_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "common/base/mutex.h"
#include "router/http/http_request.h"

namespace weft::router::http {

// How a response must be framed, decided per request by the connection.
struct ResponseFraming {
  int version_minor = 1;    // of the request: HTTP/1.0 gets no chunked encoding
  bool head = false;        // a HEAD request: headers only, never body bytes
  bool keep_alive = false;  // the client and the server allow another request after this one
};

class ResponseChannel {
 public:
  // `wake` asks the loop to call Take() soon; it is called with the channel's
  // mutex held and never after Close(), so it may refer to the loop.
  ResponseChannel(ResponseFraming framing, size_t max_pending_bytes, std::function<void()> wake);
  ResponseChannel(const ResponseChannel&) = delete;
  ResponseChannel& operator=(const ResponseChannel&) = delete;

  // Producer side (any thread): see HttpResponder for the contract.
  bool Respond(int status, HttpHeaders headers, std::string body);
  bool StartStream(int status, HttpHeaders headers);
  bool Write(absl::string_view data);
  bool Finish();
  void OnClose(std::function<void()> callback);
  bool closed() const;
  // The last HttpResponder is gone: a response never started becomes a 500,
  // an unfinished stream is cut off (the connection closes without the
  // terminating chunk, which clients see as an error).
  void Abandon();

  // Loop side.
  struct Output {
    std::string bytes;        // to append to the connection's output, in order
    bool complete = false;    // the whole response has now been handed out
    bool keep_alive = false;  // with complete: the connection may serve another request
    bool abort = false;       // close the connection now (the backpressure cap was hit)
  };
  Output Take();
  // Bytes handed out by Take that the socket has not accepted yet.
  void SetUnsent(size_t bytes);
  // The server is draining: a response not started yet says
  // "Connection: close" and the connection closes after it.
  void DisallowKeepAlive();
  // The response is complete and written; the connection has moved on and
  // will not be woken by this channel again.
  void Detach();
  // The connection is gone. Runs the OnClose callback on this thread unless
  // the response was complete. Idempotent.
  void Close();

 private:
  enum class Phase { kNotStarted, kStreaming, kComplete };

  // The status line and header block; sets final_keep_alive_.
  std::string FormatHead(int status, const HttpHeaders& headers, bool streaming, size_t body_size)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WakeLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool UsableLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !closed_ && !overflow_; }

  const size_t max_pending_bytes_;
  mutable weft::Mutex mu_;
  ResponseFraming framing_ ABSL_GUARDED_BY(mu_);
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
  Phase phase_ ABSL_GUARDED_BY(mu_) = Phase::kNotStarted;
  bool chunked_ ABSL_GUARDED_BY(mu_) = false;
  bool final_keep_alive_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool overflow_ ABSL_GUARDED_BY(mu_) = false;
  bool wake_pending_ ABSL_GUARDED_BY(mu_) = false;
  std::string pending_ ABSL_GUARDED_BY(mu_);
  size_t unsent_ ABSL_GUARDED_BY(mu_) = 0;
  std::function<void()> on_close_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_RESPONSE_CHANNEL_H_
