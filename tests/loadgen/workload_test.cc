#include "tests/loadgen/workload.h"

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/loadgen/api_kind.h"
#include "tests/loadgen/server_address.h"
#include "tests/loadgen/sse_client.h"

namespace weft::loadgen {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;

WorkloadOptions Options() {
  WorkloadOptions options;
  options.model = "m";
  options.num_requests = 20;
  options.input_len = 16;
  options.output_len = 8;
  options.prefix_len = 4;
  options.min_token_id = 10;
  options.max_token_id = 20;
  options.seed = 3;
  return options;
}

Json Parse(const std::string& body) {
  Json json = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(json.is_discarded()) << body;
  return json;
}

TEST(WorkloadTest, CompletionBodiesCarryTokenIdsAndTheStreamingOptions) {
  const std::vector<PlannedRequest> requests = MakeWorkload(Options());
  ASSERT_EQ(requests.size(), 20);
  std::vector<int> first_prefix;
  std::set<std::vector<int>> distinct;
  for (const PlannedRequest& request : requests) {
    EXPECT_EQ(request.prompt_len, 20);  // prefix + input
    EXPECT_EQ(request.send_at_s, 0.0);  // infinite rate
    const Json body = Parse(request.body);
    EXPECT_EQ(body["model"], "m");
    EXPECT_EQ(body["max_tokens"], 8);
    EXPECT_EQ(body["temperature"], 0);
    EXPECT_EQ(body["ignore_eos"], true);
    EXPECT_EQ(body["stream"], true);
    EXPECT_EQ(body["stream_options"]["include_usage"], true);
    ASSERT_TRUE(body["prompt"].is_array());
    std::vector<int> prompt;
    for (const Json& id : body["prompt"]) {
      ASSERT_TRUE(id.is_number_integer());
      prompt.push_back(id.get<int>());
      EXPECT_GE(prompt.back(), 10);
      EXPECT_LE(prompt.back(), 20);
    }
    ASSERT_EQ(prompt.size(), 20);
    const std::vector<int> prefix(prompt.begin(), prompt.begin() + 4);
    if (first_prefix.empty()) first_prefix = prefix;
    EXPECT_EQ(prefix, first_prefix);  // shared by every prompt
    distinct.insert(prompt);
  }
  EXPECT_GT(distinct.size(), 15);
}

TEST(WorkloadTest, SameSeedSameWorkload) {
  WorkloadOptions options = Options();
  options.request_rate = 10;
  const std::vector<PlannedRequest> a = MakeWorkload(options);
  const std::vector<PlannedRequest> b = MakeWorkload(options);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].body, b[i].body);
    EXPECT_EQ(a[i].send_at_s, b[i].send_at_s);
  }
  options.seed = 4;
  EXPECT_NE(MakeWorkload(options)[0].body, a[0].body);
}

TEST(WorkloadTest, ChatBodiesCarryWords) {
  WorkloadOptions options = Options();
  options.kind = ApiKind::kChat;
  const std::vector<PlannedRequest> requests = MakeWorkload(options);
  const Json body = Parse(requests[0].body);
  EXPECT_FALSE(body.contains("prompt"));
  ASSERT_TRUE(body["messages"].is_array());
  ASSERT_EQ(body["messages"].size(), 1);
  EXPECT_EQ(body["messages"][0]["role"], "user");
  const std::string text = body["messages"][0]["content"].get<std::string>();
  EXPECT_EQ(std::count(text.begin(), text.end(), ' '), 19);  // 20 words
  EXPECT_EQ(requests[0].prompt_len, 20);
  EXPECT_EQ(body["max_tokens"], 8);
  EXPECT_EQ(body["stream"], true);
}

TEST(WorkloadTest, PoissonArrivals) {
  const int n = 20000;
  const double rate = 50.0;
  const std::vector<double> offsets = ArrivalOffsets(n, rate, 1);
  ASSERT_EQ(offsets.size(), n);
  EXPECT_EQ(offsets[0], 0.0);
  double sum = 0.0, sum_squares = 0.0;
  for (int i = 1; i < n; ++i) {
    const double gap = offsets[i] - offsets[i - 1];
    ASSERT_GE(gap, 0.0);
    sum += gap;
    sum_squares += gap * gap;
  }
  const double mean = sum / (n - 1);
  const double variance = sum_squares / (n - 1) - mean * mean;
  EXPECT_NEAR(mean, 1.0 / rate, 0.05 / rate);                // exponential: mean 1/rate
  EXPECT_NEAR(std::sqrt(variance), 1.0 / rate, 0.1 / rate);  // and sd 1/rate
  for (double t : ArrivalOffsets(5, INFINITY, 1)) EXPECT_EQ(t, 0.0);
}

TEST(WorkloadTest, Validation) {
  EXPECT_TRUE(ValidateWorkloadOptions(Options()).ok());
  WorkloadOptions options = Options();
  options.model = "";
  EXPECT_THAT(ValidateWorkloadOptions(options).message(), HasSubstr("--model"));
  options = Options();
  options.max_token_id = 5;
  EXPECT_FALSE(ValidateWorkloadOptions(options).ok());
  options = Options();
  options.request_rate = 0;
  EXPECT_FALSE(ValidateWorkloadOptions(options).ok());
  options = Options();
  options.output_len = 0;
  EXPECT_FALSE(ValidateWorkloadOptions(options).ok());
}

TEST(ServerAddressTest, ParsesPlainHttpUrls) {
  absl::StatusOr<ServerAddress> address = ResolveHttpUrl("http://127.0.0.1:8080");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->host_header, "127.0.0.1:8080");
  EXPECT_EQ(address->base_path, "");
  EXPECT_EQ(address->addr.ss_family, AF_INET);

  address = ResolveHttpUrl("http://[::1]:9000/base/");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(address->host_header, "[::1]:9000");
  EXPECT_EQ(address->base_path, "/base");
  EXPECT_EQ(address->addr.ss_family, AF_INET6);

  EXPECT_TRUE(ResolveHttpUrl("http://127.0.0.1").ok());  // port 80
  EXPECT_EQ(ResolveHttpUrl("https://127.0.0.1:443").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(ResolveHttpUrl("http://127.0.0.1:0").ok());
  EXPECT_FALSE(ResolveHttpUrl("http://127.0.0.1:x").ok());
  EXPECT_FALSE(ResolveHttpUrl("127.0.0.1:8080").ok());
}

TEST(FormatPostRequestTest, HasTheFramingAndOptionalBearerToken) {
  absl::StatusOr<ServerAddress> address = ResolveHttpUrl("http://127.0.0.1:8080/api");
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(FormatPostRequest(*address, "/v1/completions", "{}", "sk-1"),
            "POST /api/v1/completions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
            "Content-Type: application/json\r\nAccept: text/event-stream\r\n"
            "Content-Length: 2\r\nConnection: close\r\nAuthorization: Bearer sk-1\r\n\r\n{}");
  EXPECT_THAT(FormatPostRequest(*address, "/v1/completions", "{}", ""),
              ::testing::Not(HasSubstr("Authorization")));
}

}  // namespace
}  // namespace weft::loadgen
