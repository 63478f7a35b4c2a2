// The router's front door as real processes: API keys (401 without one,
// tenants from keys), tenant-salted prefix caching (a tenant never hits
// another's cached prompt), and SLO admission (a key with targets no busy
// instance can meet gets 429 with Retry-After while keys without targets
// are served).
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/http_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/stack_launcher.h"

namespace weft::testutil {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kKeyA[] = "sk-tenant-a-0123456789";
constexpr char kKeyB[] = "sk-tenant-b-0123456789";
constexpr char kKeyStrict[] = "sk-strict-0123456789";

std::string Bearer(const std::string& key) {
  return absl::StrCat("Authorization: Bearer ", key, "\r\n");
}

std::string Completion(const std::vector<int>& prompt, int max_tokens) {
  return json{{"model", "tiny-qwen3-moe"},
              {"prompt", prompt},
              {"max_tokens", max_tokens},
              {"temperature", 0},
              {"ignore_eos", true}}
      .dump();
}

std::vector<int> Prompt(int n, int first) {
  std::vector<int> p(n);
  for (int i = 0; i < n; ++i) p[i] = first + i;
  return p;
}

class RouterAdmissionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions options;
    options.router_extra_config = absl::StrCat(
        "api_keys { key: \"", kKeyA, "\" tenant: \"a\" }\n", "api_keys { key: \"", kKeyB,
        "\" tenant: \"b\" }\n",
        // 1 ms to the first token and between tokens: met by no busy instance.
        "api_keys { key: \"", kKeyStrict, "\" tenant: \"a\" slo { ttft_ms: 1 tpot_ms: 1 } }\n");
    absl::StatusOr<std::unique_ptr<Stack>> stack = Stack::Start(options);
    ASSERT_TRUE(stack.ok()) << stack.status();
    stack_ = stack->release();
    const absl::Status ready = stack_->WaitUntilReady(Scaled(absl::Seconds(60)));
    ASSERT_TRUE(ready.ok()) << ready << stack_->Logs();
  }
  static void TearDownTestSuite() {
    if (stack_ != nullptr) EXPECT_TRUE(stack_->Stop().ok()) << stack_->Logs();
    delete stack_;
    stack_ = nullptr;
  }

  static absl::StatusOr<HttpResponse> Post(const std::string& body, const std::string& headers) {
    return HttpRequest("127.0.0.1", stack_->api_port(), "POST", "/v1/completions", body,
                       Scaled(absl::Seconds(60)), headers);
  }

  static Stack* stack_;
};

Stack* RouterAdmissionTest::stack_ = nullptr;

TEST_F(RouterAdmissionTest, EveryV1RouteNeedsAKeyButTheInternalListenerDoesNot) {
  for (const std::string& headers :
       {std::string(), Bearer("sk-not-a-key-0123456789"), std::string("Authorization: Basic x\r\n"),
        absl::StrCat("Authorization: ", kKeyA, "\r\n")}) {
    absl::StatusOr<HttpResponse> r = Post(Completion({1, 2, 3}, 2), headers);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status_code, 401) << headers << r->body;
    EXPECT_EQ(r->Header("WWW-Authenticate"), "Bearer");
    const json body = json::parse(r->body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r->body;
    EXPECT_EQ(body["error"]["code"], "invalid_api_key");
    EXPECT_THAT(body["error"]["message"].get<std::string>(), ::testing::Not(HasSubstr("sk-")));
  }
  absl::StatusOr<HttpResponse> models = HttpRequest("127.0.0.1", stack_->api_port(), "GET",
                                                    "/v1/models", "", Scaled(absl::Seconds(10)));
  ASSERT_TRUE(models.ok());
  EXPECT_EQ(models->status_code, 401);
  models = HttpRequest("127.0.0.1", stack_->api_port(), "GET", "/v1/models", "",
                       Scaled(absl::Seconds(10)), Bearer(kKeyB));
  ASSERT_TRUE(models.ok());
  EXPECT_EQ(models->status_code, 200) << models->body;

  absl::StatusOr<HttpResponse> ok = Post(Completion({1, 2, 3}, 2), Bearer(kKeyA));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->status_code, 200) << ok->body;

  for (const char* path : {"/health", "/ready", "/metrics"}) {
    absl::StatusOr<HttpResponse> r = HttpRequest("127.0.0.1", stack_->internal_port(), "GET", path,
                                                 "", Scaled(absl::Seconds(30)));
    ASSERT_TRUE(r.ok()) << path << ": " << r.status();
    EXPECT_EQ(r->status_code, 200) << path;
  }
  absl::StatusOr<std::string> metrics = ScrapeMetrics(stack_->internal_port());
  ASSERT_TRUE(metrics.ok());
  EXPECT_GE(*MetricValue(*metrics, "weft_router_rejected_requests_total", {{"code", "401"}}), 5);
}

int64_t CachedTokens(const HttpResponse& r) {
  const json body = json::parse(r.body, nullptr, false);
  return body["usage"]["prompt_tokens_details"]["cached_tokens"].get<int64_t>();
}

TEST_F(RouterAdmissionTest, TenantsNeverShareCachedPrefixes) {
  const std::string body = Completion(Prompt(80, 300), 2);
  absl::StatusOr<HttpResponse> first = Post(body, Bearer(kKeyA));
  ASSERT_TRUE(first.ok() && first->status_code == 200) << first.status();
  absl::StatusOr<HttpResponse> again = Post(body, Bearer(kKeyA));
  ASSERT_TRUE(again.ok() && again->status_code == 200) << again.status();
  EXPECT_EQ(CachedTokens(*again), 64) << again->body;  // 4 full blocks of 16 (the last is computed)
  // Tenant b sends the very same prompt: nothing of a's is visible to it.
  absl::StatusOr<HttpResponse> other = Post(body, Bearer(kKeyB));
  ASSERT_TRUE(other.ok() && other->status_code == 200) << other.status();
  EXPECT_EQ(CachedTokens(*other), 0) << other->body;
  EXPECT_EQ(json::parse(other->body)["choices"][0]["text"],
            json::parse(again->body)["choices"][0]["text"]);
}

TEST_F(RouterAdmissionTest, KeysWithUnmeetableTargetsAreRefusedWhileInstancesAreBusy) {
  // Keep prefill and decode busy with tenant a's work (no targets)...
  std::atomic<bool> stop{false};
  std::atomic<int> served{0}, refused_unlimited{0};  // vocabulary: 1024 tokens
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t) {
    load.emplace_back([&, t] {
      int i = 0;
      while (!stop.load()) {
        absl::StatusOr<HttpResponse> r = Post(
            Completion(Prompt(200 + 50 * t, (97 * t + 7 * i++) % 500 + 10), 32), Bearer(kKeyA));
        if (r.ok() && r->status_code == 200) ++served;
        if (r.ok() && r->status_code != 200) ++refused_unlimited;
      }
    });
  }
  // ...while the strict key asks, until admission refuses it.
  std::optional<HttpResponse> refusal;
  const absl::Time deadline = absl::Now() + Scaled(absl::Seconds(30));
  while (!refusal.has_value() && absl::Now() < deadline) {
    absl::StatusOr<HttpResponse> r = Post(Completion(Prompt(100, 50), 8), Bearer(kKeyStrict));
    ASSERT_TRUE(r.ok()) << r.status();
    if (r->status_code == 429) refusal = *r;
    ASSERT_TRUE(r->status_code == 200 || r->status_code == 429) << r->body;
  }
  // The unlimited key keeps being served meanwhile.
  while (served.load() < 3 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  stop = true;
  for (std::thread& t : load) t.join();
  ASSERT_TRUE(refusal.has_value()) << "never refused";
  EXPECT_GE(std::stoi(refusal->Header("Retry-After")), 1);
  const json body = json::parse(refusal->body, nullptr, false);
  EXPECT_EQ(body["error"]["code"], "rate_limit_exceeded");
  EXPECT_THAT(body["error"]["message"].get<std::string>(), HasSubstr("target"));
  EXPECT_GT(served.load(), 0);
  EXPECT_EQ(refused_unlimited.load(), 0);  // no targets: never refused, never failed

  absl::StatusOr<std::string> metrics = ScrapeMetrics(stack_->internal_port());
  ASSERT_TRUE(metrics.ok());
  EXPECT_GE(*MetricValue(*metrics, "weft_router_slo_rejections_total"), 1);
  EXPECT_GE(*MetricValue(*metrics, "weft_router_rejected_requests_total", {{"code", "429"}}), 1);
  // Admitted sequences carry predictions, and their outcomes are compared.
  EXPECT_GT(*MetricValue(*metrics, "weft_router_predicted_ttft_seconds_count"), 0);
  EXPECT_GT(*MetricValue(*metrics, "weft_router_ttft_prediction_ratio_count"), 0);
  EXPECT_GT(*MetricValue(*metrics, "weft_router_tpot_prediction_ratio_count"), 0);
}

}  // namespace
}  // namespace weft::testutil
