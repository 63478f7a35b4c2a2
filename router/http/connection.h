// Connection: one accepted HTTP/1.1 client socket, driven by the event loop
// that owns it (all methods run on that loop's thread).
//
// Lifecycle: read and parse one request (HttpRequestParser) -> hand it to the
// handler with a fresh ResponseChannel/HttpResponder -> write the response as
// the channel produces it -> keep-alive: the next request (pipelined bytes
// already buffered are parsed then), or close. Requests are handled strictly
// one at a time, so responses go out in order; while one is handled the
// socket is not read (the kernel buffers, then TCP flow-controls, pipelined
// input), but a peer hang-up (EPOLLRDHUP/EPOLLHUP) or a failed write closes
// the connection at once and fires the response's OnClose callback.
//
// Errors found by the parser get a short text/plain response with
// "Connection: close". Every close after a response is a lingering close:
// shut the write side, discard input until the client closes (at most
// linger_timeout), so that unread request bytes do not turn into a TCP reset
// that would destroy the response on its way.
//
// Timeouts: a request must arrive within header_timeout of its first byte (of
// a new connection: of accept), and its body must keep arriving, without a
// pause longer than idle_timeout (408 otherwise). A keep-alive connection
// waits idle_timeout for its next request. A response whose bytes the client
// does not read for idle_timeout is cut off.
#ifndef WEFT_ROUTER_HTTP_CONNECTION_H_
#define WEFT_ROUTER_HTTP_CONNECTION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "router/http/error_response.h"
#include "router/http/event_loop.h"
#include "router/http/http_request_parser.h"
#include "router/http/http_responder.h"
#include "router/http/response_channel.h"

namespace weft::router::http {

struct ConnectionOptions {
  HttpParserLimits limits;
  absl::Duration header_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(60);
  size_t max_pending_output_bytes = 4 << 20;
  absl::Duration linger_timeout = absl::Seconds(2);
  ErrorBodyFormatter error_body;  // empty: plain text
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // Takes ownership of the non-blocking socket `fd`. `handler` must outlive
  // the connection's loop. `on_closed` runs once, on the loop thread, right
  // after the socket is closed; the connection must stay owned (by a
  // shared_ptr) until the callback has returned.
  Connection(EventLoop* loop, int fd, std::string peer, const ConnectionOptions& options,
             const HttpHandler* handler, std::function<void(Connection*)> on_closed);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts watching the socket. Call once, on the loop thread, with the
  // connection owned by a shared_ptr.
  void Start();
  // The server is shutting down: a connection between requests closes now;
  // one with a request in flight closes once its response is written.
  void Drain();
  // Closes the socket now. An incomplete response's OnClose callback fires.
  void Close();

  const std::string& peer() const { return peer_; }

 private:
  enum class State {
    kReading,    // reading a request (or waiting for one)
    kHandling,   // the handler has the request; its response is being written
    kClosing,    // writing a server-made error response, then lingering
    kLingering,  // output done and write side shut down: discarding input until EOF
    kClosed,
  };

  void OnEvents(uint32_t events);
  // Reads until the socket would block, parsing as it goes (kReading only).
  void ReadAndParse();
  // Parses buffered input; dispatches a complete request.
  void ProcessInput();
  void Dispatch();
  // Takes what the response channel has produced and writes it.
  void OnResponseOutput();
  // Writes buffered output until the socket would block.
  void FlushOutput();
  // The response is complete and written: next request, or close.
  void FinishResponse();
  // Continues with the next request after FinishResponse (posted).
  void Resume();
  void SendErrorAndClose(int status, absl::string_view message);
  void StartLingeringClose();
  void DiscardInput();
  // Moves the connection's single deadline; the loop timer is re-armed
  // lazily, only when the deadline moves earlier.
  void SetDeadline(absl::Time deadline);
  void OnTimer();
  void OnTimeout();

  EventLoop* const loop_;
  int fd_;
  const std::string peer_;
  const ConnectionOptions options_;
  const HttpHandler* const handler_;
  std::function<void(Connection*)> on_closed_;

  EventLoop::WatchId watch_id_ = 0;
  State state_ = State::kReading;
  bool draining_ = false;
  HttpRequestParser parser_;
  std::string in_;  // bytes from in_pos_ on are not parsed yet
  size_t in_pos_ = 0;
  std::string out_;  // bytes from out_pos_ on are not written yet
  size_t out_pos_ = 0;
  bool continue_sent_ = false;
  std::shared_ptr<ResponseChannel> channel_;  // the response in flight (kHandling)
  bool response_complete_ = false;            // channel_ has handed out its last bytes
  bool response_keep_alive_ = false;
  size_t discarded_ = 0;  // input thrown away while lingering
  absl::Time deadline_ = absl::InfiniteFuture();
  EventLoop::TimerId timer_id_ = 0;
  absl::Time timer_at_;
};

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_CONNECTION_H_
