// HttpResponder: how a handler answers one request, at once or as a stream
// written over time, from any thread. HttpHandler: the function the server
// calls for every request.
//
// A responder is shared (std::shared_ptr) and thread-safe. It may outlive its
// connection and even the server: once the client is gone every call fails
// (returns false) and does nothing. Exactly one of Respond() or
// StartStream() ... Finish() completes a response.
//
//   server handler (on an event-loop thread, must not block):
//     [](HttpRequest request, std::shared_ptr<HttpResponder> responder) {
//       responder->OnClose([id] { CancelEverywhere(id); });
//       responder->StartStream(200, {{"Content-Type", "text/event-stream"}});
//       ... later, from any thread:
//       if (!responder->Write(SseEvent(json))) { /* client gone */ }
//       responder->Write(kSseDone);
//       responder->Finish();
//     }
//
// The server adds Date (unless given), Content-Length or
// "Transfer-Encoding: chunked", and Connection; Content-Length,
// Transfer-Encoding and Connection fields passed in are dropped, except that
// "Connection: close" makes the server close the connection after the
// response. Invalid header fields (CR/LF in a value, say) are dropped and
// logged.
//
// If the last reference to a responder is dropped before the response is
// complete, the server answers 500 (nothing sent yet) or cuts the stream off
// by closing the connection (which clients see as an error).
#ifndef WEFT_ROUTER_HTTP_HTTP_RESPONDER_H_
#define WEFT_ROUTER_HTTP_HTTP_RESPONDER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "router/http/http_request.h"

namespace weft::router::http {

class ResponseChannel;

class HttpResponder {
 public:
  // Created by the server for each request.
  explicit HttpResponder(std::shared_ptr<ResponseChannel> channel);
  ~HttpResponder();
  HttpResponder(const HttpResponder&) = delete;
  HttpResponder& operator=(const HttpResponder&) = delete;

  // The whole response. `status` is 200..999; the body is not sent for
  // 204, 304 and HEAD requests. False if the client is gone or a response was
  // already started.
  bool Respond(int status, HttpHeaders headers, std::string body);

  // Starts a streamed response: chunked transfer-encoding for HTTP/1.1, a
  // body delimited by closing the connection for HTTP/1.0. `status` is
  // 200..999 except 204 and 304.
  bool StartStream(int status, HttpHeaders headers);
  // Queues the next piece of a started stream (an empty piece is a no-op).
  // Returns false if the client is gone, the stream is not started or already
  // finished, or if the piece would take the connection's unsent output
  // beyond max_pending_output_bytes; in that last case the connection is
  // closed (a client too slow to keep up) and OnClose fires.
  bool Write(absl::string_view data);
  // Ends a started stream. False if the client is gone or no stream is open.
  bool Finish();

  // `callback` runs once if the connection is lost before the response is
  // complete (client disconnect, a failed write, the backpressure cap, the
  // server shutting down past its grace period), on an event-loop thread; at
  // once on this thread if that already happened. It must not block. Once
  // Respond or Finish succeeded it is dropped without running. A second call
  // replaces the first callback.
  void OnClose(std::function<void()> callback);

  // Whether the response can no longer be delivered (client gone or
  // connection being closed).
  bool closed() const;

 private:
  const std::shared_ptr<ResponseChannel> channel_;
};

// Called on an event-loop thread for each request, in order per connection:
// the next request on a connection is not read before this one's response
// is complete. Must not block; hand long work to other threads along with
// the responder.
using HttpHandler =
    std::function<void(HttpRequest request, std::shared_ptr<HttpResponder> responder)>;

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_HTTP_RESPONDER_H_
