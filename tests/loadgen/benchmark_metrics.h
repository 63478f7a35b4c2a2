// BenchmarkMetrics: the aggregate of a run, computed as vLLM's
// benchmark_serving.py calculate_metrics does: only successful requests
// contribute latencies and tokens; TPOT = (E2E - TTFT) / (output_tokens - 1)
// for requests with more than one output token; ITL pools every gap of every
// request; goodput counts the successful requests whose TTFT and TPOT (0 for
// one output token) are within the targets given.
#ifndef WEFT_TESTS_LOADGEN_BENCHMARK_METRICS_H_
#define WEFT_TESTS_LOADGEN_BENCHMARK_METRICS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/loadgen/latency_stats.h"
#include "tests/loadgen/request_result.h"

namespace weft::loadgen {

// Service-level objectives for goodput, in milliseconds; unset: not checked.
struct GoodputTargets {
  std::optional<double> ttft_ms;
  std::optional<double> tpot_ms;

  bool any() const { return ttft_ms.has_value() || tpot_ms.has_value(); }
};

struct ErrorCount {
  std::string error;
  int count = 0;
};

struct BenchmarkMetrics {
  int num_requests = 0;
  int completed = 0;  // successful
  int failed = 0;
  double duration_s = 0.0;

  // Over successful requests. Input tokens of a request: the server's
  // usage.prompt_tokens when reported, else the prompt length sent.
  int64_t total_input_tokens = 0;
  int64_t total_sent_prompt_len = 0;  // as sent (ids or words)
  int64_t total_output_tokens = 0;

  double request_throughput = 0.0;      // completed / duration, req/s
  double output_throughput = 0.0;       // tok/s
  double total_token_throughput = 0.0;  // (input + output) / duration, tok/s

  // Set only when targets were given.
  std::optional<double> request_goodput;   // good requests / duration, req/s
  std::optional<double> goodput_fraction;  // good requests / num_requests
  int good_requests = 0;

  // Milliseconds.
  LatencySummary ttft_ms;
  LatencySummary tpot_ms;
  LatencySummary itl_ms;
  LatencySummary e2el_ms;

  // Distinct errors of failed requests, most frequent first (ties: first
  // seen first).
  std::vector<ErrorCount> errors;
};

BenchmarkMetrics ComputeMetrics(const std::vector<RequestResult>& results, double duration_s,
                                const GoodputTargets& targets);

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_BENCHMARK_METRICS_H_
