// Summary statistics of a set of latencies, computed as vLLM's
// benchmark_serving.py does with numpy: mean, population standard deviation
// (np.std), median and percentiles by linear interpolation between closest
// ranks (np.percentile's default, method="linear").
#ifndef WEFT_TESTS_LOADGEN_LATENCY_STATS_H_
#define WEFT_TESTS_LOADGEN_LATENCY_STATS_H_

#include <vector>

namespace weft::loadgen {

struct LatencySummary {
  int count = 0;
  double mean = 0.0;
  double std = 0.0;  // population standard deviation (ddof=0)
  double median = 0.0;
  double p90 = 0.0;
  double p99 = 0.0;
};

// np.percentile(sorted, p) for ascending, non-empty `sorted` and 0 <= p <=
// 100: the value at rank (n - 1) * p / 100, interpolated linearly between the
// two samples around it.
double Percentile(const std::vector<double>& sorted, double p);

// Summary of `samples` (any order, any unit; the result is in the same unit).
// All zero for no samples, as vLLM's `np.mean(xs or 0)` gives.
LatencySummary Summarize(std::vector<double> samples);

}  // namespace weft::loadgen

#endif  // WEFT_TESTS_LOADGEN_LATENCY_STATS_H_
