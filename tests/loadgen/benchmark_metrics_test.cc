// ComputeMetrics on hand-made results (vLLM's calculate_metrics arithmetic),
// and the report built from them.
#include "tests/loadgen/benchmark_metrics.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/loadgen/report.h"

namespace weft::loadgen {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;
using ::testing::Optional;

RequestResult Success(double ttft_s, std::vector<double> itl_s, int64_t output_tokens,
                      int prompt_len = 10) {
  RequestResult r;
  r.success = true;
  r.prompt_len = prompt_len;
  r.ttft_s = ttft_s;
  r.e2e_s = ttft_s;
  for (double itl : itl_s) r.e2e_s += itl;
  r.itl_s = std::move(itl_s);
  r.output_tokens = output_tokens;
  r.content_chunks = static_cast<int>(r.itl_s.size()) + 1;
  return r;
}

RequestResult Failure(std::string error) {
  RequestResult r;
  r.error = std::move(error);
  return r;
}

std::vector<RequestResult> Results() {
  std::vector<RequestResult> results;
  results.push_back(Success(0.100, {0.010, 0.030}, 3));  // TPOT 20 ms
  results.push_back(Success(0.300, {0.040}, 2));         // TPOT 40 ms
  results.push_back(Success(0.200, {}, 1));              // no TPOT
  results.back().usage_prompt_tokens = 12;               // the server's count wins
  results.push_back(Failure("HTTP 500: boom"));
  results.push_back(Failure("timed out after 1 s"));
  results.push_back(Failure("HTTP 500: boom"));
  return results;
}

TEST(BenchmarkMetricsTest, VllmArithmetic) {
  const BenchmarkMetrics m = ComputeMetrics(Results(), 2.0, {});
  EXPECT_EQ(m.num_requests, 6);
  EXPECT_EQ(m.completed, 3);
  EXPECT_EQ(m.failed, 3);
  EXPECT_EQ(m.total_input_tokens, 10 + 10 + 12);
  EXPECT_EQ(m.total_sent_prompt_len, 30);
  EXPECT_EQ(m.total_output_tokens, 6);
  EXPECT_DOUBLE_EQ(m.request_throughput, 1.5);
  EXPECT_DOUBLE_EQ(m.output_throughput, 3.0);
  EXPECT_DOUBLE_EQ(m.total_token_throughput, 19.0);
  EXPECT_EQ(m.request_goodput, std::nullopt);

  // TTFT [100, 300, 200] ms
  EXPECT_EQ(m.ttft_ms.count, 3);
  EXPECT_NEAR(m.ttft_ms.mean, 200.0, 1e-9);
  EXPECT_NEAR(m.ttft_ms.median, 200.0, 1e-9);
  EXPECT_NEAR(m.ttft_ms.p90, 280.0, 1e-9);  // rank 1.8
  EXPECT_NEAR(m.ttft_ms.p99, 298.0, 1e-9);  // rank 1.98
  // TPOT [20, 40] ms
  EXPECT_EQ(m.tpot_ms.count, 2);
  EXPECT_NEAR(m.tpot_ms.mean, 30.0, 1e-9);
  EXPECT_NEAR(m.tpot_ms.p99, 39.8, 1e-9);
  // ITL pooled [10, 30, 40] ms
  EXPECT_EQ(m.itl_ms.count, 3);
  EXPECT_NEAR(m.itl_ms.median, 30.0, 1e-9);
  EXPECT_NEAR(m.itl_ms.p90, 38.0, 1e-9);
  // E2E [140, 340, 200] ms
  EXPECT_NEAR(m.e2el_ms.mean, 226.66666666666666, 1e-9);
  EXPECT_NEAR(m.e2el_ms.median, 200.0, 1e-9);

  ASSERT_EQ(m.errors.size(), 2);
  EXPECT_EQ(m.errors[0].error, "HTTP 500: boom");
  EXPECT_EQ(m.errors[0].count, 2);
  EXPECT_EQ(m.errors[1].count, 1);
}

TEST(BenchmarkMetricsTest, Goodput) {
  GoodputTargets targets;
  targets.ttft_ms = 250;
  targets.tpot_ms = 30;
  // Request 1: TTFT 100, TPOT 20: good. Request 2: TTFT 300: not. Request 3:
  // TTFT 200, TPOT 0 (one token): good. Failures: never.
  BenchmarkMetrics m = ComputeMetrics(Results(), 2.0, targets);
  EXPECT_EQ(m.good_requests, 2);
  EXPECT_THAT(m.request_goodput, Optional(DoubleNear(1.0, 1e-12)));
  EXPECT_THAT(m.goodput_fraction, Optional(DoubleNear(2.0 / 6.0, 1e-12)));

  GoodputTargets tpot_only;
  tpot_only.tpot_ms = 50;
  m = ComputeMetrics(Results(), 2.0, tpot_only);
  EXPECT_EQ(m.good_requests, 3);
}

TEST(BenchmarkMetricsTest, NothingSucceeded) {
  const BenchmarkMetrics m = ComputeMetrics({Failure("x")}, 0.5, {});
  EXPECT_EQ(m.completed, 0);
  EXPECT_EQ(m.ttft_ms.mean, 0.0);
  EXPECT_EQ(m.request_throughput, 0.0);
}

TEST(ReportTest, TableAndJsonCarryTheSameNumbers) {
  GoodputTargets targets;
  targets.ttft_ms = 250;
  const BenchmarkMetrics m = ComputeMetrics(Results(), 2.0, targets);
  RunInfo info;
  info.endpoint = "/v1/completions";
  info.model = "tiny";
  info.request_rate = INFINITY;
  info.max_concurrency = 4;
  info.targets = targets;
  info.max_errors_shown = 1;

  const std::string table = FormatReportTable(m, info);
  EXPECT_THAT(table, HasSubstr("============ Serving Benchmark Result ============\n"));
  EXPECT_THAT(table, HasSubstr("Successful requests:                     3\n"));
  EXPECT_THAT(table, HasSubstr("Failed requests:                         3\n"));
  EXPECT_THAT(table, HasSubstr("Request throughput (req/s):              1.50\n"));
  EXPECT_THAT(table, HasSubstr("Request goodput (req/s):                 1.00\n"));
  EXPECT_THAT(table, HasSubstr("Maximum request concurrency:             4\n"));
  EXPECT_THAT(table, HasSubstr("---------------Time to First Token----------------\n"));
  EXPECT_THAT(table, HasSubstr("P90 TTFT (ms):                           280.00\n"));
  EXPECT_THAT(table, HasSubstr("-----Time per Output Token (excl. 1st token)------\n"));
  EXPECT_THAT(table, HasSubstr("Median E2EL (ms):                        200.00\n"));
  EXPECT_THAT(table, HasSubstr("2 x HTTP 500: boom"));
  EXPECT_THAT(table, ::testing::Not(HasSubstr("timed out")));  // only the first error shown

  const nlohmann::json json = ReportJson(m, info);
  EXPECT_EQ(json["completed"], 3);
  EXPECT_EQ(json["failed"], 3);
  EXPECT_EQ(json["request_rate"], "inf");
  EXPECT_EQ(json["max_concurrency"], 4);
  EXPECT_DOUBLE_EQ(json["request_throughput"].get<double>(), 1.5);
  EXPECT_DOUBLE_EQ(json["request_goodput"].get<double>(), 1.0);
  EXPECT_NEAR(json["p90_ttft_ms"].get<double>(), 280.0, 1e-9);
  EXPECT_NEAR(json["p50_ttft_ms"].get<double>(), json["median_ttft_ms"].get<double>(), 0);
  EXPECT_NEAR(json["mean_tpot_ms"].get<double>(), 30.0, 1e-9);
  EXPECT_TRUE(json.contains("p99_itl_ms"));
  EXPECT_TRUE(json.contains("std_e2el_ms"));
  EXPECT_TRUE(json["goodput_tpot_ms"].is_null());
  ASSERT_EQ(json["errors"].size(), 2);
  EXPECT_EQ(json["errors"][0]["count"], 2);
}

}  // namespace
}  // namespace weft::loadgen
