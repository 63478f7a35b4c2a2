// HttpServer: one listening socket serving HTTP/1.1 (and minimal HTTP/1.0)
// over a small fixed pool of epoll event-loop threads, so thousands of
// concurrent, long-lived streaming connections cost no thread each.
//
//   HttpServerOptions options;
//   options.address = "0.0.0.0:8080";
//   WEFT_ASSIGN_OR_RETURN(std::unique_ptr<HttpServer> server,
//                         HttpServer::Start(options, [](HttpRequest request,
//                                                       std::shared_ptr<HttpResponder> r) {
//                           r->Respond(200, {{"Content-Type", "application/json"}}, "{}");
//                         }));
//   ...
//   server->Shutdown(absl::Seconds(10));
//
// Routing is the handler's job. The server answers by itself only what never
// reaches a handler: malformed requests (400), oversized ones (413, 414,
// 431), unsupported framing (501, 505), unsupported expectations (417),
// requests not received in time (408), and connections beyond
// max_connections (503). "Expect: 100-continue" is answered with
// "100 Continue" once the headers are accepted. Request bodies may be sent
// with Content-Length or chunked.
//
// A router runs one HttpServer per listener (public API, internal metrics).
#ifndef WEFT_ROUTER_HTTP_HTTP_SERVER_H_
#define WEFT_ROUTER_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "router/http/connection.h"
#include "router/http/error_response.h"
#include "router/http/event_loop.h"
#include "router/http/http_request.h"
#include "router/http/http_responder.h"

namespace weft::router::http {

struct HttpServerOptions {
  // "host:port" with a numeric host: "127.0.0.1:8080", "[::1]:0",
  // "0.0.0.0:8080"; an empty host or "*" means all IPv4 interfaces.
  // Port 0 picks a free port (see HttpServer::port()).
  std::string address = "127.0.0.1:0";
  // Event-loop threads; connections are spread over them round-robin.
  int event_threads = 1;
  // Request limits (see HttpRequestParser for the statuses they produce).
  size_t max_body_bytes = 8 << 20;
  size_t max_request_line_bytes = 8 << 10;
  int max_headers = 100;
  size_t max_header_bytes = 64 << 10;
  // From a request's first byte (for a new connection: from accept) to the
  // end of its headers.
  absl::Duration header_timeout = absl::Seconds(10);
  // Longest wait for a keep-alive connection's next request, for the next
  // piece of a request body, and for a client to take response bytes.
  absl::Duration idle_timeout = absl::Seconds(60);
  // Per-connection cap on response bytes produced but not yet accepted by the
  // socket; a streaming response that would exceed it is cut off.
  size_t max_pending_output_bytes = 4 << 20;
  // Connections beyond this are answered 503 and closed.
  int max_connections = 10000;
  int listen_backlog = 1024;
  // Bodies of the errors the server answers itself (malformed or over-limit
  // requests, timeouts, too many connections); empty: plain text.
  ErrorBodyFormatter error_body;
};

class HttpServer {
 public:
  // Binds, listens and starts the event loops. `handler` is called on an
  // event-loop thread for every request (see HttpHandler). Raises the
  // process's RLIMIT_NOFILE soft limit to its hard limit if it is below what
  // max_connections needs.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                           HttpHandler handler);

  // Shutdown(absl::ZeroDuration()) unless already shut down.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when options.address asked for port 0).
  int port() const { return port_; }

  // Stops accepting, closes idle connections, lets responses in flight finish
  // for up to `grace` (connections close after them), then closes everything
  // left (their OnClose callbacks fire) and stops the event loops. Handlers
  // are not called once Shutdown has returned. Idempotent; blocks; must not
  // be called from a handler.
  void Shutdown(absl::Duration grace);

  // Open connections.
  int num_connections() const { return num_connections_.load(std::memory_order_relaxed); }

 private:
  // One event loop and the connections it owns (touched on its thread only).
  struct LoopSlot {
    std::unique_ptr<EventLoop> loop;
    absl::flat_hash_map<Connection*, std::shared_ptr<Connection>> connections;
  };

  HttpServer(const HttpServerOptions& options, HttpHandler handler, int listen_fd, int port);
  void OnAcceptable();
  void Adopt(int fd, std::string peer);
  // Runs `fn(slot)` on every loop's thread and waits for all of them.
  void RunOnEveryLoop(const std::function<void(LoopSlot&)>& fn);

  const HttpServerOptions options_;
  const HttpHandler handler_;
  ConnectionOptions connection_options_;
  std::string too_many_connections_response_;
  const int port_;
  int listen_fd_;      // accepted on the first loop
  int spare_fd_ = -1;  // released to shed connections when out of descriptors
  EventLoop::WatchId listen_watch_ = 0;
  size_t next_loop_ = 0;  // first loop's thread only
  std::vector<std::unique_ptr<LoopSlot>> slots_;
  std::atomic<int> num_connections_{0};

  weft::Mutex shutdown_mu_;
  bool shut_down_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace weft::router::http

#endif  // WEFT_ROUTER_HTTP_HTTP_SERVER_H_
