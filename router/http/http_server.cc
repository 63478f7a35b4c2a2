#include "router/http/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/notification.h"
#include "common/logging/log.h"

namespace weft::router::http {
namespace {

constexpr int kMaxAcceptsPerEvent = 256;

// Splits "host:port" / "[v6host]:port".
absl::Status SplitAddress(const std::string& address, std::string* host, std::string* port) {
  if (!address.empty() && address.front() == '[') {
    const size_t close = address.find("]:");
    if (close == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad listen address \"", address, "\""));
    }
    *host = address.substr(1, close - 1);
    *port = address.substr(close + 2);
  } else {
    const size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("listen address \"", address, "\" is not host:port"));
    }
    *host = address.substr(0, colon);
    *port = address.substr(colon + 1);
  }
  int port_number;
  if (!absl::SimpleAtoi(*port, &port_number) || port_number < 0 || port_number > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in listen address \"", address, "\""));
  }
  if (host->empty() || *host == "*") *host = "0.0.0.0";
  return absl::OkStatus();
}

absl::StatusOr<int> Listen(const std::string& address, int backlog, int* port) {
  std::string host, port_text;
  if (absl::Status status = SplitAddress(address, &host, &port_text); !status.ok()) return status;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
  addrinfo* addrs = nullptr;
  if (int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &addrs); rc != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", address, "\": ", gai_strerror(rc)));
  }
  const int fd = socket(addrs->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const int err = errno;
    freeaddrinfo(addrs);
    return absl::InternalError(absl::StrCat("socket: ", strerror(err)));
  }
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  const int bound = bind(fd, addrs->ai_addr, addrs->ai_addrlen);
  const int bind_errno = errno;
  freeaddrinfo(addrs);
  if (bound != 0) {
    close(fd);
    return absl::UnavailableError(absl::StrCat("bind ", address, ": ", strerror(bind_errno)));
  }
  if (listen(fd, backlog) != 0) {
    const int err = errno;
    close(fd);
    return absl::UnavailableError(absl::StrCat("listen ", address, ": ", strerror(err)));
  }
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) {
    const int err = errno;
    close(fd);
    return absl::InternalError(absl::StrCat("getsockname: ", strerror(err)));
  }
  *port = ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
  return fd;
}

std::string FormatPeer(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return absl::StrCat("[", text, "]:", ntohs(in6->sin6_port));
  }
  const auto* in = reinterpret_cast<const sockaddr_in*>(&addr);
  inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
  return absl::StrCat(text, ":", ntohs(in->sin_port));
}

// Each connection holds a descriptor; tests also hold the client ends.
void RaiseDescriptorLimit(int max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t needed = static_cast<rlim_t>(max_connections) + 64;
  if (limit.rlim_cur >= needed || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur =
      limit.rlim_max == RLIM_INFINITY ? std::max<rlim_t>(needed, 1 << 16) : limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    WEFT_LOG(WARNING) << "could not raise RLIMIT_NOFILE from " << before << ": " << strerror(errno);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                              HttpHandler handler) {
  if (options.event_threads < 1 || options.event_threads > 64) {
    return absl::InvalidArgumentError("event_threads must be in [1, 64]");
  }
  if (options.max_connections < 1) return absl::InvalidArgumentError("max_connections < 1");
  if (options.max_headers < 1) return absl::InvalidArgumentError("max_headers < 1");
  if (options.max_pending_output_bytes < 1) {
    return absl::InvalidArgumentError("max_pending_output_bytes < 1");
  }
  if (!handler) return absl::InvalidArgumentError("no handler");
  RaiseDescriptorLimit(options.max_connections);
  int port = 0;
  absl::StatusOr<int> listen_fd = Listen(options.address, options.listen_backlog, &port);
  if (!listen_fd.ok()) return listen_fd.status();
  std::unique_ptr<HttpServer> server(new HttpServer(options, std::move(handler), *listen_fd, port));
  for (int i = 0; i < options.event_threads; ++i) {
    absl::StatusOr<std::unique_ptr<EventLoop>> loop =
        EventLoop::Start(absl::StrCat("http-", port, "-", i));
    if (!loop.ok()) return loop.status();
    server->slots_.push_back(std::make_unique<LoopSlot>());
    server->slots_.back()->loop = *std::move(loop);
  }
  absl::Status watched;
  HttpServer* raw = server.get();
  weft::Notification done;
  server->slots_[0]->loop->RunInLoop([raw, &watched, &done] {
    absl::StatusOr<EventLoop::WatchId> watch = raw->slots_[0]->loop->Watch(
        raw->listen_fd_, EPOLLIN, [raw](uint32_t) { raw->OnAcceptable(); });
    if (watch.ok()) {
      raw->listen_watch_ = *watch;
    } else {
      watched = watch.status();
    }
    done.Notify();
  });
  done.WaitForNotification();
  if (!watched.ok()) return watched;
  return server;
}

HttpServer::HttpServer(const HttpServerOptions& options, HttpHandler handler, int listen_fd,
                       int port)
    : options_(options), handler_(std::move(handler)), port_(port), listen_fd_(listen_fd) {
  connection_options_.limits.max_body_bytes = options.max_body_bytes;
  connection_options_.limits.max_request_line_bytes = options.max_request_line_bytes;
  connection_options_.limits.max_headers = options.max_headers;
  connection_options_.limits.max_header_bytes = options.max_header_bytes;
  connection_options_.header_timeout = options.header_timeout;
  connection_options_.idle_timeout = options.idle_timeout;
  connection_options_.max_pending_output_bytes = options.max_pending_output_bytes;
  connection_options_.error_body = options.error_body;
  too_many_connections_response_ =
      FormatErrorResponse(options.error_body, 503, "too many connections");
  spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

HttpServer::~HttpServer() {
  Shutdown(absl::ZeroDuration());
  if (spare_fd_ >= 0) close(spare_fd_);
}

void HttpServer::OnAcceptable() {
  for (int i = 0; i < kMaxAcceptsPerEvent; ++i) {
    sockaddr_storage addr{};
    socklen_t length = sizeof(addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &length,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if ((errno == EMFILE || errno == ENFILE) && spare_fd_ >= 0) {
        // Out of descriptors: the pending connection would keep the
        // (level-triggered) listener ready forever. Accept it on the spare
        // descriptor and drop it.
        WEFT_LOG(WARNING) << "HTTP server on port " << port_
                          << ": out of file descriptors, dropping a connection";
        close(spare_fd_);
        const int dropped = accept(listen_fd_, nullptr, nullptr);
        if (dropped >= 0) close(dropped);
        spare_fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
        continue;
      }
      WEFT_LOG(ERROR) << "HTTP server on port " << port_ << ": accept: " << strerror(errno);
      return;
    }
    if (num_connections_.load(std::memory_order_relaxed) >= options_.max_connections) {
      (void)!send(fd, too_many_connections_response_.data(), too_many_connections_response_.size(),
                  MSG_NOSIGNAL);
      close(fd);
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    Adopt(fd, FormatPeer(addr));
  }
}

void HttpServer::Adopt(int fd, std::string peer) {
  num_connections_.fetch_add(1, std::memory_order_relaxed);
  const size_t index = next_loop_++ % slots_.size();
  LoopSlot* slot = slots_[index].get();
  auto connection =
      std::make_shared<Connection>(slot->loop.get(), fd, std::move(peer), connection_options_,
                                   &handler_, [this, slot](Connection* closed) {
                                     auto it = slot->connections.find(closed);
                                     if (it == slot->connections.end()) return;
                                     std::shared_ptr<Connection> owned = std::move(it->second);
                                     slot->connections.erase(it);
                                     num_connections_.fetch_sub(1, std::memory_order_relaxed);
                                     // The connection is still on the call stack: destroy it from a
                                     // task.
                                     slot->loop->RunInLoop([owned = std::move(owned)] {});
                                   });
  auto start = [slot, connection] {
    slot->connections[connection.get()] = connection;
    connection->Start();
  };
  if (slot->loop->InLoopThread()) {
    start();
  } else if (!slot->loop->RunInLoop(std::move(start))) {
    num_connections_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void HttpServer::RunOnEveryLoop(const std::function<void(LoopSlot&)>& fn) {
  for (const std::unique_ptr<LoopSlot>& slot : slots_) {
    weft::Notification done;
    LoopSlot* raw = slot.get();
    if (!raw->loop->RunInLoop([raw, &fn, &done] {
          fn(*raw);
          done.Notify();
        })) {
      continue;
    }
    done.WaitForNotification();
  }
}

void HttpServer::Shutdown(absl::Duration grace) {
  for (const std::unique_ptr<LoopSlot>& slot : slots_) {
    WEFT_CHECK(!slot->loop->InLoopThread()) << "HttpServer::Shutdown called from a handler";
  }
  {
    weft::MutexLock lock(&shutdown_mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  const absl::Time deadline = absl::Now() + grace;
  if (!slots_.empty()) {
    // Stop accepting. Connections accepted before are already queued to
    // their loops, ahead of the tasks below.
    LoopSlot* first = slots_[0].get();
    weft::Notification done;
    first->loop->RunInLoop([this, first, &done] {
      if (listen_watch_ != 0) first->loop->Unwatch(listen_watch_);
      listen_watch_ = 0;
      done.Notify();
    });
    done.WaitForNotification();
  }
  close(listen_fd_);
  listen_fd_ = -1;

  auto snapshot = [](LoopSlot& slot) {
    std::vector<std::shared_ptr<Connection>> connections;
    connections.reserve(slot.connections.size());
    for (auto& [raw, connection] : slot.connections) connections.push_back(connection);
    return connections;
  };
  RunOnEveryLoop([&snapshot](LoopSlot& slot) {
    for (const std::shared_ptr<Connection>& connection : snapshot(slot)) connection->Drain();
  });
  while (num_connections_.load(std::memory_order_relaxed) > 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  RunOnEveryLoop([&snapshot](LoopSlot& slot) {
    for (const std::shared_ptr<Connection>& connection : snapshot(slot)) connection->Close();
  });
  for (const std::unique_ptr<LoopSlot>& slot : slots_) slot->loop->Stop();
}

}  // namespace weft::router::http
