#include "common/engine/sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace weft::engine {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

std::vector<double> LogSoftmax(const std::vector<float>& logits) {
  const float max = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float l : logits) {
    if (l != kNegInf) sum += std::exp(static_cast<double>(l) - max);
  }
  const double log_sum = std::log(sum) + max;
  std::vector<double> out(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) out[i] = logits[i] - log_sum;
  return out;
}

// Token ids sorted by descending value; ties to the lower id.
std::vector<int32_t> SortedByValue(const std::vector<float>& values) {
  std::vector<int32_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return values[a] > values[b]; });
  return order;
}

}  // namespace

absl::Status ValidateSamplingOptions(const SamplingOptions& o) {
  auto bad = [](const char* field, double value, const char* range) {
    return absl::InvalidArgumentError(absl::StrCat(field, " = ", value, " is outside ", range));
  };
  if (!(o.temperature >= 0.0f) || !std::isfinite(o.temperature)) {
    return bad("temperature", o.temperature, "[0, inf)");
  }
  if (o.top_k < 0) return bad("top_k", o.top_k, "0 (off) or a positive count");
  if (!(o.top_p > 0.0f && o.top_p <= 1.0f)) return bad("top_p", o.top_p, "(0, 1]");
  if (!(o.min_p >= 0.0f && o.min_p <= 1.0f)) return bad("min_p", o.min_p, "[0, 1]");
  if (!(o.repetition_penalty > 0.0f) || !std::isfinite(o.repetition_penalty)) {
    return bad("repetition_penalty", o.repetition_penalty, "(0, inf)");
  }
  if (!(o.presence_penalty >= -2.0f && o.presence_penalty <= 2.0f)) {
    return bad("presence_penalty", o.presence_penalty, "[-2, 2]");
  }
  if (!(o.frequency_penalty >= -2.0f && o.frequency_penalty <= 2.0f)) {
    return bad("frequency_penalty", o.frequency_penalty, "[-2, 2]");
  }
  if (o.top_logprobs < 0 || o.top_logprobs > 20) {
    return bad("top_logprobs", o.top_logprobs, "[0, 20]");
  }
  return absl::OkStatus();
}

Sampler::Sampler(const SamplingOptions& options)
    : options_(options),
      seed_(options.seed.has_value()
                ? *options.seed
                : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}

uint64_t Sampler::TokenSeed(uint64_t seed, uint64_t position) {
  // SplitMix64 finalizer over (seed, position): independent streams per
  // position, so where a token is sampled does not change it.
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (position + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double Sampler::TokenUniform(uint64_t seed, uint64_t position) {
  return static_cast<double>(TokenSeed(seed, position) >> 11) * 0x1.0p-53;
}

SampledToken Sampler::Sample(absl::Span<const float> raw, absl::Span<const int32_t> prompt,
                             absl::Span<const int32_t> output) {
  return SampleLogits(options_, seed_, raw, prompt, output);
}

SampledToken SampleLogits(const SamplingOptions& options, uint64_t seed,
                          absl::Span<const float> raw, absl::Span<const int32_t> prompt,
                          absl::Span<const int32_t> output) {
  const int32_t vocab = static_cast<int32_t>(raw.size());
  std::vector<float> logits(raw.begin(), raw.end());

  // Logprobs: the raw distribution.
  SampledToken result;
  const std::vector<double> raw_logprobs = LogSoftmax(logits);

  // Penalties.
  if (options.repetition_penalty != 1.0f) {
    absl::flat_hash_set<int32_t> seen(prompt.begin(), prompt.end());
    seen.insert(output.begin(), output.end());
    for (int32_t t : seen) {
      if (t < 0 || t >= vocab) continue;
      logits[t] = logits[t] > 0 ? logits[t] / options.repetition_penalty
                                : logits[t] * options.repetition_penalty;
    }
  }
  if (options.frequency_penalty != 0.0f || options.presence_penalty != 0.0f) {
    absl::flat_hash_map<int32_t, int32_t> counts;
    for (int32_t t : output) ++counts[t];
    for (const auto& [t, count] : counts) {
      if (t < 0 || t >= vocab) continue;
      logits[t] -= options.frequency_penalty * count + options.presence_penalty;
    }
  }

  // Below this, temperature scaling overflows float; it is greedy anyway.
  constexpr float kGreedyTemperature = 1e-5f;
  if (options.temperature < kGreedyTemperature) {
    result.token = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) -
                                        logits.begin());  // first maximum: lowest id
  } else {
    for (float& l : logits) l /= options.temperature;
    const std::vector<int32_t> order = SortedByValue(logits);
    size_t keep = order.size();
    if (options.top_k > 0) keep = std::min(keep, static_cast<size_t>(options.top_k));
    // Probabilities of the candidates, in order.
    const float max = logits[order[0]];
    std::vector<double> probs(keep);
    double total = 0.0;
    for (size_t i = 0; i < keep; ++i) total += probs[i] = std::exp(double{logits[order[i]]} - max);
    for (double& p : probs) p /= total;
    if (options.top_p < 1.0f) {
      double cumulative = 0.0;
      size_t i = 0;
      while (i < keep) {
        cumulative += probs[i++];
        if (cumulative >= options.top_p) break;
      }
      keep = i;
    }
    if (options.min_p > 0.0f) {
      const double threshold = options.min_p * probs[0];
      size_t i = 1;
      while (i < keep && probs[i] >= threshold) ++i;
      keep = i;
    }
    double kept = 0.0;
    for (size_t i = 0; i < keep; ++i) kept += probs[i];
    const double target = Sampler::TokenUniform(seed, output.size()) * kept;
    double cumulative = 0.0;
    size_t pick = 0;
    while (pick + 1 < keep) {
      cumulative += probs[pick];
      if (cumulative > target) break;
      ++pick;
    }
    result.token = order[pick];
  }

  result.logprob = static_cast<float>(raw_logprobs[result.token]);
  if (options.top_logprobs > 0) {
    std::vector<float> raw_values(raw.begin(), raw.end());
    const std::vector<int32_t> order = SortedByValue(raw_values);
    const int32_t n = std::min(options.top_logprobs, vocab);
    for (int32_t i = 0; i < n; ++i) {
      result.top_logprobs.emplace_back(order[i], static_cast<float>(raw_logprobs[order[i]]));
    }
  }
  return result;
}

}  // namespace weft::engine
