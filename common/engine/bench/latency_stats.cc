#include "common/engine/bench/latency_stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace weft::engine::bench {

double NearestRankPercentile(const std::vector<double>& sorted, double p) {
  const double n = static_cast<double>(sorted.size());
  const size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(p / 100.0 * n)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

LatencyStats Summarize(std::vector<double> samples) {
  LatencyStats stats;
  if (samples.empty()) return stats;
  std::sort(samples.begin(), samples.end());
  stats.count = static_cast<int>(samples.size());
  stats.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / samples.size();
  stats.p50 = NearestRankPercentile(samples, 50.0);
  stats.p99 = NearestRankPercentile(samples, 99.0);
  stats.max = samples.back();
  return stats;
}

}  // namespace weft::engine::bench
