// The whole generator (workload, epoll loop, HTTP client, metrics) against a
// real in-process router/http HttpServer on loopback whose handler streams a
// known number of chunks with known delays. Timing is only checked against
// lower bounds the server's sleeps guarantee, and generous upper bounds.
#include "tests/loadgen/load_runner.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "router/http/http_request.h"
#include "router/http/http_responder.h"
#include "router/http/http_server.h"
#include "router/http/sse.h"
#include "tests/loadgen/api_kind.h"
#include "tests/loadgen/benchmark_metrics.h"
#include "tests/loadgen/server_address.h"
#include "tests/loadgen/workload.h"

namespace weft::loadgen {
namespace {

using ::testing::AllOf;
using ::testing::Ge;
using ::testing::HasSubstr;
using ::testing::Le;
using Json = nlohmann::json;
namespace http = ::weft::router::http;

enum class Behavior {
  kStream,          // 200, `tokens` chunks, usage, [DONE]
  kError500,        // 500 with an error body
  kCloseMidStream,  // 200, one chunk, then the connection is cut
  kNeverRespond,    // nothing until the test ends
  kFailEveryThird,  // kError500 for every third request, kStream otherwise
};

struct FakeOptions {
  Behavior behavior = Behavior::kStream;
  int tokens = 5;
  absl::Duration first_delay = absl::Milliseconds(30);
  absl::Duration gap = absl::Milliseconds(10);
  bool usage = true;
};

// A minimal OpenAI-compatible streaming server on HttpServer.
class FakeOpenAiServer {
 public:
  explicit FakeOpenAiServer(FakeOptions options) : options_(options) {
    absl::StatusOr<std::unique_ptr<http::HttpServer>> server = http::HttpServer::Start(
        http::HttpServerOptions(),
        [this](http::HttpRequest request, std::shared_ptr<http::HttpResponder> responder) {
          Handle(std::move(request), std::move(responder));
        });
    EXPECT_TRUE(server.ok()) << server.status();
    if (server.ok()) server_ = *std::move(server);
  }

  ~FakeOpenAiServer() {
    std::vector<std::thread> threads;
    {
      std::lock_guard<std::mutex> lock(mu_);
      threads.swap(threads_);
    }
    for (std::thread& thread : threads) thread.join();
    if (server_ != nullptr) server_->Shutdown(absl::ZeroDuration());
    held_.clear();
  }

  std::string url() const { return absl::StrCat("http://127.0.0.1:", server_->port()); }
  int requests() const { return requests_.load(); }
  int max_active() const { return max_active_.load(); }
  std::vector<http::HttpRequest> received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  void Handle(http::HttpRequest request, std::shared_ptr<http::HttpResponder> responder) {
    const int index = requests_.fetch_add(1);
    const Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    const bool chat = request.path == kChatPath;
    {
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(request);
    }
    Behavior behavior = options_.behavior;
    if (behavior == Behavior::kFailEveryThird) {
      behavior = index % 3 == 2 ? Behavior::kError500 : Behavior::kStream;
    }
    if (body.is_discarded() || (!chat && request.path != kCompletionsPath)) {
      responder->Respond(400, {}, "bad request");
      return;
    }
    switch (behavior) {
      case Behavior::kError500:
        responder->Respond(500, {{"Content-Type", "application/json"}},
                           R"({"error":{"message":"boom"}})");
        return;
      case Behavior::kNeverRespond: {
        std::lock_guard<std::mutex> lock(mu_);
        held_.push_back(std::move(responder));
        return;
      }
      default:
        break;
    }
    responder->StartStream(
        200, {{"Content-Type", std::string(http::kSseContentType)}, {"Cache-Control", "no-cache"}});
    const int active = active_.fetch_add(1) + 1;
    int seen = max_active_.load();
    while (active > seen && !max_active_.compare_exchange_weak(seen, active)) {
    }
    std::lock_guard<std::mutex> lock(mu_);
    threads_.emplace_back([this, behavior, chat, responder = std::move(responder)]() mutable {
      Stream(behavior, chat, std::move(responder));
    });
  }

  // On its own thread: the chunks, with the configured delays.
  void Stream(Behavior behavior, bool chat, std::shared_ptr<http::HttpResponder> responder) {
    absl::SleepFor(options_.first_delay);
    const int tokens = behavior == Behavior::kCloseMidStream ? 1 : options_.tokens;
    for (int i = 0; i < tokens; ++i) {
      if (i > 0) absl::SleepFor(options_.gap);
      const Json chunk =
          chat ? Json{{"object", "chat.completion.chunk"},
                      {"choices",
                       Json::array(
                           {Json{{"index", 0}, {"delta", {{"content", absl::StrCat("t", i)}}}}})}}
               : Json{{"object", "text_completion"},
                      {"choices",
                       Json::array({Json{{"index", 0}, {"text", absl::StrCat("t", i)}}})}};
      responder->Write(http::SseEvent(chunk.dump()));
    }
    active_.fetch_sub(1);
    if (behavior == Behavior::kCloseMidStream) return;  // dropping the responder cuts the stream
    if (options_.usage) {
      const Json usage = {{"choices", Json::array()},
                          {"usage", {{"prompt_tokens", 11}, {"completion_tokens", tokens}}}};
      responder->Write(http::SseEvent(usage.dump()));
    }
    responder->Write(http::kSseDone);
    responder->Finish();
  }

  const FakeOptions options_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<int> requests_{0};
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
  std::mutex mu_;
  std::vector<std::thread> threads_;
  std::vector<std::shared_ptr<http::HttpResponder>> held_;
  std::vector<http::HttpRequest> received_;
};

struct LoadRun {
  LoadResult load;
  BenchmarkMetrics metrics;
};

LoadRun RunAgainst(const std::string& url, WorkloadOptions workload, LoadOptions load) {
  LoadRun run;
  absl::StatusOr<ServerAddress> address = ResolveHttpUrl(url);
  EXPECT_TRUE(address.ok()) << address.status();
  if (!address.ok()) return run;
  workload.kind = load.kind;
  EXPECT_TRUE(ValidateWorkloadOptions(workload).ok());
  absl::StatusOr<LoadResult> result = RunLoad(*address, MakeWorkload(workload), load);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return run;
  run.load = *std::move(result);
  run.metrics = ComputeMetrics(run.load.results, run.load.duration_s, {});
  return run;
}

WorkloadOptions Workload(int n) {
  WorkloadOptions workload;
  workload.model = "fake-model";
  workload.num_requests = n;
  workload.input_len = 8;
  workload.output_len = 5;
  workload.prefix_len = 2;
  return workload;
}

TEST(LoadRunnerTest, StreamsAreMeasured) {
  FakeOpenAiServer server({});
  LoadOptions load;
  load.api_key = "sk-test";
  load.timeout_s = 30;
  const LoadRun run = RunAgainst(server.url(), Workload(8), load);
  const BenchmarkMetrics& m = run.metrics;
  EXPECT_EQ(server.requests(), 8);
  EXPECT_EQ(m.completed, 8);
  EXPECT_EQ(m.failed, 0);
  EXPECT_EQ(m.total_output_tokens, 8 * 5);
  EXPECT_EQ(m.total_input_tokens, 8 * 11);     // the server's usage
  EXPECT_EQ(m.total_sent_prompt_len, 8 * 10);  // prefix 2 + input 8
  EXPECT_EQ(m.ttft_ms.count, 8);
  EXPECT_EQ(m.itl_ms.count, 8 * 4);
  EXPECT_EQ(m.tpot_ms.count, 8);
  // The first chunk is written 30 ms after the request arrives, the last
  // 4 x 10 ms later: hard lower bounds. Upper bounds only catch nonsense.
  EXPECT_THAT(m.ttft_ms.mean, AllOf(Ge(29.0), Le(5000.0)));
  EXPECT_THAT(m.e2el_ms.mean, AllOf(Ge(69.0), Le(10000.0)));
  EXPECT_THAT(m.itl_ms.mean, AllOf(Ge(0.0), Le(5000.0)));
  EXPECT_THAT(m.tpot_ms.mean, AllOf(Ge(0.0), Le(5000.0)));
  for (const RequestResult& r : run.load.results) {
    EXPECT_TRUE(r.success) << r.error;
    EXPECT_NEAR(
        r.e2e_s - r.ttft_s,
        [&] {
          double sum = 0;
          for (double itl : r.itl_s) sum += itl;
          return sum;
        }(),
        1e-6);
  }
  EXPECT_GE(run.load.duration_s, 0.069);
  EXPECT_GT(m.request_throughput, 0.0);

  const std::vector<http::HttpRequest> received = server.received();
  ASSERT_FALSE(received.empty());
  EXPECT_EQ(received[0].method, "POST");
  EXPECT_EQ(received[0].path, "/v1/completions");
  EXPECT_EQ(received[0].headers.Get("Authorization"), "Bearer sk-test");
  const Json body = Json::parse(received[0].body, nullptr, false);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["ignore_eos"], true);
  EXPECT_EQ(body["max_tokens"], 5);
  EXPECT_EQ(body["prompt"].size(), 10);
}

TEST(LoadRunnerTest, ChatWithoutUsageCountsChunks) {
  FakeOptions options;
  options.usage = false;
  options.first_delay = absl::Milliseconds(5);
  options.gap = absl::Milliseconds(2);
  FakeOpenAiServer server(options);
  LoadOptions load;
  load.kind = ApiKind::kChat;
  const LoadRun run = RunAgainst(server.url(), Workload(4), load);
  EXPECT_EQ(run.metrics.completed, 4);
  EXPECT_EQ(run.metrics.total_output_tokens, 4 * 5);
  EXPECT_EQ(run.metrics.total_input_tokens, 4 * 10);  // no usage: as sent
  const std::vector<http::HttpRequest> received = server.received();
  ASSERT_EQ(received.size(), 4);
  EXPECT_EQ(received[0].path, "/v1/chat/completions");
  EXPECT_FALSE(received[0].headers.Has("Authorization"));
}

TEST(LoadRunnerTest, ConcurrencyCapAndRate) {
  FakeOptions options;
  options.first_delay = absl::Milliseconds(10);
  options.gap = absl::Milliseconds(2);
  FakeOpenAiServer server(options);
  WorkloadOptions workload = Workload(6);
  workload.request_rate = 100;
  LoadOptions load;
  load.max_concurrency = 2;
  const LoadRun run = RunAgainst(server.url(), workload, load);
  EXPECT_EQ(run.metrics.completed, 6);
  EXPECT_LE(server.max_active(), 2);
  EXPECT_GE(server.max_active(), 1);
  const std::vector<double> arrivals = ArrivalOffsets(6, 100, workload.seed);
  EXPECT_GE(run.load.duration_s, arrivals.back());  // the last one is sent no earlier
}

TEST(LoadRunnerTest, ServerErrorsCountAsFailures) {
  FakeOptions options;
  options.behavior = Behavior::kFailEveryThird;
  options.first_delay = absl::Milliseconds(2);
  options.gap = absl::Milliseconds(1);
  FakeOpenAiServer server(options);
  LoadOptions load;
  load.max_concurrency = 1;  // requests reach the server in order
  const LoadRun run = RunAgainst(server.url(), Workload(6), load);
  EXPECT_EQ(run.metrics.completed, 4);
  EXPECT_EQ(run.metrics.failed, 2);
  ASSERT_EQ(run.metrics.errors.size(), 1);
  EXPECT_THAT(run.metrics.errors[0].error, HasSubstr("HTTP 500"));
  EXPECT_THAT(run.metrics.errors[0].error, HasSubstr("boom"));
  EXPECT_EQ(run.metrics.errors[0].count, 2);
  EXPECT_FALSE(run.load.results[2].success);
  EXPECT_TRUE(run.load.results[3].success);
}

TEST(LoadRunnerTest, StreamCutOffCountsAsFailure) {
  FakeOptions options;
  options.behavior = Behavior::kCloseMidStream;
  options.first_delay = absl::Milliseconds(2);
  FakeOpenAiServer server(options);
  const LoadRun run = RunAgainst(server.url(), Workload(3), LoadOptions());
  EXPECT_EQ(run.metrics.completed, 0);
  EXPECT_EQ(run.metrics.failed, 3);
  ASSERT_FALSE(run.metrics.errors.empty());
  EXPECT_THAT(run.metrics.errors[0].error, HasSubstr("connection closed"));
}

TEST(LoadRunnerTest, TimeoutCountsAsFailure) {
  FakeOptions options;
  options.behavior = Behavior::kNeverRespond;
  FakeOpenAiServer server(options);
  LoadOptions load;
  load.timeout_s = 0.2;
  const LoadRun run = RunAgainst(server.url(), Workload(2), load);
  EXPECT_EQ(run.metrics.failed, 2);
  ASSERT_EQ(run.metrics.errors.size(), 1);
  EXPECT_THAT(run.metrics.errors[0].error, HasSubstr("timed out"));
  EXPECT_GE(run.load.duration_s, 0.2);
  EXPECT_LT(run.load.duration_s, 20.0);
}

TEST(LoadRunnerTest, ConnectionRefusedCountsAsFailure) {
  // A port that was free a moment ago and has no listener.
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t length = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length), 0);
  close(fd);
  const LoadRun run = RunAgainst(absl::StrCat("http://127.0.0.1:", ntohs(addr.sin_port)),
                                 Workload(2), LoadOptions());
  EXPECT_EQ(run.metrics.failed, 2);
  ASSERT_FALSE(run.metrics.errors.empty());
  EXPECT_THAT(run.metrics.errors[0].error, HasSubstr("connect"));
}

}  // namespace
}  // namespace weft::loadgen
