// HttpServer over real loopback sockets, driven by HttpTestClient.
#include "router/http/http_server.h"

#include <dirent.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "router/http/http_responder.h"
#include "router/http/http_test_client.h"
#include "router/http/sse.h"

namespace weft::router::http {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

// Hands requests and their responders from the handler (event-loop thread)
// to the test thread.
class Inbox {
 public:
  struct Item {
    HttpRequest request;
    std::shared_ptr<HttpResponder> responder;
  };

  HttpHandler Handler() {
    return [this](HttpRequest request, std::shared_ptr<HttpResponder> responder) {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back({std::move(request), std::move(responder)});
      cv_.notify_all();
    };
  }

  // The next request; fails the test (and returns an empty item) after 10 s.
  Item Next() {
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [this] { return !items_.empty(); })) {
      ADD_FAILURE() << "no request arrived";
      return {};
    }
    Item item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> items_;
};

// A handler answering 200 with "<method> <target> <body>" at once.
HttpHandler EchoHandler(std::atomic<int>* calls = nullptr) {
  return [calls](HttpRequest request, std::shared_ptr<HttpResponder> responder) {
    if (calls != nullptr) calls->fetch_add(1);
    responder->Respond(200, {{"Content-Type", "text/plain"}},
                       absl::StrCat(request.method, " ", request.target, " ", request.body));
  };
}

std::unique_ptr<HttpServer> StartServer(HttpHandler handler, HttpServerOptions options = {}) {
  absl::StatusOr<std::unique_ptr<HttpServer>> server =
      HttpServer::Start(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status();
  if (!server.ok()) return nullptr;
  EXPECT_GT((*server)->port(), 0);
  return *std::move(server);
}

std::unique_ptr<HttpTestClient> Connect(const HttpServer& server,
                                        absl::Duration timeout = absl::Seconds(10)) {
  absl::StatusOr<std::unique_ptr<HttpTestClient>> client =
      HttpTestClient::Connect(server.port(), timeout);
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

TEST(HttpServerTest, SimpleRequestResponse) {
  std::mutex mu;
  HttpRequest seen;
  std::unique_ptr<HttpServer> server =
      StartServer([&](HttpRequest request, std::shared_ptr<HttpResponder> responder) {
        {
          std::lock_guard<std::mutex> lock(mu);
          seen = request;
        }
        responder->Respond(200, {{"Content-Type", "application/json"}},
                           R"({"object":"list","data":[]})");
      });
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  absl::StatusOr<TestResponse> response = client->Get("/v1/models?x=1", "X-Test: yes\r\n");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->reason, "OK");
  EXPECT_EQ(response->body, R"({"object":"list","data":[]})");
  EXPECT_EQ(response->Header("Content-Type"), "application/json");
  EXPECT_EQ(response->Header("Content-Length"), "27");
  EXPECT_THAT(response->Header("Date"), HasSubstr(" GMT"));
  EXPECT_FALSE(response->HasHeader("Connection"));  // HTTP/1.1 keep-alive is the default
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.method, "GET");
  EXPECT_EQ(seen.path, "/v1/models");
  EXPECT_EQ(seen.query, "x=1");
  EXPECT_EQ(seen.headers.Get("x-test"), "yes");
  EXPECT_THAT(seen.peer, StartsWith("127.0.0.1:"));
}

TEST(HttpServerTest, KeepAliveReusesTheConnection) {
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<TestResponse> response = client->Post("/v1/completions", absl::StrCat("b", i));
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, absl::StrCat("POST /v1/completions b", i));
  }
  absl::StatusOr<TestResponse> response = client->Get("/last");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "GET /last ");
  EXPECT_EQ(server->num_connections(), 1);
}

TEST(HttpServerTest, PipelinedResponsesStayInOrder) {
  std::mutex mu;
  std::vector<std::thread> threads;
  // Answers later requests sooner; the server must still answer in order.
  std::unique_ptr<HttpServer> server =
      StartServer([&](HttpRequest request, std::shared_ptr<HttpResponder> responder) {
        const int delay_ms = request.path == "/1" ? 60 : request.path == "/2" ? 30 : 0;
        std::lock_guard<std::mutex> lock(mu);
        threads.emplace_back([delay_ms, path = request.path, responder] {
          absl::SleepFor(absl::Milliseconds(delay_ms));
          responder->Respond(200, {}, path);
        });
      });
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client
                  ->Send("GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
                         "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy"
                         "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n")
                  .ok());
  for (const char* expected : {"/1", "/2", "/3"}) {
    absl::StatusOr<TestResponse> response = client->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, expected);
  }
  server->Shutdown(absl::Seconds(1));
  std::lock_guard<std::mutex> lock(mu);
  for (std::thread& thread : threads) thread.join();
}

TEST(HttpServerTest, ConnectionCloseIsHonoured) {
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  absl::StatusOr<TestResponse> response = client->Get("/", "Connection: close\r\n");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
  EXPECT_TRUE(WaitUntil([&] { return server->num_connections() == 0; }));
}

TEST(HttpServerTest, HandlerCanCloseTheConnection) {
  std::unique_ptr<HttpServer> server =
      StartServer([](HttpRequest, std::shared_ptr<HttpResponder> responder) {
        responder->Respond(200, {{"Connection", "close"}, {"Content-Length", "999"}}, "bye");
      });
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  absl::StatusOr<TestResponse> response = client->Get("/");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "bye");
  EXPECT_EQ(response->Header("Content-Length"), "3");  // the handler's value is replaced
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
}

TEST(HttpServerTest, Http10) {
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler());
  {
    std::unique_ptr<HttpTestClient> client = Connect(*server);
    ASSERT_TRUE(client->Send("GET /old HTTP/1.0\r\n\r\n").ok());
    absl::StatusOr<TestResponse> response = client->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->body, "GET /old ");
    EXPECT_EQ(response->Header("Connection"), "close");
    EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
  }
  {
    std::unique_ptr<HttpTestClient> client = Connect(*server);
    for (int i = 0; i < 2; ++i) {
      ASSERT_TRUE(client->Send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").ok());
      absl::StatusOr<TestResponse> response = client->ReadResponse();
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->Header("Connection"), "keep-alive");
    }
  }
}

TEST(HttpServerTest, Http10StreamIsCloseDelimited) {
  std::unique_ptr<HttpServer> server =
      StartServer([](HttpRequest, std::shared_ptr<HttpResponder> responder) {
        responder->StartStream(200, {{"Content-Type", "text/event-stream"}});
        responder->Write(SseEvent("1"));
        responder->Write(kSseDone);
        responder->Finish();
      });
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").ok());
  absl::StatusOr<TestResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_FALSE(response->HasHeader("Transfer-Encoding"));
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_EQ(response->body, "data: 1\n\ndata: [DONE]\n\n");
}

// A request the server refuses gets its status and a closed connection;
// another connection, open all along, is not disturbed.
void ExpectRefused(const HttpServer& server, absl::string_view request, int status,
                   const std::atomic<int>& calls) {
  std::unique_ptr<HttpTestClient> bystander = Connect(server);
  ASSERT_TRUE(bystander->Get("/before").ok());
  const int calls_before = calls.load();
  std::unique_ptr<HttpTestClient> client = Connect(server);
  ASSERT_TRUE(client->Send(request).ok());
  absl::StatusOr<TestResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, status) << response->body;
  EXPECT_EQ(response->Header("Connection"), "close");
  EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
  EXPECT_EQ(calls.load(), calls_before);  // the handler never saw it
  absl::StatusOr<TestResponse> after = bystander->Get("/after");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->body, "GET /after ");
  std::unique_ptr<HttpTestClient> next = Connect(server);
  ASSERT_TRUE(next->Get("/next").ok());
}

TEST(HttpServerTest, RefusesBadRequests) {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.max_body_bytes = 1024;
  options.max_headers = 8;
  options.max_header_bytes = 2048;
  options.max_request_line_bytes = 512;
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler(&calls), options);

  ExpectRefused(*server, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 2048\r\n\r\n", 413, calls);
  // The body arriving anyway must not turn the 413 into a reset.
  ExpectRefused(*server,
                absl::StrCat("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 200000\r\n\r\n",
                             std::string(200000, 'x')),
                413, calls);
  ExpectRefused(*server,
                absl::StrCat("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                             "800\r\n", std::string(2048, 'x'), "\r\n0\r\n\r\n"),
                413, calls);
  std::string many_headers = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 10; ++i) absl::StrAppend(&many_headers, "X-", i, ": v\r\n");
  ExpectRefused(*server, many_headers + "\r\n", 431, calls);
  ExpectRefused(*server, absl::StrCat("GET / HTTP/1.1\r\nHost: h\r\nX: ", std::string(4096, 'v')),
                431, calls);
  ExpectRefused(*server, absl::StrCat("GET /", std::string(1000, 'a'), " HTTP/1.1\r\n"), 414,
                calls);
  ExpectRefused(*server, "HELLO\r\n\r\n", 400, calls);
  ExpectRefused(*server, "GET / HTTP/1.1\r\n\r\n", 400, calls);  // no Host
  ExpectRefused(*server, "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505, calls);
  ExpectRefused(*server, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 501,
                calls);
  ExpectRefused(*server, "POST / HTTP/1.1\r\nHost: h\r\nExpect: magic\r\n\r\n", 417, calls);
  // A bad request after a good one on the same connection.
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Get("/good").ok());
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost h\r\n\r\n").ok());
  absl::StatusOr<TestResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 400);
}

TEST(HttpServerTest, ExpectContinue) {
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  const std::string body(2000, 'b');
  ASSERT_TRUE(client
                  ->Send("POST /v1/completions HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                         "Content-Length: 2000\r\n\r\n")
                  .ok());
  absl::StatusOr<TestResponse> interim = client->ReadResponse();
  ASSERT_TRUE(interim.ok()) << interim.status();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client->Send(body).ok());
  absl::StatusOr<TestResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /v1/completions " + body);
  // And again on the same connection, chunked this time.
  ASSERT_TRUE(client
                  ->Send("POST /c HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n")
                  .ok());
  interim = client->ReadResponse();
  ASSERT_TRUE(interim.ok()) << interim.status();
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client->Send("3\r\nabc\r\n0\r\n\r\n").ok());
  response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "POST /c abc");
}

TEST(HttpServerTest, ChunkedRequestBody) {
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client
                  ->Send("POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"
                         "6\r\n{\"a\":1\r\n1\r\n}\r\n0\r\n\r\n")
                  .ok());
  absl::StatusOr<TestResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "POST /v1/chat/completions {\"a\":1}");
}

TEST(HttpServerTest, HeadRequestGetsNoBody) {
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Send("HEAD /x HTTP/1.1\r\nHost: h\r\n\r\n").ok());
  absl::StatusOr<TestResponse> response = client->ReadResponse(/*head=*/true);
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->Header("Content-Length"), "8");     // "HEAD /x "
  absl::StatusOr<TestResponse> next = client->Get("/y");  // no stray body bytes in between
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->body, "GET /y ");
}

TEST(HttpServerTest, StreamsServerSentEventsFromAnotherThread) {
  Inbox inbox;
  std::unique_ptr<HttpServer> server = StartServer(inbox.Handler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client
                  ->Send("POST /v1/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 15\r\n\r\n"
                         "{\"stream\":true}")
                  .ok());
  Inbox::Item item = inbox.Next();
  ASSERT_NE(item.responder, nullptr);
  EXPECT_EQ(item.request.body, "{\"stream\":true}");
  std::atomic<bool> close_fired{false};
  item.responder->OnClose([&] { close_fired = true; });
  // Everything below runs on this (non-loop) thread.
  ASSERT_TRUE(item.responder->StartStream(
      200, {{"Content-Type", std::string(kSseContentType)}, {"Cache-Control", "no-cache"}}));
  absl::StatusOr<TestResponse> head = client->ReadHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(head->Header("Content-Type"), "text/event-stream");
  EXPECT_FALSE(head->HasHeader("Content-Length"));
  for (int i = 0; i < 3; ++i) {
    const std::string event = SseEvent(absl::StrCat("{\"choices\":[{\"text\":\"t", i, "\"}]}"));
    ASSERT_TRUE(item.responder->Write(event));
    absl::StatusOr<std::string> chunk = client->ReadChunk();  // arrives before the next write
    ASSERT_TRUE(chunk.ok()) << chunk.status();
    EXPECT_EQ(*chunk, event);
  }
  EXPECT_TRUE(item.responder->Write(""));  // no-op, must not end the chunked body
  ASSERT_TRUE(item.responder->Write(kSseDone));
  ASSERT_TRUE(item.responder->Finish());
  absl::StatusOr<std::string> chunk = client->ReadChunk();
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, kSseDone);
  chunk = client->ReadChunk();
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, "");  // the terminating chunk
  EXPECT_FALSE(item.responder->Write("late"));
  EXPECT_FALSE(item.responder->Finish());
  EXPECT_FALSE(item.responder->Respond(200, {}, ""));

  // The connection serves the next request.
  ASSERT_TRUE(client->Send("GET /next HTTP/1.1\r\nHost: h\r\n\r\n").ok());
  Inbox::Item next = inbox.Next();
  ASSERT_NE(next.responder, nullptr);
  ASSERT_TRUE(next.responder->Respond(204, {}, "ignored"));
  absl::StatusOr<TestResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 204);
  EXPECT_FALSE(response->HasHeader("Content-Length"));
  EXPECT_FALSE(close_fired.load());  // completed normally
}

TEST(HttpServerTest, ClientDisconnectMidStreamFiresOnClose) {
  for (bool reset : {false, true}) {
    SCOPED_TRACE(reset ? "reset" : "close");
    Inbox inbox;
    std::unique_ptr<HttpServer> server = StartServer(inbox.Handler());
    std::unique_ptr<HttpTestClient> client = Connect(*server);
    ASSERT_TRUE(client->Send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n").ok());
    Inbox::Item item = inbox.Next();
    ASSERT_NE(item.responder, nullptr);
    std::atomic<int> close_fired{0};
    item.responder->OnClose([&] { close_fired.fetch_add(1); });
    ASSERT_TRUE(item.responder->StartStream(200, {{"Content-Type", "text/event-stream"}}));
    ASSERT_TRUE(item.responder->Write(SseEvent("1")));
    ASSERT_TRUE(client->ReadHead().ok());
    ASSERT_TRUE(client->ReadChunk().ok());
    EXPECT_FALSE(item.responder->closed());
    client->Close(reset);
    EXPECT_TRUE(WaitUntil([&] { return close_fired.load() > 0; }));
    EXPECT_TRUE(item.responder->closed());
    EXPECT_FALSE(item.responder->Write(SseEvent("2")));
    EXPECT_FALSE(item.responder->Finish());
    // A callback registered after the fact runs at once, here.
    bool late_fired = false;
    item.responder->OnClose([&] { late_fired = true; });
    EXPECT_TRUE(late_fired);
    EXPECT_TRUE(WaitUntil([&] { return server->num_connections() == 0; }));
    EXPECT_EQ(close_fired.load(), 1);
  }
}

TEST(HttpServerTest, ClientDisconnectBeforeTheResponseFiresOnClose) {
  Inbox inbox;
  std::unique_ptr<HttpServer> server = StartServer(inbox.Handler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(
      client->Send("POST /v1/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}").ok());
  Inbox::Item item = inbox.Next();
  ASSERT_NE(item.responder, nullptr);
  std::atomic<bool> close_fired{false};
  item.responder->OnClose([&] { close_fired = true; });
  client->Close();
  EXPECT_TRUE(WaitUntil([&] { return close_fired.load(); }));
  EXPECT_FALSE(item.responder->Respond(200, {}, "too late"));
}

TEST(HttpServerTest, BackpressureCapClosesASlowClient) {
  Inbox inbox;
  HttpServerOptions options;
  options.max_pending_output_bytes = 256 << 10;
  std::unique_ptr<HttpServer> server = StartServer(inbox.Handler(), options);
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n").ok());
  Inbox::Item item = inbox.Next();
  ASSERT_NE(item.responder, nullptr);
  std::atomic<bool> close_fired{false};
  item.responder->OnClose([&] { close_fired = true; });
  ASSERT_TRUE(item.responder->StartStream(200, {{"Content-Type", "text/event-stream"}}));
  // The client reads nothing. Writes succeed until the socket buffers and the
  // cap are full, then fail.
  const std::string piece = SseEvent(std::string(16 << 10, 'x'));
  size_t written = 0;
  bool refused = false;
  for (int i = 0; i < 20000 && !refused; ++i) {
    if (item.responder->Write(piece)) {
      written += piece.size();
    } else {
      refused = true;
    }
    if (i % 16 == 0) absl::SleepFor(absl::Microseconds(200));  // let the loop flush
  }
  EXPECT_TRUE(refused);
  EXPECT_LT(written, size_t{64} << 20);  // socket buffers + cap, not the whole stream
  EXPECT_TRUE(WaitUntil([&] { return close_fired.load(); }));
  EXPECT_TRUE(item.responder->closed());
  EXPECT_TRUE(WaitUntil([&] { return server->num_connections() == 0; }));
}

TEST(HttpServerTest, DroppedResponderAnswers500) {
  std::unique_ptr<HttpServer> server =
      StartServer([](HttpRequest, std::shared_ptr<HttpResponder>) {});
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  absl::StatusOr<TestResponse> response = client->Get("/");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 500);
  ASSERT_TRUE(client->Get("/again").ok());  // the connection stays usable
}

TEST(HttpServerTest, DroppedStreamIsCutOff) {
  std::unique_ptr<HttpServer> server =
      StartServer([](HttpRequest, std::shared_ptr<HttpResponder> responder) {
        responder->StartStream(200, {});
        responder->Write("partial");
      });
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n").ok());
  ASSERT_TRUE(client->ReadHead().ok());
  absl::StatusOr<std::string> chunk = client->ReadChunk();
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, "partial");
  EXPECT_FALSE(client->ReadChunk().ok());  // closed without the terminating chunk
}

TEST(HttpServerTest, InvalidResponseHeadersAreDropped) {
  std::unique_ptr<HttpServer> server =
      StartServer([](HttpRequest, std::shared_ptr<HttpResponder> responder) {
        responder->Respond(
            200, {{"X-Good", "1"}, {"X-Bad", "a\r\nSet-Cookie: x"}, {"Bad Name", "2"}}, "ok");
      });
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  absl::StatusOr<TestResponse> response = client->Get("/");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->Header("X-Good"), "1");
  EXPECT_FALSE(response->HasHeader("X-Bad"));
  EXPECT_FALSE(response->HasHeader("Set-Cookie"));
  EXPECT_EQ(response->body, "ok");
}

TEST(HttpServerTest, Timeouts) {
  HttpServerOptions options;
  options.header_timeout = absl::Milliseconds(200);
  options.idle_timeout = absl::Milliseconds(300);
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler(), options);
  {
    SCOPED_TRACE("slow headers (slowloris)");
    std::unique_ptr<HttpTestClient> client = Connect(*server);
    const absl::Time start = absl::Now();
    ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost: h\r\n").ok());
    absl::SleepFor(absl::Milliseconds(100));
    ASSERT_TRUE(client->Send("X-Slow: 1\r\n").ok());  // progress does not extend the deadline
    absl::StatusOr<TestResponse> response = client->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 408);
    EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
    EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  }
  {
    SCOPED_TRACE("silent new connection");
    std::unique_ptr<HttpTestClient> client = Connect(*server);
    EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
  }
  {
    SCOPED_TRACE("idle keep-alive connection");
    std::unique_ptr<HttpTestClient> client = Connect(*server);
    ASSERT_TRUE(client->Get("/").ok());
    const absl::Time start = absl::Now();
    EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
    EXPECT_GE(absl::Now() - start, absl::Milliseconds(250));
  }
  {
    SCOPED_TRACE("slow body");
    std::unique_ptr<HttpTestClient> client = Connect(*server);
    ASSERT_TRUE(client->Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab").ok());
    absl::StatusOr<TestResponse> response = client->ReadResponse();
    ASSERT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->status, 408);
  }
  EXPECT_TRUE(WaitUntil([&] { return server->num_connections() == 0; }));
}

TEST(HttpServerTest, ShutdownLetsAStreamInFlightFinish) {
  Inbox inbox;
  std::unique_ptr<HttpServer> server = StartServer(inbox.Handler());
  const int port = server->port();
  std::unique_ptr<HttpTestClient> idle = Connect(*server);  // between requests
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n").ok());
  Inbox::Item item = inbox.Next();
  ASSERT_NE(item.responder, nullptr);
  std::atomic<bool> close_fired{false};
  item.responder->OnClose([&] { close_fired = true; });
  ASSERT_TRUE(item.responder->StartStream(200, {{"Content-Type", "text/event-stream"}}));
  ASSERT_TRUE(client->ReadHead().ok());

  std::atomic<bool> shut_down{false};
  const absl::Time start = absl::Now();
  std::thread shutdown([&] {
    server->Shutdown(absl::Seconds(10));
    shut_down = true;
  });
  // New connections are refused once the listener is closed.
  EXPECT_TRUE(WaitUntil([&] { return !HttpTestClient::Connect(port).ok(); }));
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(shut_down.load());
  ASSERT_TRUE(item.responder->Write(SseEvent("last")));
  ASSERT_TRUE(item.responder->Write(kSseDone));
  ASSERT_TRUE(item.responder->Finish());
  absl::StatusOr<std::string> chunk = client->ReadChunk();
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, SseEvent("last"));
  ASSERT_TRUE(client->ReadChunk().ok());
  chunk = client->ReadChunk();
  ASSERT_TRUE(chunk.ok()) << chunk.status();
  EXPECT_EQ(*chunk, "");
  EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));  // no keep-alive while draining
  EXPECT_TRUE(idle->WaitForClose(absl::Seconds(5)));
  shutdown.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_FALSE(close_fired.load());
  EXPECT_EQ(server->num_connections(), 0);
  // The responder outlives the server harmlessly.
  server.reset();
  EXPECT_FALSE(item.responder->Write("after"));
}

TEST(HttpServerTest, ShutdownGraceExpiresAndClosesStreams) {
  Inbox inbox;
  std::unique_ptr<HttpServer> server = StartServer(inbox.Handler());
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n").ok());
  Inbox::Item item = inbox.Next();
  ASSERT_NE(item.responder, nullptr);
  std::atomic<bool> close_fired{false};
  item.responder->OnClose([&] { close_fired = true; });
  ASSERT_TRUE(item.responder->StartStream(200, {}));
  ASSERT_TRUE(client->ReadHead().ok());
  const absl::Time start = absl::Now();
  server->Shutdown(absl::Milliseconds(200));
  const absl::Duration took = absl::Now() - start;
  EXPECT_GE(took, absl::Milliseconds(190));
  EXPECT_LT(took, absl::Seconds(3));
  EXPECT_TRUE(close_fired.load());
  EXPECT_FALSE(item.responder->Write("x"));
  EXPECT_TRUE(client->WaitForClose(absl::Seconds(5)));
}

TEST(HttpServerTest, TwoServersOnPortZero) {
  std::unique_ptr<HttpServer> a =
      StartServer([](HttpRequest, std::shared_ptr<HttpResponder> r) { r->Respond(200, {}, "a"); });
  std::unique_ptr<HttpServer> b =
      StartServer([](HttpRequest, std::shared_ptr<HttpResponder> r) { r->Respond(200, {}, "b"); });
  EXPECT_NE(a->port(), b->port());
  absl::StatusOr<TestResponse> from_a = Connect(*a)->Get("/metrics");
  absl::StatusOr<TestResponse> from_b = Connect(*b)->Get("/v1/models");
  ASSERT_TRUE(from_a.ok() && from_b.ok());
  EXPECT_EQ(from_a->body, "a");
  EXPECT_EQ(from_b->body, "b");
}

TEST(HttpServerTest, BadAddressesAreErrors) {
  HttpServerOptions options;
  options.address = "nonsense";
  EXPECT_FALSE(HttpServer::Start(options, EchoHandler()).ok());
  options.address = "127.0.0.1:99999";
  EXPECT_FALSE(HttpServer::Start(options, EchoHandler()).ok());
  options.address = "not-an-ip:0";
  EXPECT_FALSE(HttpServer::Start(options, EchoHandler()).ok());
  std::unique_ptr<HttpServer> first = StartServer(EchoHandler());
  options.address = absl::StrCat("127.0.0.1:", first->port());
  EXPECT_FALSE(HttpServer::Start(options, EchoHandler()).ok());  // in use
}

TEST(HttpServerTest, MaxConnections) {
  HttpServerOptions options;
  options.max_connections = 2;
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler(), options);
  std::unique_ptr<HttpTestClient> a = Connect(*server);
  std::unique_ptr<HttpTestClient> b = Connect(*server);
  ASSERT_TRUE(a->Get("/").ok());
  ASSERT_TRUE(b->Get("/").ok());
  std::unique_ptr<HttpTestClient> c = Connect(*server);
  absl::StatusOr<TestResponse> refused = c->ReadResponse();
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->status, 503);
  a.reset();
  EXPECT_TRUE(WaitUntil([&] { return server->num_connections() == 1; }));
  ASSERT_TRUE(Connect(*server)->Get("/").ok());
}

TEST(HttpServerTest, ErrorsTheServerAnswersItselfUseTheFormatter) {
  HttpServerOptions options;
  options.max_body_bytes = 8;
  options.max_connections = 1;
  options.error_body = [](int status, absl::string_view message) {
    return ErrorBody{
        .content_type = "application/json",
        .body = absl::StrCat("{\"status\":", status, ",\"message\":\"", message, "\"}")};
  };
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler(), options);
  std::unique_ptr<HttpTestClient> client = Connect(*server);
  ASSERT_TRUE(client->Send("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9\r\n\r\n").ok());
  absl::StatusOr<TestResponse> response = client->ReadResponse();
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->Header("Content-Type"), "application/json");
  EXPECT_THAT(response->body, StartsWith("{\"status\":413,\"message\":\"request body larger"));
  client.reset();
  ASSERT_TRUE(WaitUntil([&] { return server->num_connections() == 0; }));
  std::unique_ptr<HttpTestClient> a = Connect(*server);
  ASSERT_TRUE(a->Get("/").ok());
  absl::StatusOr<TestResponse> refused = Connect(*server)->ReadResponse();
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->body, "{\"status\":503,\"message\":\"too many connections\"}");
}

TEST(HttpServerTest, SeveralEventThreads) {
  HttpServerOptions options;
  options.event_threads = 3;
  std::unique_ptr<HttpServer> server = StartServer(EchoHandler(), options);
  std::vector<std::unique_ptr<HttpTestClient>> clients;
  for (int i = 0; i < 9; ++i) clients.push_back(Connect(*server));
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < clients.size(); ++i) {
      absl::StatusOr<TestResponse> response = clients[i]->Get(absl::StrCat("/", i));
      ASSERT_TRUE(response.ok()) << response.status();
      EXPECT_EQ(response->body, absl::StrCat("GET /", i, " "));
    }
  }
  EXPECT_EQ(server->num_connections(), 9);
}

}  // namespace
}  // namespace weft::router::http

namespace weft::router::http {
namespace {

int ThreadsInProcess() {
  int n = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (dirent* e = readdir(dir)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(dir);
  }
  return n;
}

// The router must hold at least 1,000 concurrent streaming responses
// without a thread per connection: 1,200 clients each hold an open event
// stream while events are written to all of them from one thread.
TEST(HttpServerTest, HoldsOverAThousandConcurrentStreamsOnAFewThreads) {
  constexpr int kStreams = 1200;
  constexpr int kEvents = 3;
  Inbox inbox;
  HttpServerOptions options;
  options.event_threads = 2;
  std::unique_ptr<HttpServer> server = StartServer(inbox.Handler(), options);
  ASSERT_NE(server, nullptr);
  const int threads_before = ThreadsInProcess();
  std::vector<std::unique_ptr<HttpTestClient>> clients;
  std::vector<std::shared_ptr<HttpResponder>> responders;
  for (int i = 0; i < kStreams; ++i) {
    clients.push_back(Connect(*server, absl::Seconds(60)));
    ASSERT_NE(clients.back(), nullptr) << i;
    ASSERT_TRUE(clients.back()->Send("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n").ok());
    Inbox::Item item = inbox.Next();
    ASSERT_NE(item.responder, nullptr) << i;
    ASSERT_TRUE(item.responder->StartStream(200, {{"Content-Type", std::string(kSseContentType)}}));
    responders.push_back(std::move(item.responder));
  }
  for (int i = 0; i < kStreams; ++i) {
    absl::StatusOr<TestResponse> head = clients[i]->ReadHead();
    ASSERT_TRUE(head.ok()) << i << ": " << head.status();
    ASSERT_EQ(head->status, 200);
  }
  // All open at once; no thread per connection.
  EXPECT_EQ(server->num_connections(), kStreams);
  EXPECT_LE(ThreadsInProcess(), threads_before + 4);
  for (int e = 0; e < kEvents; ++e) {
    const std::string event = SseEvent(absl::StrCat("{\"n\":", e, "}"));
    for (const auto& r : responders) ASSERT_TRUE(r->Write(event));
    for (int i = 0; i < kStreams; ++i) {
      absl::StatusOr<std::string> chunk = clients[i]->ReadChunk();
      ASSERT_TRUE(chunk.ok()) << i << ": " << chunk.status();
      ASSERT_EQ(*chunk, event) << i;
    }
  }
  for (const auto& r : responders) ASSERT_TRUE(r->Finish());
  for (int i = 0; i < kStreams; ++i) {
    absl::StatusOr<std::string> chunk = clients[i]->ReadChunk();
    ASSERT_TRUE(chunk.ok()) << i << ": " << chunk.status();
    EXPECT_EQ(*chunk, "");
  }
}

}  // namespace
}  // namespace weft::router::http
