#include "tests/loadgen/benchmark_metrics.h"

#include <algorithm>
#include <utility>

namespace weft::loadgen {
namespace {

constexpr double kMsPerSecond = 1000.0;

}  // namespace

BenchmarkMetrics ComputeMetrics(const std::vector<RequestResult>& results, double duration_s,
                                const GoodputTargets& targets) {
  BenchmarkMetrics m;
  m.num_requests = static_cast<int>(results.size());
  m.duration_s = duration_s;
  std::vector<double> ttfts, tpots, itls, e2els;
  for (const RequestResult& r : results) {
    if (!r.success) {
      ++m.failed;
      auto it = std::find_if(m.errors.begin(), m.errors.end(),
                             [&](const ErrorCount& e) { return e.error == r.error; });
      if (it == m.errors.end()) {
        m.errors.push_back({r.error, 1});
      } else {
        ++it->count;
      }
      continue;
    }
    ++m.completed;
    m.total_input_tokens += r.usage_prompt_tokens.value_or(r.prompt_len);
    m.total_sent_prompt_len += r.prompt_len;
    m.total_output_tokens += r.output_tokens;
    double tpot_s = 0.0;  // vLLM: 0 for one output token, for goodput only
    if (r.output_tokens > 1) {
      tpot_s = (r.e2e_s - r.ttft_s) / static_cast<double>(r.output_tokens - 1);
      tpots.push_back(tpot_s * kMsPerSecond);
    }
    ttfts.push_back(r.ttft_s * kMsPerSecond);
    e2els.push_back(r.e2e_s * kMsPerSecond);
    for (double itl : r.itl_s) itls.push_back(itl * kMsPerSecond);
    if (targets.any()) {
      const bool good = (!targets.ttft_ms || r.ttft_s * kMsPerSecond <= *targets.ttft_ms) &&
                        (!targets.tpot_ms || tpot_s * kMsPerSecond <= *targets.tpot_ms);
      if (good) ++m.good_requests;
    }
  }
  std::stable_sort(m.errors.begin(), m.errors.end(),
                   [](const ErrorCount& a, const ErrorCount& b) { return a.count > b.count; });
  if (duration_s > 0) {
    m.request_throughput = m.completed / duration_s;
    m.output_throughput = m.total_output_tokens / duration_s;
    m.total_token_throughput = (m.total_input_tokens + m.total_output_tokens) / duration_s;
  }
  if (targets.any()) {
    m.request_goodput = duration_s > 0 ? m.good_requests / duration_s : 0.0;
    m.goodput_fraction =
        m.num_requests > 0 ? static_cast<double>(m.good_requests) / m.num_requests : 0.0;
  }
  m.ttft_ms = Summarize(std::move(ttfts));
  m.tpot_ms = Summarize(std::move(tpots));
  m.itl_ms = Summarize(std::move(itls));
  m.e2el_ms = Summarize(std::move(e2els));
  return m;
}

}  // namespace weft::loadgen
