// 1,000 concurrent server-sent-event streams on two event-loop threads: every
// client gets its whole stream, written over time from one other thread, and
// the server's thread count does not grow with the connections.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "router/http/http_responder.h"
#include "router/http/http_server.h"
#include "router/http/sse.h"

namespace weft::router::http {
namespace {

constexpr int kConnections = 1000;
constexpr int kEvents = 5;
constexpr absl::Duration kEventInterval = absl::Milliseconds(20);
constexpr int kEventThreads = 2;

int CountThreads() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

int ConnectClient(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

TEST(HttpServerLoadTest, ThousandConcurrentStreamingConnections) {
  const absl::Time start = absl::Now();
  // Runtime helper threads start with the first thread the process creates
  // (ThreadSanitizer's background thread, for one): get them going first.
  std::thread([] {}).join();
  const int threads_before = CountThreads();

  std::mutex mu;
  // Indexed by client, from the request's query "client=<i>".
  std::vector<std::shared_ptr<HttpResponder>> responders(kConnections);  // guarded by mu
  int requests = 0;                                                      // guarded by mu
  std::atomic<int> close_fired{0};
  HttpServerOptions options;
  options.event_threads = kEventThreads;
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(
      options, [&](HttpRequest request, std::shared_ptr<HttpResponder> responder) {
        responder->OnClose([&] { close_fired.fetch_add(1); });
        responder->StartStream(
            200, {{"Content-Type", std::string(kSseContentType)}, {"Cache-Control", "no-cache"}});
        int client = -1;
        ASSERT_TRUE(absl::SimpleAtoi(absl::StripPrefix(request.query, "client="), &client));
        ASSERT_TRUE(client >= 0 && client < kConnections);
        std::lock_guard<std::mutex> lock(mu);
        responders[client] = std::move(responder);
        ++requests;
      });
  ASSERT_TRUE(server.ok()) << server.status();
  const int threads_with_server = CountThreads();
  EXPECT_EQ(threads_with_server, threads_before + kEventThreads);

  // Clients: blocking connect and request, then non-blocking reads over one
  // epoll set on this thread.
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(epoll_fd, 0);
  std::vector<int> fds;
  std::vector<std::string> received(kConnections);
  for (int i = 0; i < kConnections; ++i) {
    const std::string request =
        absl::StrCat("POST /v1/completions?client=", i,
                     " HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n"
                     "Content-Length: 15\r\n\r\n{\"stream\":true}");
    const int fd = ConnectClient((*server)->port());
    ASSERT_GE(fd, 0) << "connection " << i << ": " << strerror(errno);
    fds.push_back(fd);
    ASSERT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(i);
    ASSERT_EQ(epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event), 0);
  }
  const absl::Time connected = absl::Now();

  // Wait until every request reached the handler.
  const absl::Time wait_deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (requests == kConnections) break;
    }
    ASSERT_LT(absl::Now(), wait_deadline) << "not every request reached the handler";
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ((*server)->num_connections(), kConnections);

  std::vector<std::shared_ptr<HttpResponder>> streams;
  {
    std::lock_guard<std::mutex> lock(mu);
    streams = responders;
  }
  std::atomic<int> failed_writes{0};
  std::thread writer([&] {
    for (int e = 0; e < kEvents; ++e) {
      for (size_t i = 0; i < streams.size(); ++i) {
        const std::string event = SseEvent(absl::StrCat(
            R"({"id":"cmpl-)", i,
            R"(","object":"text_completion","choices":[{"index":0,"text":"tok)", e, R"("}]})"));
        if (!streams[i]->Write(event)) failed_writes.fetch_add(1);
      }
      absl::SleepFor(kEventInterval);
    }
    for (const std::shared_ptr<HttpResponder>& stream : streams) {
      if (!stream->Write(kSseDone) || !stream->Finish()) failed_writes.fetch_add(1);
    }
  });
  // Server event loops + the writer, whatever the number of connections.
  const int threads_streaming = CountThreads();
  EXPECT_EQ(threads_streaming, threads_with_server + 1);

  // Read every stream to its terminating chunk.
  int finished = 0;
  std::vector<bool> done(kConnections, false);
  const absl::Time read_deadline = absl::Now() + absl::Seconds(60);
  epoll_event events[256];
  char buf[16384];
  while (finished < kConnections && absl::Now() < read_deadline) {
    const int n = epoll_wait(epoll_fd, events, 256, 100);
    for (int k = 0; k < n; ++k) {
      const uint32_t i = events[k].data.u32;
      while (true) {
        const ssize_t got = recv(fds[i], buf, sizeof(buf), 0);
        if (got <= 0) break;
        received[i].append(buf, static_cast<size_t>(got));
      }
      if (!done[i] && absl::EndsWith(received[i], "\r\n0\r\n\r\n")) {
        done[i] = true;
        ++finished;
      }
    }
  }
  writer.join();
  const absl::Time streamed = absl::Now();
  EXPECT_EQ(finished, kConnections);
  EXPECT_EQ(failed_writes.load(), 0);
  EXPECT_EQ(close_fired.load(), 0);
  for (int i = 0; i < kConnections; ++i) {
    const std::string& bytes = received[i];
    ASSERT_TRUE(absl::StartsWith(bytes, "HTTP/1.1 200 OK\r\n")) << i << ": " << bytes.substr(0, 80);
    ASSERT_TRUE(absl::StrContains(bytes, "Transfer-Encoding: chunked\r\n")) << i;
    size_t events_seen = 0;
    for (size_t pos = bytes.find("data: {"); pos != std::string::npos;
         pos = bytes.find("data: {", pos + 1)) {
      ++events_seen;
    }
    EXPECT_EQ(events_seen, static_cast<size_t>(kEvents)) << i;
    EXPECT_TRUE(absl::StrContains(bytes, absl::StrCat(R"({"id":"cmpl-)", i, R"(")"))) << i;
    EXPECT_TRUE(absl::StrContains(bytes, "data: [DONE]\n\n")) << i;
  }
  EXPECT_EQ(CountThreads(), threads_with_server);

  for (int fd : fds) close(fd);
  close(epoll_fd);
  (*server)->Shutdown(absl::Seconds(5));
  std::cout << "1000 streams: connect+request " << (connected - start) << ", streamed "
            << (streamed - connected) << ", total " << (absl::Now() - start) << "\n";
}

}  // namespace
}  // namespace weft::router::http
