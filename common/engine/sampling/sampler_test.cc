#include "common/engine/sampling/sampler.h"

#include <cmath>
#include <map>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::engine {
namespace {

using ::testing::HasSubstr;

std::vector<float> LogitsFromProbs(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::map<int32_t, int> Histogram(SamplingOptions options, const std::vector<float>& logits,
                                 int draws) {
  options.seed = 1234;
  Sampler sampler(options);
  std::map<int32_t, int> counts;
  // Each draw at its own output position (the draw depends on it).
  const std::vector<int32_t> output(draws, 0);
  for (int i = 0; i < draws; ++i) {
    ++counts[sampler.Sample(logits, {}, absl::Span<const int32_t>(output).first(i)).token];
  }
  return counts;
}

TEST(Sampler, GreedyTakesArgmaxLowestIdOnTies) {
  SamplingOptions o;
  o.temperature = 0.0f;
  Sampler s(o);
  EXPECT_EQ(s.Sample({0.1f, 3.0f, -1.0f, 3.0f}, {}, {}).token, 1);
}

TEST(Sampler, SameSeedSameTokensDifferentSeedDifferentTokens) {
  const std::vector<float> logits = LogitsFromProbs({0.2, 0.2, 0.2, 0.2, 0.2});
  SamplingOptions o;
  o.seed = 42;
  Sampler a(o), b(o);
  o.seed = 43;
  Sampler c(o);
  std::vector<int32_t> ta, tb, tc;
  for (int i = 0; i < 64; ++i) {
    ta.push_back(a.Sample(logits, {}, ta).token);
    tb.push_back(b.Sample(logits, {}, tb).token);
    tc.push_back(c.Sample(logits, {}, tc).token);
  }
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, tc);
}

// Where a token is sampled does not matter: a fresh sampler with the same
// seed, asked for the token at output position 5, gives what the first
// sampler gave there (prefill samples the first token, decode the rest).
TEST(Sampler, DrawDependsOnlyOnSeedAndPosition) {
  const std::vector<float> logits = LogitsFromProbs({0.2, 0.2, 0.2, 0.2, 0.2});
  SamplingOptions o;
  o.seed = 42;
  Sampler a(o);
  std::vector<int32_t> tokens;
  for (int i = 0; i < 8; ++i) tokens.push_back(a.Sample(logits, {}, tokens).token);
  Sampler b(o);
  EXPECT_EQ(b.Sample(logits, {}, absl::Span<const int32_t>(tokens).first(5)).token, tokens[5]);
  EXPECT_NE(Sampler::TokenSeed(42, 0), Sampler::TokenSeed(42, 1));
  EXPECT_NE(Sampler::TokenSeed(42, 0), Sampler::TokenSeed(43, 0));
}

TEST(Sampler, TemperatureOneFollowsTheDistribution) {
  const auto counts = Histogram({}, LogitsFromProbs({0.5, 0.3, 0.2}), 20000);
  EXPECT_NEAR(counts.at(0) / 20000.0, 0.5, 0.02);
  EXPECT_NEAR(counts.at(1) / 20000.0, 0.3, 0.02);
  EXPECT_NEAR(counts.at(2) / 20000.0, 0.2, 0.02);
}

TEST(Sampler, TopKTopPMinPCutTheTail) {
  const auto logits = LogitsFromProbs({0.5, 0.3, 0.15, 0.05});
  SamplingOptions k1;
  k1.top_k = 1;
  k1.temperature = 5.0f;
  EXPECT_EQ(Histogram(k1, logits, 500).size(), 1u);

  SamplingOptions p;
  p.top_p = 0.6f;  // 0.5 < 0.6 <= 0.8: keeps tokens 0 and 1
  auto counts = Histogram(p, logits, 20000);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_NEAR(counts.at(0) / 20000.0, 0.625, 0.02);

  SamplingOptions m;
  m.min_p = 0.5f;  // threshold 0.25: tokens 0 and 1
  counts = Histogram(m, logits, 5000);
  EXPECT_EQ(counts.size(), 2u);
  EXPECT_EQ(counts.count(2), 0u);
}

TEST(Sampler, PenaltiesChangeTheGreedyChoice) {
  SamplingOptions o;
  o.temperature = 0.0f;
  o.repetition_penalty = 2.0f;  // 4.0 -> 2.0 for a seen token
  EXPECT_EQ(Sampler(o).Sample({4.0f, 3.0f}, {0}, {}).token, 1);
  o.repetition_penalty = 1.0f;
  o.frequency_penalty = 0.6f;  // token 0 seen twice: 4.0 - 1.2 = 2.8
  EXPECT_EQ(Sampler(o).Sample({4.0f, 3.0f}, {}, {0, 0}).token, 1);
  EXPECT_EQ(Sampler(o).Sample({4.0f, 3.0f}, {}, {0}).token, 0);  // 3.4 > 3.0
  o.frequency_penalty = 0.0f;
  o.presence_penalty = 1.5f;  // once is enough: 4.0 - 1.5 = 2.5
  EXPECT_EQ(Sampler(o).Sample({4.0f, 3.0f}, {}, {0}).token, 1);
  // Presence and frequency apply to output tokens only, not the prompt.
  EXPECT_EQ(Sampler(o).Sample({4.0f, 3.0f}, {0}, {}).token, 0);
  // Negative logits are multiplied by the repetition penalty.
  o.presence_penalty = 0.0f;
  o.repetition_penalty = 3.0f;
  EXPECT_EQ(Sampler(o).Sample({-1.0f, -2.5f}, {0}, {}).token, 1);  // -3.0 < -2.5
}

TEST(Sampler, LogprobsAreOfTheRawDistribution) {
  SamplingOptions o;
  o.temperature = 0.0f;
  o.top_logprobs = 2;
  o.repetition_penalty = 10.0f;
  const std::vector<float> logits = {2.0f, 1.0f, 0.0f};
  const SampledToken t = Sampler(o).Sample(logits, {0}, {});
  const double z = std::log(std::exp(2.0) + std::exp(1.0) + 1.0);
  EXPECT_EQ(t.token, 1);                  // the penalty moved the choice...
  EXPECT_NEAR(t.logprob, 1.0 - z, 1e-6);  // ...not the logprobs
  ASSERT_EQ(t.top_logprobs.size(), 2u);
  EXPECT_EQ(t.top_logprobs[0].first, 0);
  EXPECT_NEAR(t.top_logprobs[0].second, 2.0 - z, 1e-6);
  EXPECT_EQ(t.top_logprobs[1].first, 1);
}

TEST(SamplingOptions, ValidationNamesTheOption) {
  SamplingOptions o;
  EXPECT_TRUE(ValidateSamplingOptions(o).ok());
  o.top_p = 0.0f;
  EXPECT_THAT(ValidateSamplingOptions(o).message(), HasSubstr("top_p"));
  o = {};
  o.temperature = -1.0f;
  EXPECT_THAT(ValidateSamplingOptions(o).message(), HasSubstr("temperature"));
  o = {};
  o.top_logprobs = 21;
  EXPECT_THAT(ValidateSamplingOptions(o).message(), HasSubstr("top_logprobs"));
  o = {};
  o.presence_penalty = 2.5f;
  EXPECT_THAT(ValidateSamplingOptions(o).message(), HasSubstr("presence_penalty"));
  o = {};
  o.repetition_penalty = 0.0f;
  EXPECT_EQ(ValidateSamplingOptions(o).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace weft::engine

namespace weft::engine {
namespace {

TEST(Sampler, TinyTemperatureIsGreedyNotNan) {
  SamplingOptions o;
  o.temperature = 1e-30f;
  Sampler s(o);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(s.Sample({0.1f, 3.0f, 2.9f}, {}, {}).token, 1);
}

}  // namespace
}  // namespace weft::engine
