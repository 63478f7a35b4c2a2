// The whole stack as real processes on loopback (weft-kvcache, weft-router,
// two weft-prefill and two weft-decode instances that register with the
// router), driven over real sockets through the OpenAI API:
//  - concurrent streamed and unary completions reproduce, token for token,
//    what the single-process engine generates greedily (and that agrees with
//    transformers' reference up to its first near-tie), with exact usage;
//  - chat completions, streamed and not;
//  - a shared prefix is served from the prefix cache;
//  - clients that disconnect mid-stream free every KV block, also in a
//    storm of streams of which half are cancelled at random points;
//  - malformed, oversized and out-of-range requests get the documented
//    HTTP errors, and the stack keeps serving;
//  - (on a stack of its own) a decode or prefill instance killed with
//    SIGKILL: streams on it end with an error and [DONE], never hang; the
//    router stops routing to it; a restarted instance rejoins.
#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/base/notification.h"
#include "common/engine/serving/engine_instance.h"
#include "common/testing/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/stack_launcher.h"

namespace weft {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;
using testutil::HttpClient;
using testutil::HttpRequest;
using testutil::HttpResponse;
using testutil::MetricValue;
using testutil::Scaled;
using testutil::ScrapeMetrics;
using testutil::Stack;
using testutil::StackOptions;
using testutil::StackService;

constexpr char kModelDir[] = "tests/data/models/tiny-qwen3-moe";
constexpr char kModel[] = "tiny-qwen3-moe";
constexpr int kMaxTokens = 16;        // the reference's length
constexpr int kMaxBodyBytes = 65536;  // the shared stack's limit
constexpr double kNearTie = 1e-3;     // as common/engine/verify/reference_check.h
constexpr int kPrefixTokens = 64;     // 4 full blocks of 16

std::vector<int32_t> ParseTokenIds(const json& tokens) {
  std::vector<int32_t> ids;
  for (const json& t : tokens) {
    const std::string s = t.get<std::string>();
    int32_t id = -1;
    if (!absl::StartsWith(s, "token_id:") || !absl::SimpleAtoi(s.substr(9), &id)) {
      ADD_FAILURE() << "not a token id: " << s;
    }
    ids.push_back(id);
  }
  return ids;
}

json CompletionBody(const std::vector<int32_t>& prompt, int max_tokens, bool stream) {
  json body = {{"model", kModel},
               {"prompt", prompt},
               {"max_tokens", max_tokens},
               {"temperature", 0},
               {"ignore_eos", true},
               {"logprobs", 0},
               {"return_tokens_as_token_ids", true}};
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

// A streamed response read to its end (or until `stop_after` events).
struct StreamResult {
  absl::Status status;  // transport errors; OK otherwise
  int http_status = 0;
  std::string error_body;    // the body of a non-200 answer
  std::vector<json> events;  // every data event but [DONE]
  bool done = false;         // saw data: [DONE]
  bool has_error_event = false;
  std::vector<int32_t> tokens;  // choices[0].logprobs.tokens, in order
  std::string text;             // choices[0].text or delta.content, in order
  std::optional<std::string> finish_reason;
  std::optional<json> usage;  // the usage chunk (empty choices)
};

// Opens a stream: sends the request and reads the head. The client is
// returned for the caller to read events from.
absl::StatusOr<std::unique_ptr<HttpClient>> OpenStream(int port, const std::string& path,
                                                       const json& body, StreamResult* result) {
  absl::StatusOr<std::unique_ptr<HttpClient>> client =
      HttpClient::Connect("127.0.0.1", port, Scaled(absl::Seconds(30)));
  if (!client.ok()) return client.status();
  if (absl::Status s = (*client)->SendRequest("POST", path, body.dump()); !s.ok()) return s;
  absl::StatusOr<HttpResponse> head = (*client)->ReadHead();
  if (!head.ok()) return head.status();
  result->http_status = head->status_code;
  if (head->status_code != 200) {
    absl::StatusOr<std::string> rest = (*client)->ReadBody();
    result->error_body = rest.ok() ? *rest : rest.status().ToString();
  }
  return client;
}

// Reads one event into `result`; false at the end (or on an error, in
// result->status).
bool ReadEvent(HttpClient& client, StreamResult* result) {
  absl::StatusOr<std::optional<std::string>> data = client.ReadSseData();
  if (!data.ok()) {
    result->status = data.status();
    return false;
  }
  if (!data->has_value()) return false;
  if (**data == "[DONE]") {
    result->done = true;
    return true;
  }
  json event = json::parse(**data, nullptr, false);
  if (event.is_discarded()) {
    result->status = absl::DataLossError("event is not JSON: " + **data);
    return false;
  }
  if (event.contains("error")) result->has_error_event = true;
  if (event.contains("choices") && event["choices"].is_array()) {
    if (event["choices"].empty() && event.contains("usage")) result->usage = event["usage"];
    for (const json& c : event["choices"]) {
      if (c.contains("logprobs") && c["logprobs"].is_object() && c["logprobs"].contains("tokens")) {
        for (int32_t id : ParseTokenIds(c["logprobs"]["tokens"])) result->tokens.push_back(id);
      }
      if (c.contains("text") && c["text"].is_string()) result->text += c["text"];
      if (c.contains("delta") && c["delta"].contains("content") &&
          c["delta"]["content"].is_string()) {
        result->text += c["delta"]["content"];
      }
      if (c.contains("finish_reason") && c["finish_reason"].is_string()) {
        result->finish_reason = c["finish_reason"];
      }
    }
  }
  result->events.push_back(std::move(event));
  return true;
}

StreamResult Stream(int port, const std::string& path, const json& body) {
  StreamResult result;
  absl::StatusOr<std::unique_ptr<HttpClient>> client = OpenStream(port, path, body, &result);
  if (!client.ok()) {
    result.status = client.status();
    return result;
  }
  if (result.http_status != 200) return result;
  while (ReadEvent(**client, &result)) {
  }
  return result;
}

absl::StatusOr<json> ParseJsonBody(const HttpResponse& r) {
  json body = json::parse(r.body, nullptr, false);
  if (body.is_discarded()) return absl::DataLossError("not JSON: " + r.body);
  return body;
}

// Single-process greedy generation, one prompt at a time.
std::vector<std::vector<int32_t>> EngineGreedy(const std::vector<std::vector<int32_t>>& prompts,
                                               int max_tokens) {
  weft::v1::EngineConfig c;
  c.set_model_dir(kModelDir);
  c.set_kv_blocks(512);
  c.set_kv_block_size(16);
  auto engine = engine::CreateEngineInstance(c);
  EXPECT_TRUE(engine.ok()) << engine.status();
  std::vector<std::vector<int32_t>> outputs;
  if (!engine.ok()) return outputs;
  for (size_t i = 0; i < prompts.size(); ++i) {
    Notification done;
    std::vector<int32_t> tokens;
    engine::SequenceRequest r{.id = engine::SequenceId(i + 1), .prompt = prompts[i]};
    r.sampling.temperature = 0;
    r.stop.max_tokens = max_tokens;
    r.stop.ignore_eos = true;
    const absl::Status s = (*engine)->loop->Add(r, [&](const engine::SequenceOutput& out) {
      tokens.push_back(out.token.token);
      if (out.finish.has_value()) done.Notify();
    });
    EXPECT_TRUE(s.ok()) << s;
    if (s.ok()) done.WaitForNotification();
    outputs.push_back(std::move(tokens));
  }
  return outputs;
}

// Sums gauge `name` over the processes' /metrics.
absl::StatusOr<double> SumOver(const std::vector<StackService*>& services,
                               const std::string& name) {
  double sum = 0;
  for (StackService* s : services) {
    absl::StatusOr<std::string> text = ScrapeMetrics(s->metrics_port());
    if (!text.ok()) return text.status();
    absl::StatusOr<double> v = MetricValue(*text, name);
    if (!v.ok())
      return absl::Status(v.status().code(), absl::StrCat(s->name, ": ", v.status().message()));
    sum += *v;
  }
  return sum;
}

// Polls `name` (summed over its series) on one process until it reaches
// `at_least` or a deadline passes; the last value seen.
double WaitForCounter(StackService& service, const std::string& name, double at_least) {
  const absl::Time deadline = absl::Now() + Scaled(absl::Seconds(5));
  double value = -1;
  while (true) {
    absl::StatusOr<double> v = SumOver({&service}, name);
    if (v.ok()) value = *v;
    if (value >= at_least || absl::Now() > deadline) return value;
    absl::SleepFor(absl::Milliseconds(50));
  }
}

double RouterCounter(Stack& stack, const std::string& name,
                     const std::map<std::string, std::string>& labels) {
  absl::StatusOr<std::string> text = ScrapeMetrics(stack.router().metrics_port());
  EXPECT_TRUE(text.ok()) << text.status();
  if (!text.ok()) return -1;
  absl::StatusOr<double> v = MetricValue(*text, name, labels);
  return v.ok() ? *v : 0;
}

// Polls until the KV blocks in use on every prefill and decode instance sum
// to `baseline`; the last sum seen.
double WaitForBlocks(Stack& stack, double baseline, absl::Duration timeout) {
  std::vector<StackService*> instances = stack.prefills();
  for (StackService* d : stack.decodes()) instances.push_back(d);
  std::vector<StackService*> live;
  for (StackService* s : instances) {
    if (s->running()) live.push_back(s);
  }
  const absl::Time deadline = absl::Now() + timeout;
  double used = -1;
  while (true) {
    absl::StatusOr<double> v = SumOver(live, "weft_kv_blocks_used");
    EXPECT_TRUE(v.ok()) << v.status();
    if (v.ok()) used = *v;
    if (used == baseline || absl::Now() > deadline) return used;
    absl::SleepFor(absl::Milliseconds(100));
  }
}

class ServingStackTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(std::string(kModelDir) + "/reference.json");
    reference_ = new json(json::parse(in, nullptr, false));
    ASSERT_FALSE(reference_->is_discarded());
    std::vector<std::vector<int32_t>> prompts;
    for (const json& p : (*reference_)["prompts"]) {
      prompts.push_back(p["input_ids"].get<std::vector<int32_t>>());
    }
    // The prefix test's prompts: the longest reference prompt, and its first
    // kPrefixTokens tokens with another ending.
    const std::vector<int32_t>& longest = prompts.back();
    ASSERT_GE(longest.size(), static_cast<size_t>(kPrefixTokens + 4));
    std::vector<int32_t> shared(longest.begin(), longest.begin() + kPrefixTokens);
    for (int32_t t : {7, 300, 42, 901, 5}) shared.push_back(t);
    prompts.push_back(shared);
    // Computed before the stack starts: it does not compete for the CPU.
    expected_ = new std::vector<std::vector<int32_t>>(EngineGreedy(prompts, kMaxTokens));
    prompts_ = new std::vector<std::vector<int32_t>>(std::move(prompts));

    StackOptions options;
    options.dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/shared-stack");
    options.num_prefill = 2;
    options.num_decode = 2;
    options.router_extra_config = absl::StrCat("limits { max_body_bytes: ", kMaxBodyBytes, " }");
    absl::StatusOr<std::unique_ptr<Stack>> stack = Stack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = stack->release();
    const absl::Status ready = stack_->WaitUntilReady(Scaled(absl::Seconds(60)));
    ASSERT_TRUE(ready.ok()) << ready;
  }

  static void TearDownTestSuite() {
    if (stack_ != nullptr) {
      const absl::Status s = stack_->Stop();
      EXPECT_TRUE(s.ok()) << s;
      delete stack_;
      stack_ = nullptr;
    }
    delete reference_;
    delete expected_;
    delete prompts_;
  }

  void SetUp() override {
    ASSERT_NE(stack_, nullptr) << "the stack did not start";
    ASSERT_NE(expected_, nullptr);
    ASSERT_EQ(expected_->size(), prompts_->size());
  }

  void TearDown() override {
    if (HasFailure() && stack_ != nullptr) {
      std::cerr << "stack logs:\n" << stack_->Logs() << "\n";
    }
  }

  int api() { return stack_->api_port(); }

  absl::StatusOr<HttpResponse> Post(const std::string& path, const std::string& body) {
    return HttpRequest("127.0.0.1", api(), "POST", path, body, Scaled(absl::Seconds(60)));
  }

  static Stack* stack_;
  static json* reference_;
  static std::vector<std::vector<int32_t>>* prompts_;
  static std::vector<std::vector<int32_t>>* expected_;  // engine greedy, kMaxTokens each
};

Stack* ServingStackTest::stack_ = nullptr;
json* ServingStackTest::reference_ = nullptr;
std::vector<std::vector<int32_t>>* ServingStackTest::prompts_ = nullptr;
std::vector<std::vector<int32_t>>* ServingStackTest::expected_ = nullptr;

TEST_F(ServingStackTest, SingleProcessEngineAgreesWithTheReference) {
  // The yardstick of the stack's outputs, checked against transformers up
  // to the first near-tie of each prompt.
  const json& prompts = (*reference_)["prompts"];
  for (size_t i = 0; i < prompts.size(); ++i) {
    const auto greedy = prompts[i]["greedy_ids"].get<std::vector<int32_t>>();
    const auto margins = prompts[i]["greedy_margins"].get<std::vector<double>>();
    ASSERT_EQ((*expected_)[i].size(), static_cast<size_t>(kMaxTokens));
    for (size_t k = 0; k < greedy.size() && k < (*expected_)[i].size(); ++k) {
      if (margins[k] < kNearTie) break;
      ASSERT_EQ((*expected_)[i][k], greedy[k]) << "prompt " << i << " step " << k;
    }
  }
}

TEST_F(ServingStackTest, ConcurrentCompletionsEqualTheSingleProcessEngine) {
  const int n = static_cast<int>((*reference_)["prompts"].size());
  constexpr int kRequests = 8;
  std::vector<StreamResult> streamed(kRequests);
  std::vector<absl::StatusOr<HttpResponse>> unary(kRequests, absl::UnknownError("not run"));
  std::vector<std::thread> clients;
  for (int r = 0; r < kRequests; ++r) {
    clients.emplace_back([&, r] {
      const std::vector<int32_t>& prompt = (*prompts_)[r % n];
      const bool stream = r % 2 == 0;
      const json body = CompletionBody(prompt, kMaxTokens, stream);
      if (stream) {
        streamed[r] = Stream(api(), "/v1/completions", body);
      } else {
        unary[r] = Post("/v1/completions", body.dump());
      }
    });
  }
  for (std::thread& t : clients) t.join();
  for (int r = 0; r < kRequests; ++r) {
    SCOPED_TRACE(absl::StrCat("request ", r, " (prompt ", r % n, ")"));
    const std::vector<int32_t>& prompt = (*prompts_)[r % n];
    const std::vector<int32_t>& expected = (*expected_)[r % n];
    if (r % 2 == 0) {
      const StreamResult& s = streamed[r];
      ASSERT_TRUE(s.status.ok()) << s.status;
      ASSERT_EQ(s.http_status, 200) << s.error_body;
      EXPECT_FALSE(s.has_error_event);
      EXPECT_TRUE(s.done) << "no data: [DONE]";
      EXPECT_EQ(s.tokens, expected);
      EXPECT_EQ(s.finish_reason, "length");
      ASSERT_TRUE(s.usage.has_value()) << "no usage chunk";
      EXPECT_EQ((*s.usage)["prompt_tokens"], prompt.size());
      EXPECT_EQ((*s.usage)["completion_tokens"], kMaxTokens);
      EXPECT_EQ((*s.usage)["total_tokens"], prompt.size() + kMaxTokens);
      // The usage chunk is the last event before [DONE].
      ASSERT_FALSE(s.events.empty());
      EXPECT_TRUE(s.events.back()["choices"].empty());
      EXPECT_EQ(s.events.front()["object"], "text_completion");
    } else {
      ASSERT_TRUE(unary[r].ok()) << unary[r].status();
      ASSERT_EQ(unary[r]->status_code, 200) << unary[r]->body;
      absl::StatusOr<json> body = ParseJsonBody(*unary[r]);
      ASSERT_TRUE(body.ok()) << body.status();
      ASSERT_EQ((*body)["choices"].size(), 1u);
      const json& choice = (*body)["choices"][0];
      EXPECT_EQ(ParseTokenIds(choice["logprobs"]["tokens"]), expected);
      EXPECT_EQ(choice["finish_reason"], "length");
      EXPECT_EQ((*body)["usage"]["prompt_tokens"], prompt.size());
      EXPECT_EQ((*body)["usage"]["completion_tokens"], kMaxTokens);
      EXPECT_EQ((*body)["usage"]["total_tokens"], prompt.size() + kMaxTokens);
      EXPECT_EQ((*body)["model"], kModel);
    }
  }
  // The router spread them: both decode instances generated tokens.
  for (StackService* d : stack_->decodes()) {
    EXPECT_GT(WaitForCounter(*d, "weft_generation_tokens_total", 1), 0) << d->name << " idle";
  }
}

TEST_F(ServingStackTest, ChatCompletionsStreamedAndNot) {
  const json messages = json::array({{{"role", "user"}, {"content", "Say something short."}}});
  json body = {{"model", kModel},
               {"messages", messages},
               {"max_tokens", 8},
               {"temperature", 0},
               {"ignore_eos", true}};
  absl::StatusOr<HttpResponse> r = Post("/v1/chat/completions", body.dump());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->status_code, 200) << r->body;
  absl::StatusOr<json> unary = ParseJsonBody(*r);
  ASSERT_TRUE(unary.ok()) << unary.status();
  EXPECT_EQ((*unary)["object"], "chat.completion");
  const json& choice = (*unary)["choices"][0];
  EXPECT_EQ(choice["message"]["role"], "assistant");
  const std::string content = choice["message"]["content"].get<std::string>();
  EXPECT_FALSE(content.empty());
  EXPECT_EQ(choice["finish_reason"], "length");
  EXPECT_EQ((*unary)["usage"]["completion_tokens"], 8);
  EXPECT_GT((*unary)["usage"]["prompt_tokens"].get<int>(), 0);

  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  StreamResult s = Stream(api(), "/v1/chat/completions", body);
  ASSERT_TRUE(s.status.ok()) << s.status;
  ASSERT_EQ(s.http_status, 200) << s.error_body;
  EXPECT_TRUE(s.done);
  EXPECT_FALSE(s.has_error_event);
  EXPECT_EQ(s.finish_reason, "length");
  // Greedy: the same text, streamed.
  EXPECT_EQ(s.text, content);
  ASSERT_FALSE(s.events.empty());
  EXPECT_EQ(s.events.front()["object"], "chat.completion.chunk");
  ASSERT_TRUE(s.usage.has_value());
  EXPECT_EQ((*s.usage)["completion_tokens"], 8);
  EXPECT_EQ((*s.usage)["prompt_tokens"], (*unary)["usage"]["prompt_tokens"]);
}

TEST_F(ServingStackTest, SharedPrefixIsServedFromThePrefixCache) {
  const std::vector<int32_t>& first = (*prompts_)[prompts_->size() - 2];  // longest reference
  const std::vector<int32_t>& second = prompts_->back();                  // shares 64 tokens
  const double hits_before =
      SumOver(stack_->prefills(), "weft_prefix_cache_hit_tokens_total").value_or(-1);
  auto complete = [&](const std::vector<int32_t>& prompt) -> json {
    absl::StatusOr<HttpResponse> r =
        Post("/v1/completions", CompletionBody(prompt, 4, false).dump());
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return json();
    EXPECT_EQ(r->status_code, 200) << r->body;
    absl::StatusOr<json> body = ParseJsonBody(*r);
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? *body : json();
  };
  auto cached = [](const json& body) -> int {
    const json& usage = body["usage"];
    if (!usage.contains("prompt_tokens_details") || usage["prompt_tokens_details"].is_null()) {
      return -1;
    }
    return usage["prompt_tokens_details"].value("cached_tokens", -1);
  };
  auto tokens = [](const json& body) {
    return ParseTokenIds(body["choices"][0]["logprobs"]["tokens"]);
  };
  const std::vector<int32_t> expect_first((*expected_)[prompts_->size() - 2].begin(),
                                          (*expected_)[prompts_->size() - 2].begin() + 4);
  const std::vector<int32_t> expect_second(expected_->back().begin(),
                                           expected_->back().begin() + 4);

  const json a = complete(first);
  ASSERT_FALSE(a.is_null());
  EXPECT_EQ(tokens(a), expect_first);
  const json b = complete(second);
  ASSERT_FALSE(b.is_null());
  EXPECT_EQ(tokens(b), expect_second);
  EXPECT_GT(cached(b), 0) << b.dump();
  EXPECT_LE(cached(b), kPrefixTokens) << b.dump();
  EXPECT_EQ(cached(b) % 16, 0) << "whole blocks: " << b.dump();
  // The same prompt again: every full block cached, the same tokens.
  const json again = complete(first);
  ASSERT_FALSE(again.is_null());
  EXPECT_EQ(tokens(again), tokens(a));
  EXPECT_EQ(cached(again), static_cast<int>((first.size() - 1) / 16 * 16)) << again.dump();
  EXPECT_EQ(again["usage"]["prompt_tokens"], first.size());

  const double hits_after =
      SumOver(stack_->prefills(), "weft_prefix_cache_hit_tokens_total").value_or(-1);
  // The engine metrics are polled: wait for them.
  double hits = hits_after;
  const absl::Time deadline = absl::Now() + Scaled(absl::Seconds(5));
  while (hits < hits_before + cached(b) + cached(again) && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(100));
    hits = SumOver(stack_->prefills(), "weft_prefix_cache_hit_tokens_total").value_or(-1);
  }
  EXPECT_GE(hits, hits_before + cached(b) + cached(again));
  EXPECT_GT(RouterCounter(*stack_, "weft_router_cached_prompt_tokens_total", {{"model", kModel}}),
            0);
}

TEST_F(ServingStackTest, ClientDisconnectsFreeEveryKvBlock) {
  const double baseline = WaitForBlocks(*stack_, 0, Scaled(absl::Seconds(10)));
  ASSERT_EQ(baseline, 0) << "KV blocks in use before the test";
  const double aborts_before =
      RouterCounter(*stack_, "weft_router_requests_total", {{"finish_reason", "abort"}});

  constexpr int kStreams = 4;
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < kStreams; ++i) {
    StreamResult s;
    absl::StatusOr<std::unique_ptr<HttpClient>> c = OpenStream(
        api(), "/v1/completions", CompletionBody((*prompts_)[i], /*max_tokens=*/900, true), &s);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_EQ(s.http_status, 200) << s.error_body;
    for (int k = 0; k < 3; ++k) {
      ASSERT_TRUE(ReadEvent(**c, &s)) << s.status;
    }
    EXPECT_EQ(s.tokens.size(), 3u);
    EXPECT_FALSE(s.done);
    clients.push_back(*std::move(c));
  }
  // Something is held while they run.
  absl::StatusOr<double> held = SumOver(stack_->decodes(), "weft_kv_blocks_used");
  ASSERT_TRUE(held.ok()) << held.status();
  for (int i = 0; i < kStreams; ++i) clients[i]->Close(/*reset=*/i % 2 == 1);

  const double used = WaitForBlocks(*stack_, baseline, Scaled(absl::Seconds(10)));
  EXPECT_EQ(used, baseline) << "KV blocks not freed after the clients went away";
  double aborts = aborts_before;
  const absl::Time deadline = absl::Now() + Scaled(absl::Seconds(10));
  while (aborts < aborts_before + kStreams && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(50));
    aborts = RouterCounter(*stack_, "weft_router_requests_total", {{"finish_reason", "abort"}});
  }
  EXPECT_EQ(aborts, aborts_before + kStreams);
  EXPECT_EQ(RouterCounter(*stack_, "weft_router_requests_running", {{"model", kModel}}), 0);
}

TEST_F(ServingStackTest, CancellationStormLeavesTheOthersCompleteAndFreesBlocks) {
  const double baseline = WaitForBlocks(*stack_, 0, Scaled(absl::Seconds(10)));
  ASSERT_EQ(baseline, 0);
  constexpr int kStreams = 20;
  constexpr int kFinishTokens = 24;
  std::mt19937 rng(20261204);
  std::vector<int> cancel_after(kStreams, -1);  // events to read, -1: to the end
  for (int i = 0; i < kStreams; ++i) {
    if (i % 2 == 0) cancel_after[i] = std::uniform_int_distribution<int>(0, 8)(rng);
  }
  std::shuffle(cancel_after.begin(), cancel_after.end(), rng);
  const int n = static_cast<int>((*reference_)["prompts"].size());
  std::vector<StreamResult> results(kStreams);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStreams; ++i) {
    threads.emplace_back([&, i] {
      StreamResult& s = results[i];
      const bool cancel = cancel_after[i] >= 0;
      absl::StatusOr<std::unique_ptr<HttpClient>> c =
          OpenStream(api(), "/v1/completions",
                     CompletionBody((*prompts_)[i % n], cancel ? 600 : kFinishTokens, true), &s);
      if (!c.ok()) {
        s.status = c.status();
        return;
      }
      if (s.http_status != 200) return;
      for (int k = 0; !cancel || k < cancel_after[i]; ++k) {
        if (!ReadEvent(**c, &s)) break;
      }
      (*c)->Close(/*reset=*/i % 3 == 0);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kStreams; ++i) {
    SCOPED_TRACE(absl::StrCat("stream ", i, " cancel_after ", cancel_after[i]));
    const StreamResult& s = results[i];
    ASSERT_TRUE(s.status.ok()) << s.status;
    ASSERT_EQ(s.http_status, 200) << s.error_body;
    if (cancel_after[i] >= 0) continue;
    EXPECT_TRUE(s.done);
    EXPECT_FALSE(s.has_error_event);
    EXPECT_EQ(s.finish_reason, "length");
    ASSERT_EQ(s.tokens.size(), static_cast<size_t>(kFinishTokens));
    // Greedy continuations agree with the engine over its first kMaxTokens.
    EXPECT_EQ(std::vector<int32_t>(s.tokens.begin(), s.tokens.begin() + kMaxTokens),
              (*expected_)[i % n]);
    ASSERT_TRUE(s.usage.has_value());
    EXPECT_EQ((*s.usage)["completion_tokens"], kFinishTokens);
  }
  const double used = WaitForBlocks(*stack_, baseline, Scaled(absl::Seconds(10)));
  EXPECT_EQ(used, baseline) << "KV blocks not freed after the storm";
  EXPECT_EQ(RouterCounter(*stack_, "weft_router_requests_running", {{"model", kModel}}), 0);
}

TEST_F(ServingStackTest, BadRequestsGetHttpErrorsAndTheStackKeepsServing) {
  auto expect_error = [&](const absl::StatusOr<HttpResponse>& r, int code,
                          const std::string& what) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status_code, code) << r->body;
    absl::StatusOr<json> body = ParseJsonBody(*r);
    ASSERT_TRUE(body.ok()) << body.status();
    ASSERT_TRUE(body->contains("error")) << r->body;
    EXPECT_TRUE((*body)["error"].is_object()) << r->body;
    EXPECT_TRUE((*body)["error"]["message"].is_string()) << r->body;
  };
  const std::vector<int32_t>& prompt = (*prompts_)[1];
  expect_error(Post("/v1/completions", "{\"model\": \"tiny-qwen3-moe\", \"prompt\": [1, 2"), 400,
               "malformed JSON");
  expect_error(Post("/v1/completions", "not json at all"), 400, "not JSON");
  json wrong = CompletionBody(prompt, 4, false);
  wrong["max_tokens"] = "ten";
  expect_error(Post("/v1/completions", wrong.dump()), 400, "max_tokens a string");
  wrong = CompletionBody(prompt, 4, false);
  wrong["prompt"] = 42;
  expect_error(Post("/v1/completions", wrong.dump()), 400, "prompt a number");
  expect_error(Post("/v1/chat/completions", json{{"model", kModel}, {"messages", "hello"}}.dump()),
               400, "messages a string");
  json unknown = CompletionBody(prompt, 4, false);
  unknown["model"] = "no-such-model";
  expect_error(Post("/v1/completions", unknown.dump()), 404, "unknown model");
  json too_long = CompletionBody(prompt, 1024, false);  // + prompt > 1024
  expect_error(Post("/v1/completions", too_long.dump()), 400, "over the context window");
  json many = CompletionBody(prompt, 4, false);
  many["n"] = 17;
  expect_error(Post("/v1/completions", many.dump()), 400, "n over the cap");
  expect_error(
      HttpRequest("127.0.0.1", api(), "GET", "/v1/completions", "", Scaled(absl::Seconds(30))), 405,
      "GET on a POST route");
  expect_error(Post("/v1/no-such-route", CompletionBody(prompt, 4, false).dump()), 404,
               "unknown path");
  {
    // Over the body limit: the request is refused from its Content-Length.
    SCOPED_TRACE("body over the limit");
    json big = CompletionBody(prompt, 4, false);
    big["user"] = std::string(kMaxBodyBytes + 100, 'x');
    const std::string body = big.dump();
    absl::StatusOr<std::unique_ptr<HttpClient>> c =
        HttpClient::Connect("127.0.0.1", api(), Scaled(absl::Seconds(30)));
    ASSERT_TRUE(c.ok()) << c.status();
    // The server may answer and close before it has read the whole body.
    (void)(*c)->SendRequest("POST", "/v1/completions", body);
    // The HTTP layer refuses it before the API sees it, in the API's error shape.
    expect_error((*c)->ReadResponse(), 413, "body over the limit");
  }
  // Raw garbage on a connection: a 400, not a crash.
  {
    absl::StatusOr<std::unique_ptr<HttpClient>> c =
        HttpClient::Connect("127.0.0.1", api(), Scaled(absl::Seconds(30)));
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_TRUE((*c)->Send("THIS IS NOT HTTP\r\n\r\n").ok());
    absl::StatusOr<HttpResponse> r = (*c)->ReadResponse();
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status_code, 400);
  }
  EXPECT_GE(RouterCounter(*stack_, "weft_router_rejected_requests_total", {{"code", "400"}}), 1);

  // Still serving, and right.
  absl::StatusOr<HttpResponse> ok =
      Post("/v1/completions", CompletionBody(prompt, 8, false).dump());
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_EQ(ok->status_code, 200) << ok->body;
  absl::StatusOr<json> body = ParseJsonBody(*ok);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(ParseTokenIds((*body)["choices"][0]["logprobs"]["tokens"]),
            std::vector<int32_t>((*expected_)[1].begin(), (*expected_)[1].begin() + 8));
}

// A stack of its own, so that killing its processes disturbs nothing else:
// one prefill and two decode instances.
class InstanceFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(std::string(kModelDir) + "/reference.json");
    reference_ = json::parse(in, nullptr, false);
    ASSERT_FALSE(reference_.is_discarded());
    StackOptions options;
    options.dir = absl::StrCat(std::getenv("TEST_TMPDIR"), "/failure-stack");
    options.num_prefill = 1;
    options.num_decode = 2;
    // Expiry of a silent instance: 3 heartbeats (600 ms), checked every
    // 200 ms.
    options.router_extra_config = "load_poll_interval_ms: 200";
    absl::StatusOr<std::unique_ptr<Stack>> stack = Stack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = *std::move(stack);
    const absl::Status ready = stack_->WaitUntilReady(Scaled(absl::Seconds(60)));
    ASSERT_TRUE(ready.ok()) << ready;
  }

  void TearDown() override {
    if (stack_ != nullptr && HasFailure()) std::cerr << "stack logs:\n" << stack_->Logs() << "\n";
  }

  std::vector<int32_t> Prompt(int i) {
    const json& prompts = reference_["prompts"];
    return prompts[i % prompts.size()]["input_ids"].get<std::vector<int32_t>>();
  }

  // One unary completion; its HTTP status (or -1 on a transport error).
  int Complete(int i, int max_tokens = 4) {
    absl::StatusOr<HttpResponse> r =
        HttpRequest("127.0.0.1", stack_->api_port(), "POST", "/v1/completions",
                    CompletionBody(Prompt(i), max_tokens, false).dump(), Scaled(absl::Seconds(30)));
    if (!r.ok()) return -1;
    if (r->status_code == 200) {
      absl::StatusOr<json> body = ParseJsonBody(*r);
      if (!body.ok() ||
          (*body)["choices"][0]["logprobs"]["tokens"].size() != static_cast<size_t>(max_tokens)) {
        return -2;
      }
    }
    return r->status_code;
  }

  // Retries a request until one succeeds (the router may not know yet that
  // an instance is gone), then requires `count` more to succeed, one by one.
  void ExpectServingAgain(int count, const std::string& what) {
    SCOPED_TRACE(what);
    const absl::Time deadline = absl::Now() + Scaled(absl::Seconds(15));
    int code = 0;
    while ((code = Complete(0)) != 200 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(100));
    }
    ASSERT_EQ(code, 200) << "no request succeeded within the deadline";
    // Past the heartbeat timeout (3 x 200 ms) and the router's next check
    // (every 200 ms), every request must succeed.
    absl::SleepFor(Scaled(absl::Milliseconds(1000)));
    for (int i = 0; i < count; ++i) EXPECT_EQ(Complete(i), 200) << "request " << i;
  }

  double Running(StackService& s) {
    absl::StatusOr<std::string> text = ScrapeMetrics(s.metrics_port());
    if (!text.ok()) return -1;
    return MetricValue(*text, "weft_engine_running_requests").value_or(-1);
  }

  json reference_;
  std::unique_ptr<Stack> stack_;
};

TEST_F(InstanceFailureTest, KilledInstancesEndTheirStreamsAndRestartedOnesRejoin) {
  // Streams in flight on both decode instances, long enough (most of the
  // context window) to be running still when the instance is killed.
  constexpr int kStreams = 4;
  constexpr int kStreamTokens = 960;
  std::vector<StreamResult> results(kStreams);
  std::vector<std::unique_ptr<HttpClient>> clients(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    absl::StatusOr<std::unique_ptr<HttpClient>> c =
        OpenStream(stack_->api_port(), "/v1/completions",
                   CompletionBody(Prompt(i), kStreamTokens, true), &results[i]);
    ASSERT_TRUE(c.ok()) << c.status();
    ASSERT_EQ(results[i].http_status, 200) << results[i].error_body;
    ASSERT_TRUE(ReadEvent(**c, &results[i])) << results[i].status;
    clients[i] = *std::move(c);
  }
  // Kill the decode instance with the most running sequences.
  std::vector<StackService*> decodes = stack_->decodes();
  absl::SleepFor(Scaled(absl::Milliseconds(300)));  // the engine gauges are polled (250 ms)
  const double running0 = Running(*decodes[0]);
  const double running1 = Running(*decodes[1]);
  StackService* victim = running1 > running0 ? decodes[1] : decodes[0];
  StackService* survivor = victim == decodes[0] ? decodes[1] : decodes[0];
  const double on_victim = std::max(running0, running1);
  EXPECT_GE(on_victim, 1) << "running: " << running0 << ", " << running1;
  const absl::Time killed_at = absl::Now();
  ASSERT_TRUE(stack_->Kill(*victim).ok());

  // Every stream ends within the deadline: the ones on the killed instance
  // with an error event and [DONE], the others complete.
  std::vector<std::thread> readers;
  for (int i = 0; i < kStreams; ++i) {
    readers.emplace_back([&, i] {
      while (ReadEvent(*clients[i], &results[i])) {
      }
    });
  }
  for (std::thread& t : readers) t.join();
  EXPECT_LT(absl::Now() - killed_at, Scaled(absl::Seconds(15)));
  int errors = 0;
  for (int i = 0; i < kStreams; ++i) {
    SCOPED_TRACE(absl::StrCat("stream ", i));
    const StreamResult& s = results[i];
    EXPECT_TRUE(s.status.ok()) << s.status;
    EXPECT_TRUE(s.done) << "no [DONE]";
    if (s.has_error_event) {
      ++errors;
      EXPECT_THAT(s.events.back().dump(), HasSubstr("error"));
    } else {
      EXPECT_EQ(s.finish_reason, "length");
      EXPECT_EQ(s.tokens.size(), static_cast<size_t>(kStreamTokens));
    }
  }
  EXPECT_EQ(errors, static_cast<int>(on_victim));

  ExpectServingAgain(6, "after killing " + victim->name);

  // A new decode instance joins; then the survivor is killed too, so that
  // only the new one can serve.
  absl::StatusOr<StackService*> fresh = stack_->AddDecode();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  ASSERT_TRUE(stack_->Kill(*survivor).ok());
  ExpectServingAgain(4, "served by the restarted decode instance only");
  // Those 4 requests ran on the new instance: 3 tokens each after
  // prefill's first (the engine metrics are polled).
  EXPECT_GE(WaitForCounter(**fresh, "weft_generation_tokens_total", 4 * 3), 4 * 3);

  // The same for prefill: a second one joins, the first is killed.
  StackService* old_prefill = stack_->prefills()[0];
  absl::StatusOr<StackService*> new_prefill = stack_->AddPrefill();
  ASSERT_TRUE(new_prefill.ok()) << new_prefill.status();
  ASSERT_TRUE(stack_->Kill(*old_prefill).ok());
  ExpectServingAgain(4, "after killing prefill-0");
  EXPECT_GE(WaitForCounter(**new_prefill, "weft_prompt_tokens_total", 1), 1);

  // What is left drains and exits cleanly.
  const absl::Status stopped = stack_->Stop();
  EXPECT_TRUE(stopped.ok()) << stopped;
}

}  // namespace
}  // namespace weft
