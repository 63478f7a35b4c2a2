// MoE experts against a direct per-token float64 evaluation; INT8 W8A8
// linear against exact integer arithmetic and against the float product.
#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/int8_linear.h"
#include "kernels/cpu/moe_experts.h"
#include "kernels/cpu/test_util.h"

namespace weft::kernels::cpu {
namespace {

using test_util::RandomVector;
using test_util::RelativeError;

TEST(MoeExperts, MatchesPerTokenReferenceWithEmptyExperts) {
  const int32_t experts = 6, top_k = 2;
  const int64_t hidden = 20, inter = 12, tokens = 5;
  std::vector<std::vector<float>> gate_up(experts), down(experts);
  std::vector<WeightRef> gate_up_refs(experts), down_refs(experts);
  for (int32_t e = 0; e < experts; ++e) {
    gate_up[e] = RandomVector(2 * inter * hidden, 100 + e, 0.2f);
    down[e] = RandomVector(hidden * inter, 200 + e, 0.2f);
    gate_up_refs[e] = {gate_up[e].data(), nullptr, 2 * inter, hidden};
    down_refs[e] = {down[e].data(), nullptr, hidden, inter};
  }
  auto x = RandomVector(tokens * hidden, 1);
  // Experts 4 and 5 get no token; expert 1 gets several.
  const std::vector<int32_t> ids = {1, 0, 1, 2, 3, 1, 0, 2, 1, 3};
  const std::vector<float> weights = {0.7f, 0.3f, 0.5f, 0.5f, 0.9f, 0.1f, 0.4f, 0.6f, 1.0f, 0.2f};
  std::vector<float> out(tokens * hidden, NAN);
  MoeExperts({gate_up_refs.data(), down_refs.data(), experts, hidden, inter}, x.data(), tokens,
             top_k, ids.data(), weights.data(), out.data());
  std::vector<double> ref(tokens * hidden, 0.0);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int32_t j = 0; j < top_k; ++j) {
      const int32_t e = ids[t * top_k + j];
      std::vector<double> act(inter);
      for (int64_t i = 0; i < inter; ++i) {
        double g = 0, u = 0;
        for (int64_t h = 0; h < hidden; ++h) {
          g += double{gate_up[e][i * hidden + h]} * x[t * hidden + h];
          u += double{gate_up[e][(inter + i) * hidden + h]} * x[t * hidden + h];
        }
        act[i] = g / (1 + std::exp(-g)) * u;
      }
      for (int64_t h = 0; h < hidden; ++h) {
        double d = 0;
        for (int64_t i = 0; i < inter; ++i) d += double{down[e][h * inter + i]} * act[i];
        ref[t * hidden + h] += weights[t * top_k + j] * d;
      }
    }
  }
  EXPECT_LT(RelativeError(out, ref), 1e-5);
}

TEST(Int8Linear, EpilogueMatchesExactIntegerArithmetic) {
  const int64_t m = 3, k = 37, n = 9;
  auto x = RandomVector(m * k, 2);
  auto w = RandomVector(n * k, 3);
  auto bias = RandomVector(n, 4);
  const Int8Weight qw = QuantizeWeightPerChannel(w.data(), n, k);
  std::vector<int8_t> xq(m * k);
  std::vector<float> xs(m);
  QuantizeActivationsPerToken(x.data(), m, k, xq.data(), xs.data());
  std::vector<float> y(m * n);
  Int8Linear(x.data(), m, qw, bias.data(), y.data());
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t acc = 0;
      for (int64_t kk = 0; kk < k; ++kk) acc += int64_t{xq[i * k + kk]} * qw.values[j * k + kk];
      EXPECT_FLOAT_EQ(y[i * n + j], static_cast<float>(acc) * xs[i] * qw.scales[j] + bias[j]);
    }
  }
  // Quantization itself: symmetric, the row maximum maps to +-127.
  for (int64_t j = 0; j < n; ++j) {
    float max_abs = 0;
    for (int64_t kk = 0; kk < k; ++kk) max_abs = std::max(max_abs, std::abs(w[j * k + kk]));
    EXPECT_FLOAT_EQ(qw.scales[j], max_abs / 127.0f);
  }
}

TEST(Int8Linear, CloseToFloatProduct) {
  const int64_t m = 16, k = 512, n = 64;
  auto x = RandomVector(m * k, 5);
  auto w = RandomVector(n * k, 6, 0.05f);
  const Int8Weight qw = QuantizeWeightPerChannel(w.data(), n, k);
  std::vector<float> y(m * n);
  Int8Linear(x.data(), m, qw, nullptr, y.data());
  std::vector<double> ref(m * n);
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t kk = 0; kk < k; ++kk) acc += double{x[i * k + kk]} * w[j * k + kk];
      ref[i * n + j] = acc;
    }
  }
  // Two 8-bit roundings of Gaussian data: about 1-2% relative error.
  EXPECT_LT(RelativeError(y, ref), 0.03);
  const Int8Weight zero = QuantizeWeightPerChannel(std::vector<float>(k, 0.0f).data(), 1, k);
  EXPECT_EQ(zero.scales[0], 1.0f);
}

}  // namespace
}  // namespace weft::kernels::cpu
