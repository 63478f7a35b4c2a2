#include "router/serving/latency_predictor.h"

#include <algorithm>
#include <vector>

namespace weft::router {

std::optional<absl::Duration> PredictTtft(const weft::v1::LoadReport& load,
                                          const InstanceWork& outstanding,
                                          int64_t uncached_prompt_tokens) {
  const int64_t queued =
      std::max(static_cast<int64_t>(load.waiting_prompt_tokens()), outstanding.prefill_tokens);
  const double tokens = static_cast<double>(queued + std::max<int64_t>(uncached_prompt_tokens, 1));
  if (load.prefill_seconds_per_token() > 0) {
    return absl::Seconds(load.prefill_step_overhead_seconds() +
                         tokens * load.prefill_seconds_per_token());
  }
  const double rate = load.prefill_tokens_per_second();
  if (!(rate > 0)) return std::nullopt;
  return absl::Seconds(tokens / rate);
}

std::optional<double> StepSecondsAt(const weft::v1::LoadReport& load, double batch_size) {
  std::vector<std::pair<double, double>> points;  // (batch size, seconds)
  for (const weft::v1::DecodeStepTime& t : load.decode_step_times()) {
    if (t.batch_size() > 0 && t.seconds() > 0) points.emplace_back(t.batch_size(), t.seconds());
  }
  if (points.empty()) {
    if (load.recent_step_seconds() > 0) return load.recent_step_seconds();
    return std::nullopt;
  }
  std::sort(points.begin(), points.end());
  if (batch_size <= points.front().first) return points.front().second;
  for (size_t i = 1; i < points.size(); ++i) {
    const auto [b0, s0] = points[i - 1];
    const auto [b1, s1] = points[i];
    if (batch_size <= b1) {
      if (b1 <= b0) return s1;
      return s0 + (s1 - s0) * (batch_size - b0) / (b1 - b0);
    }
  }
  // Past the largest measured batch: the least-squares slope over all the
  // measured sizes (the last two alone are too noisy to extrapolate far),
  // never negative; with one point, the time stays flat.
  const auto [bl, sl] = points.back();
  if (points.size() < 2) return sl;
  double mb = 0, ms = 0;
  for (const auto& [b, s] : points) {
    mb += b;
    ms += s;
  }
  mb /= static_cast<double>(points.size());
  ms /= static_cast<double>(points.size());
  double cov = 0, var = 0;
  for (const auto& [b, s] : points) {
    cov += (b - mb) * (s - ms);
    var += (b - mb) * (b - mb);
  }
  const double slope = var > 0 ? std::max(0.0, cov / var) : 0.0;
  return sl + slope * (batch_size - bl);
}

std::optional<absl::Duration> PredictTpot(const weft::v1::LoadReport& load,
                                          const InstanceWork& outstanding) {
  const int64_t reported =
      static_cast<int64_t>(load.running_sequences()) + load.waiting_sequences();
  const double batch = static_cast<double>(std::max(reported, outstanding.sequences) + 1);
  std::optional<double> seconds = StepSecondsAt(load, batch);
  if (!seconds.has_value()) return std::nullopt;
  return absl::Seconds(*seconds);
}

}  // namespace weft::router
