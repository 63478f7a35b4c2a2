// The GPU sampler against the CPU's SampleLogits on fresh random logits:
// the same token for every row (greedy, temperature, top-k, top-p, min-p,
// penalties, ties), the same logprobs and top-logprob ids, across batch and
// vocabulary sizes (one token, odd sizes, Qwen3's 151936). Each run draws a
// new base seed (printed; WEFT_TEST_SEED=<n> repeats a run).
#include "kernels/cuda/sampling.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "common/engine/cuda/sampling_rows.h"
#include "common/engine/sampling/sampler.h"
#include "gtest/gtest.h"
#include "kernels/cuda/cuda_test_util.h"

namespace weft::kernels::gpu {
namespace {

using testing::DeviceArray;
using testing::ExpectRejected;

uint32_t BaseSeed() {
  static const uint32_t seed = [] {
    const char* env = std::getenv("WEFT_TEST_SEED");
    const uint32_t s = env != nullptr ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10))
                                      : std::random_device{}();
    std::printf("sampling_test: WEFT_TEST_SEED=%u\n", s);
    return s;
  }();
  return seed;
}

// One row: its options, seed and history, as the engine holds them.
struct Case {
  engine::SamplingOptions options;
  uint64_t seed = 0;
  std::vector<int32_t> prompt;
  std::vector<int32_t> output;
};

struct GpuResult {
  std::vector<int32_t> tokens;
  std::vector<float> logprobs;
  std::vector<int32_t> top_ids;
  std::vector<float> top_logprobs;
};

// Samples `cases` from `logits` ([rows, stride]) on the GPU.
GpuResult SampleOnGpu(const std::vector<float>& logits, int64_t stride, int32_t vocab,
                      const std::vector<Case>& cases) {
  const int32_t rows = static_cast<int32_t>(cases.size());
  std::vector<engine::CausalLm::SampleRow> sample_rows;
  for (const Case& c : cases) sample_rows.push_back({&c.options, c.seed, c.prompt, c.output});
  const engine::gpu::SamplingInputs in = engine::gpu::BuildSamplingInputs(sample_rows);
  const std::vector<SamplingRow>& settings = in.rows;
  const std::vector<PenaltyToken>& penalties = in.penalties;
  DeviceArray<float> d_logits(logits);
  DeviceArray<SamplingRow> d_settings(settings);
  DeviceArray<PenaltyToken> d_penalties(penalties);
  const size_t ws = SampleWorkspaceBytes(rows, vocab);
  EXPECT_GT(ws, 0u);
  DeviceArray<char> d_ws(ws);
  DeviceArray<int32_t> d_tokens(std::vector<int32_t>(rows, -7));  // poisoned
  DeviceArray<float> d_logprobs(std::vector<float>(rows, NAN));
  DeviceArray<int32_t> d_top_ids(std::vector<int32_t>(rows * kMaxTopLogprobs, -7));
  DeviceArray<float> d_top_logprobs(rows * kMaxTopLogprobs);
  SampleParams p;
  p.logits = d_logits.get();
  p.logits_stride = stride;
  p.rows = rows;
  p.vocab = vocab;
  p.row_settings = d_settings.get();
  p.penalty_tokens = penalties.empty() ? nullptr : d_penalties.get();
  p.workspace = d_ws.get();
  p.workspace_bytes = ws;
  p.tokens = d_tokens.get();
  p.logprobs = d_logprobs.get();
  p.top_ids = d_top_ids.get();
  p.top_logprobs = d_top_logprobs.get();
  EXPECT_EQ(LaunchSample(p, nullptr), cudaSuccess);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  return {d_tokens.Download(), d_logprobs.Download(), d_top_ids.Download(),
          d_top_logprobs.Download()};
}

// Checks every row of the GPU's answer against SampleLogits.
void ExpectSameChoices(const std::vector<float>& logits, int64_t stride, int32_t vocab,
                       const std::vector<Case>& cases) {
  const GpuResult gpu = SampleOnGpu(logits, stride, vocab, cases);
  for (size_t r = 0; r < cases.size(); ++r) {
    const Case& c = cases[r];
    const engine::SampledToken cpu = engine::SampleLogits(
        c.options, c.seed, absl::Span<const float>(logits.data() + r * stride, vocab), c.prompt,
        c.output);
    SCOPED_TRACE(::testing::Message()
                 << "row " << r << " vocab " << vocab << " temperature " << c.options.temperature
                 << " top_k " << c.options.top_k << " top_p " << c.options.top_p << " min_p "
                 << c.options.min_p << " repetition " << c.options.repetition_penalty);
    EXPECT_EQ(gpu.tokens[r], cpu.token);
    EXPECT_NEAR(gpu.logprobs[r], cpu.logprob, 1e-5f * std::max(1.0f, std::fabs(cpu.logprob)));
    for (size_t k = 0; k < cpu.top_logprobs.size(); ++k) {
      EXPECT_EQ(gpu.top_ids[r * kMaxTopLogprobs + k], cpu.top_logprobs[k].first) << "k " << k;
      EXPECT_NEAR(gpu.top_logprobs[r * kMaxTopLogprobs + k], cpu.top_logprobs[k].second,
                  1e-5f * std::max(1.0f, std::fabs(cpu.top_logprobs[k].second)));
    }
  }
}

// Random logits: normal(0, scale); with `ties`, rounded to multiples of 0.5
// so that many candidates share a value.
std::vector<float> Logits(int32_t rows, int64_t stride, uint32_t salt, float scale, bool ties) {
  std::mt19937 rng(BaseSeed() * 2654435761u + salt);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(rows * stride);
  for (float& x : v) x = ties ? std::round(dist(rng) * 2.0f) / 2.0f : dist(rng);
  return v;
}

// A mix of settings, drawn per row.
std::vector<Case> Cases(int32_t rows, int32_t vocab, uint32_t salt) {
  std::mt19937 rng(BaseSeed() * 40503u + salt);
  auto pick = [&](auto... values) {
    const std::vector<std::common_type_t<decltype(values)...>> v{values...};
    return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
  };
  std::uniform_int_distribution<int32_t> token(0, vocab - 1);
  std::vector<Case> cases(rows);
  for (Case& c : cases) {
    c.options.temperature = pick(0.0f, 0.7f, 1.0f, 1.5f);
    c.options.top_k = pick(0, 0, 1, 5, 50, 2000);
    c.options.top_p = pick(1.0f, 1.0f, 0.9f, 0.5f);
    c.options.min_p = pick(0.0f, 0.0f, 0.05f, 0.2f);
    c.options.repetition_penalty = pick(1.0f, 1.0f, 1.3f, 0.8f);
    c.options.presence_penalty = pick(0.0f, 0.0f, 0.5f, -0.5f);
    c.options.frequency_penalty = pick(0.0f, 0.0f, 0.4f);
    c.options.top_logprobs = pick(0, 0, 1, 5, 20);
    c.seed = rng();
    const int32_t prompt_len = std::uniform_int_distribution<int32_t>(0, 40)(rng);
    const int32_t output_len = std::uniform_int_distribution<int32_t>(0, 30)(rng);
    for (int32_t i = 0; i < prompt_len; ++i) c.prompt.push_back(token(rng));
    for (int32_t i = 0; i < output_len; ++i) c.output.push_back(token(rng) % 8);  // repeats
  }
  return cases;
}

TEST(GpuSampling, MatchesTheCpuSamplerAcrossShapes) {
  uint32_t salt = 0;
  for (const int32_t vocab : {1, 7, 1000, 32007, 151936}) {
    for (const int32_t rows : {1, 3, 48}) {
      for (const bool ties : {false, true}) {
        ++salt;
        const int64_t stride = vocab + (vocab % 2);  // a padded stride on odd sizes
        const std::vector<float> logits = Logits(rows, stride, salt, 3.0f, ties);
        ExpectSameChoices(logits, stride, vocab, Cases(rows, vocab, salt));
      }
    }
  }
}

TEST(GpuSampling, GreedyTakesTheFirstMaximumAfterPenalties) {
  std::vector<float> logits = {0.1f, 3.0f, -1.0f, 3.0f, 2.9f};
  Case plain;
  plain.options.temperature = 0.0f;
  Case penalized = plain;
  penalized.options.repetition_penalty = 1.5f;  // 3.0 -> 2.0 for token 1 and 3
  penalized.prompt = {1, 3};
  const std::vector<float> two_rows = [&] {
    std::vector<float> v = logits;
    v.insert(v.end(), logits.begin(), logits.end());
    return v;
  }();
  const GpuResult gpu = SampleOnGpu(two_rows, 5, 5, {plain, penalized});
  EXPECT_EQ(gpu.tokens[0], 1);
  EXPECT_EQ(gpu.tokens[1], 4);
}

TEST(GpuSampling, SeededDrawsFollowTheDistribution) {
  // Two tokens with probabilities 0.25 / 0.75: over many seeds the GPU picks
  // the second about three times in four (and exactly as the CPU does).
  const int32_t rows = 4000;
  std::vector<float> logits;
  std::vector<Case> cases(rows);
  for (int32_t r = 0; r < rows; ++r) {
    logits.push_back(0.0f);
    logits.push_back(std::log(3.0f));
    cases[r].seed = BaseSeed() + r;
  }
  const GpuResult gpu = SampleOnGpu(logits, 2, 2, cases);
  const int32_t ones = static_cast<int32_t>(std::count(gpu.tokens.begin(), gpu.tokens.end(), 1));
  EXPECT_NEAR(ones / static_cast<double>(rows), 0.75, 0.03);
  ExpectSameChoices(logits, 2, 2, cases);
}

TEST(GpuSampling, RejectsBadArguments) {
  DeviceArray<float> logits(std::vector<float>(8, 0.0f));
  DeviceArray<SamplingRow> settings(std::vector<SamplingRow>(2));
  DeviceArray<int32_t> tokens(2);
  DeviceArray<float> logprobs(2);
  const size_t ws = SampleWorkspaceBytes(2, 4);
  DeviceArray<char> workspace(ws);
  SampleParams p;
  p.logits = logits.get();
  p.logits_stride = 4;
  p.rows = 2;
  p.vocab = 4;
  p.row_settings = settings.get();
  p.workspace = workspace.get();
  p.workspace_bytes = ws;
  p.tokens = tokens.get();
  p.logprobs = logprobs.get();
  EXPECT_EQ(LaunchSample(p, nullptr), cudaSuccess);
  ExpectRejected(p, [](const SampleParams& q) { return LaunchSample(q, nullptr); },
                 {
                     [&](SampleParams& b) { b.workspace_bytes = ws - 1; },
                     [](SampleParams& b) { b.logits_stride = 3; },
                     [](SampleParams& b) { b.tokens = nullptr; },
                 });
  EXPECT_EQ(SampleWorkspaceBytes(0, 4), 0u);
  EXPECT_EQ(SampleWorkspaceBytes(1 << 16, 1 << 16), 0u);  // over cub's int item count
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
}

}  // namespace
}  // namespace weft::kernels::gpu
