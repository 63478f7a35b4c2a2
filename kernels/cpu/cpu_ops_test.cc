// The CPU operators against float64 references on seeded random inputs of
// odd sizes, and against values computed independently (Python, float64)
// for the RoPE frequency schedules.
#include <cmath>
#include <numeric>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/linear.h"
#include "kernels/cpu/moe_routing.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/rope.h"
#include "kernels/cpu/test_util.h"

namespace weft::kernels::cpu {
namespace {

using test_util::RandomVector;
using test_util::RelativeError;

TEST(RmsNorm, MatchesFloat64Reference) {
  for (int64_t dim : {1, 7, 128, 1000}) {
    const int64_t rows = 5;
    auto x = RandomVector(rows * dim, 1, 3.0f);
    auto w = RandomVector(dim, 2);
    std::vector<float> out(rows * dim);
    RmsNorm(x.data(), w.data(), rows, dim, 1e-6f, out.data());
    std::vector<double> ref(rows * dim);
    for (int64_t r = 0; r < rows; ++r) {
      double ss = 0;
      for (int64_t i = 0; i < dim; ++i) ss += double{x[r * dim + i]} * x[r * dim + i];
      const double inv = 1.0 / std::sqrt(ss / dim + 1e-6);
      for (int64_t i = 0; i < dim; ++i) ref[r * dim + i] = x[r * dim + i] * inv * w[i];
    }
    EXPECT_LT(RelativeError(out, ref), 1e-6) << dim;
  }
}

TEST(RmsNorm, FusedResidualAdd) {
  const int64_t rows = 3, dim = 33;
  auto residual = RandomVector(rows * dim, 3);
  auto delta = RandomVector(rows * dim, 4);
  auto w = RandomVector(dim, 5);
  std::vector<float> expected_residual(rows * dim), expected(rows * dim), out(rows * dim);
  for (int64_t i = 0; i < rows * dim; ++i) expected_residual[i] = residual[i] + delta[i];
  RmsNorm(expected_residual.data(), w.data(), rows, dim, 1e-5f, expected.data());
  AddRmsNorm(residual.data(), delta.data(), w.data(), rows, dim, 1e-5f, out.data());
  EXPECT_EQ(residual, expected_residual);
  EXPECT_EQ(out, expected);
}

TEST(Linear, MatchesFloat64ReferenceWithAndWithoutBias) {
  struct Shape {
    int64_t m, k, n;
  };
  for (const Shape s : {Shape{1, 1, 1}, Shape{3, 17, 5}, Shape{64, 128, 96}, Shape{7, 300, 1}}) {
    auto x = RandomVector(s.m * s.k, 6);
    auto w = RandomVector(s.n * s.k, 7);
    auto b = RandomVector(s.n, 8);
    for (bool with_bias : {false, true}) {
      std::vector<float> y(s.m * s.n);
      Linear(x.data(), s.m, s.k, w.data(), s.n, with_bias ? b.data() : nullptr, y.data());
      std::vector<double> ref(s.m * s.n);
      for (int64_t i = 0; i < s.m; ++i) {
        for (int64_t j = 0; j < s.n; ++j) {
          double acc = with_bias ? b[j] : 0.0;
          for (int64_t kk = 0; kk < s.k; ++kk) acc += double{x[i * s.k + kk]} * w[j * s.k + kk];
          ref[i * s.n + j] = acc;
        }
      }
      EXPECT_LT(RelativeError(y, ref), 1e-5) << s.m << "x" << s.k << "x" << s.n;
    }
  }
  std::vector<float> y;
  Linear(nullptr, 0, 4, nullptr, 3, nullptr, y.data());  // no rows: no access
}

TEST(SiluAndMul, MatchesDefinition) {
  const int64_t rows = 4, inter = 9;
  auto gate_up = RandomVector(rows * 2 * inter, 9, 4.0f);
  std::vector<float> out(rows * inter);
  SiluAndMul(gate_up.data(), rows, inter, out.data());
  std::vector<double> ref(rows * inter);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < inter; ++i) {
      const double g = gate_up[r * 2 * inter + i], u = gate_up[r * 2 * inter + inter + i];
      ref[r * inter + i] = g / (1 + std::exp(-g)) * u;
    }
  }
  EXPECT_LT(RelativeError(out, ref), 1e-6);
}

TEST(Rope, DefaultFrequenciesAndRelativePosition) {
  RopeParams p;
  p.rotary_dim = 32;
  p.theta = 10000.0;
  RopeTable table(p);
  ASSERT_EQ(table.inv_freq().size(), 16u);
  EXPECT_FLOAT_EQ(table.inv_freq()[0], 1.0f);
  EXPECT_NEAR(table.inv_freq()[8], 1.0 / std::pow(10000.0, 0.5), 1e-7);
  EXPECT_EQ(table.attention_scaling(), 1.0f);
  // <rope(q, a), rope(k, b)> depends on a - b only, and norms are kept.
  auto q = RandomVector(32, 10), k = RandomVector(32, 11);
  auto dot_at = [&](int32_t a, int32_t b, RopeLayout layout) {
    auto qa = q, kb = k;
    table.Apply(qa.data(), &a, 1, 1, 32, 0, layout);
    table.Apply(kb.data(), &b, 1, 1, 32, 0, layout);
    double d = 0;
    for (int i = 0; i < 32; ++i) d += double{qa[i]} * kb[i];
    return d;
  };
  for (RopeLayout layout : {RopeLayout::kNeox, RopeLayout::kInterleaved}) {
    EXPECT_NEAR(dot_at(5, 2, layout), dot_at(103, 100, layout), 1e-4);
    EXPECT_GT(std::abs(dot_at(5, 2, layout) - dot_at(5, 3, layout)), 1e-4);
  }
}

TEST(Rope, InterleavedIsNeoxOnTheDeinterleavedHead) {
  RopeParams p;
  p.rotary_dim = 16;
  RopeTable table(p);
  // Two heads of stride 24 with the rotary part at offset 8 (MLA layout:
  // nope dims first, rope dims last).
  auto x = RandomVector(2 * 3 * 24, 12);
  auto expected = x;
  const std::vector<int32_t> positions = {0, 7};
  for (int t = 0; t < 2; ++t) {
    for (int h = 0; h < 3; ++h) {
      float* v = expected.data() + (t * 3 + h) * 24 + 8;
      std::vector<float> d(16);
      for (int i = 0; i < 8; ++i) {
        d[i] = v[2 * i];
        d[8 + i] = v[2 * i + 1];
      }
      std::copy(d.begin(), d.end(), v);
    }
  }
  table.Apply(expected.data(), positions.data(), 2, 3, 24, 8, RopeLayout::kNeox);
  table.Apply(x.data(), positions.data(), 2, 3, 24, 8, RopeLayout::kInterleaved);
  EXPECT_EQ(x, expected);
}

TEST(Rope, Llama3ScheduleMatchesIndependentComputation) {
  RopeParams p;
  p.rotary_dim = 128;
  p.theta = 500000.0;
  p.type = RopeType::kLlama3;
  p.factor = 8;
  p.low_freq_factor = 1;
  p.high_freq_factor = 4;
  p.original_max_position_embeddings = 8192;
  RopeTable table(p);
  const std::vector<std::pair<int, double>> expected = {{0, 1.0},
                                                        {20, 0.016560440080994446},
                                                        {40, 3.428102195952591e-05},
                                                        {50, 4.411534674558404e-06},
                                                        {63, 3.068925988914511e-07}};
  for (const auto& [i, value] : expected) {
    EXPECT_NEAR(table.inv_freq()[i] / value, 1.0, 1e-5) << i;
  }
}

TEST(Rope, YarnScheduleAndAttentionFactor) {
  RopeParams p;
  p.rotary_dim = 64;
  p.theta = 10000.0;
  p.type = RopeType::kYarn;
  p.factor = 40;
  p.original_max_position_embeddings = 4096;
  p.mscale = 1.0;
  p.mscale_all_dim = 0.707;
  RopeTable table(p);
  const std::vector<std::pair<int, double>> expected = {{0, 1.0},
                                                        {5, 0.23713737056616555},
                                                        {10, 0.056234132519034905},
                                                        {20, 0.0007905694150420945},
                                                        {31, 3.3338035804083097e-06}};
  for (const auto& [i, value] : expected) {
    EXPECT_NEAR(table.inv_freq()[i] / value, 1.0, 1e-5) << i;
  }
  EXPECT_NEAR(table.attention_scaling(), 1.0857263992561355, 1e-6);
  EXPECT_NEAR(YarnMscale(40, 1.0), 1.3688879454113936, 1e-12);
  EXPECT_EQ(YarnMscale(1.0, 5.0), 1.0);
}

// transformers: without `mscale` the factor is get_mscale(factor) even when
// `mscale_all_dim` is set (the ratio needs both); an explicit
// attention_factor wins over both.
TEST(Rope, YarnAttentionFactorWithoutMscale) {
  RopeParams p;
  p.rotary_dim = 64;
  p.type = RopeType::kYarn;
  p.factor = 40;
  p.original_max_position_embeddings = 4096;
  p.mscale = 0.0;  // absent
  p.mscale_all_dim = 0.707;
  EXPECT_NEAR(RopeTable(p).attention_scaling(), YarnMscale(40, 1.0), 1e-6);
  p.attention_factor = 0.5;
  EXPECT_NEAR(RopeTable(p).attention_scaling(), 0.5, 1e-7);
}

TEST(MoeRouting, SoftmaxTopKMatchesBruteForce) {
  const int64_t tokens = 6;
  const int32_t experts = 16, k = 4;
  auto logits = RandomVector(tokens * experts, 13, 2.0f);
  for (bool normalize : {false, true}) {
    std::vector<int32_t> ids(tokens * k);
    std::vector<float> weights(tokens * k), margins(tokens);
    SoftmaxTopK(logits.data(), tokens, experts, k, normalize, ids.data(), weights.data(),
                margins.data());
    for (int64_t t = 0; t < tokens; ++t) {
      std::vector<double> p(experts);
      double sum = 0;
      for (int e = 0; e < experts; ++e) sum += p[e] = std::exp(double{logits[t * experts + e]});
      for (double& v : p) v /= sum;
      std::vector<int32_t> order(experts);
      std::iota(order.begin(), order.end(), 0);
      std::sort(order.begin(), order.end(), [&](int a, int b) { return p[a] > p[b]; });
      double chosen = 0;
      for (int j = 0; j < k; ++j) chosen += p[order[j]];
      for (int j = 0; j < k; ++j) {
        EXPECT_EQ(ids[t * k + j], order[j]);
        EXPECT_NEAR(weights[t * k + j], normalize ? p[order[j]] / chosen : p[order[j]], 1e-6);
      }
      // The margin is in logits: the k-th largest minus the (k+1)-th.
      EXPECT_FLOAT_EQ(margins[t],
                      logits[t * experts + order[k - 1]] - logits[t * experts + order[k]]);
    }
  }
  // Choosing every expert leaves no margin to cross.
  std::vector<int32_t> all_ids(experts);
  std::vector<float> all_weights(experts), all_margin(1);
  SoftmaxTopK(logits.data(), 1, experts, experts, false, all_ids.data(), all_weights.data(),
              all_margin.data());
  EXPECT_TRUE(std::isinf(all_margin[0]));
}

TEST(MoeRouting, GroupedSigmoidTopKFollowsGroupsBiasAndScaling) {
  // 8 experts in 4 groups of 2; keep 2 groups; choose 2 experts.
  GroupedTopKParams p{.num_experts = 8,
                      .n_group = 4,
                      .topk_group = 2,
                      .top_k = 2,
                      .normalize = true,
                      .routed_scaling_factor = 2.5f};
  auto logit = [](double s) { return static_cast<float>(std::log(s / (1 - s))); };
  // Sigmoid scores: group 0 {0.9, 0.1}, 1 {0.6, 0.6}, 2 {0.2, 0.3}, 3 {0.8, 0.05}.
  const std::vector<double> s = {0.9, 0.1, 0.6, 0.6, 0.2, 0.3, 0.8, 0.05};
  std::vector<float> logits;
  for (double v : s) logits.push_back(logit(v));
  // The bias lifts expert 5 (group 2) so group 2 wins a place and expert 5 is
  // chosen by biased score, while its weight stays its unbiased score.
  std::vector<float> bias(8, 0.0f);
  bias[5] = 1.0f;
  std::vector<int32_t> ids(2);
  std::vector<float> weights(2), margin(1);
  GroupedSigmoidTopK(logits.data(), bias.data(), 1, p, ids.data(), weights.data(), margin.data());
  // Group sums (biased): g0 1.0, g1 1.2, g2 1.5, g3 0.85 -> groups 2 and 1.
  EXPECT_EQ(ids[0], 5);  // 1.3 biased
  EXPECT_EQ(ids[1], 2);  // 0.6, ties with 3 -> lower index
  EXPECT_NEAR(weights[0], 0.3 / 0.9 * 2.5, 1e-5);
  EXPECT_NEAR(weights[1], 0.6 / 0.9 * 2.5, 1e-5);
  // Experts 2 and 3 tie at 0.6: no margin at all.
  EXPECT_NEAR(margin[0], 0.0f, 1e-6);
  // Without expert 3's tie (0.6 -> 0.45): the groups decide, g1 1.05 over
  // g0 1.0 (0.05), before the experts (0.6 over 0.45, 0.15).
  std::vector<float> apart = logits;
  apart[3] = logit(0.45);
  GroupedSigmoidTopK(apart.data(), bias.data(), 1, p, ids.data(), weights.data(), margin.data());
  EXPECT_EQ(ids[1], 2);
  EXPECT_NEAR(margin[0], 0.05f, 1e-5);

  // Masked experts count as 0, not -inf: with negative biased scores in the
  // kept groups, a masked expert can be chosen (as transformers does).
  std::vector<float> negative_bias(8, -1.0f);
  GroupedTopKParams q = p;
  q.top_k = 6;
  std::vector<int32_t> ids6(6);
  std::vector<float> weights6(6);
  GroupedSigmoidTopK(logits.data(), negative_bias.data(), 1, q, ids6.data(), weights6.data());
  // Kept groups by biased sums: g1 (-0.8) and g0 (-1.0); all four kept
  // experts are negative, so the four masked experts (0.0) rank first.
  EXPECT_EQ(std::vector<int32_t>(ids6.begin(), ids6.begin() + 4),
            (std::vector<int32_t>{4, 5, 6, 7}));
}

}  // namespace
}  // namespace weft::kernels::cpu
