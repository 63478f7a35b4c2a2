#include "tests/loadgen/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace weft::loadgen {

double Percentile(const std::vector<double>& sorted, double p) {
  const double rank = static_cast<double>(sorted.size() - 1) * std::clamp(p, 0.0, 100.0) / 100.0;
  const size_t lower = static_cast<size_t>(std::floor(rank));
  const size_t upper = std::min(lower + 1, sorted.size() - 1);
  const double fraction = rank - static_cast<double>(lower);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction;
}

LatencySummary Summarize(std::vector<double> samples) {
  LatencySummary summary;
  if (samples.empty()) return summary;
  std::sort(samples.begin(), samples.end());
  summary.count = static_cast<int>(samples.size());
  double sum = 0.0;
  for (double x : samples) sum += x;
  summary.mean = sum / samples.size();
  double squares = 0.0;
  for (double x : samples) squares += (x - summary.mean) * (x - summary.mean);
  summary.std = std::sqrt(squares / samples.size());
  summary.median = Percentile(samples, 50.0);
  summary.p90 = Percentile(samples, 90.0);
  summary.p99 = Percentile(samples, 99.0);
  return summary;
}

}  // namespace weft::loadgen
