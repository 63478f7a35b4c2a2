// Summary statistics of a set of latencies (seconds): mean, median, 99th
// percentile and maximum. Percentiles are nearest-rank (the smallest sample
// with at least p% of the samples at or below it), so with fewer than 100
// samples p99 is the maximum.
#ifndef WEFT_COMMON_ENGINE_BENCH_LATENCY_STATS_H_
#define WEFT_COMMON_ENGINE_BENCH_LATENCY_STATS_H_

#include <vector>

namespace weft::engine::bench {

struct LatencyStats {
  int count = 0;
  double mean = 0.0;
  double p50 = 0.0;
  double p99 = 0.0;
  double max = 0.0;
};

// All zero for no samples.
LatencyStats Summarize(std::vector<double> samples);

// Nearest-rank percentile of sorted, non-empty `sorted`; 0 < p <= 100.
double NearestRankPercentile(const std::vector<double>& sorted, double p);

}  // namespace weft::engine::bench

#endif  // WEFT_COMMON_ENGINE_BENCH_LATENCY_STATS_H_
