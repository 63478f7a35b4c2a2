// The CUDA MoE operators against the CPU backend on fresh random inputs:
// routing (softmax top-k; DeepSeek's grouped sigmoid) against
// kernels/cpu/moe_routing, the grouping of (token, expert) pairs against a
// stable counting sort, the grouped expert GEMMs (with and without
// SiLU-and-multiply, every tile configuration, gathered rows, empty experts,
// partial tiles) against float32 math on the same bf16 values, the weighted
// combine, and a whole MoE layer. Runs only on a GPU machine (tag "gpu").
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kernels/cpu/activation.h"
#include "kernels/cpu/int8_linear.h"
#include "kernels/cpu/moe_routing.h"
#include "kernels/cuda/cuda_test_util.h"
#include "kernels/cuda/grouped_gemm.h"
#include "kernels/cuda/moe_combine.h"
#include "kernels/cuda/moe_permute.h"
#include "kernels/cuda/moe_routing.h"
#include "kernels/cuda/quantize.h"

namespace weft::kernels::gpu {
namespace {

using testing::DeviceArray;
using testing::ExpectRejected;
using testing::Random;
using testing::RelativeError;
using testing::RoundBf16;
using testing::ToBf16;
using testing::ToFloat;

// --- Helpers ------------------------------------------------------------------

// Expert ids of `tokens` tokens, top_k distinct experts each, drawn from
// `allowed` (so the others get no rows).
std::vector<int32_t> RandomIds(int64_t tokens, int32_t top_k, const std::vector<int32_t>& allowed,
                               uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> ids(tokens * top_k);
  std::vector<int32_t> pool = allowed;
  for (int64_t t = 0; t < tokens; ++t) {
    std::shuffle(pool.begin(), pool.end(), rng);
    std::copy(pool.begin(), pool.begin() + top_k, ids.begin() + t * top_k);
  }
  return ids;
}

// The grouping LaunchMoePermute must produce: a stable counting sort.
struct Grouping {
  std::vector<int32_t> offsets, row_token, pair_row;
};

Grouping HostPermute(const std::vector<int32_t>& ids, int32_t top_k, int32_t experts) {
  const int64_t pairs = static_cast<int64_t>(ids.size());
  Grouping g;
  g.offsets.assign(experts + 1, 0);
  for (int32_t e : ids) ++g.offsets[e + 1];
  for (int32_t e = 0; e < experts; ++e) g.offsets[e + 1] += g.offsets[e];
  std::vector<int32_t> next(g.offsets.begin(), g.offsets.end() - 1);
  g.row_token.assign(pairs, -1);
  g.pair_row.assign(pairs, -1);
  for (int64_t i = 0; i < pairs; ++i) {
    const int32_t row = next[ids[i]]++;
    g.row_token[row] = static_cast<int32_t>(i / top_k);
    g.pair_row[i] = row;
  }
  return g;
}

Grouping DevicePermute(const std::vector<int32_t>& ids, int64_t tokens, int32_t top_k,
                       int32_t experts) {
  const int64_t pairs = tokens * top_k;
  DeviceArray<int32_t> d_ids(ids), d_off(experts + 1), d_rt(pairs), d_pr(pairs);
  const size_t ws_bytes = MoePermuteWorkspaceBytes(experts, pairs);
  DeviceArray<char> d_ws(std::max<size_t>(1, ws_bytes));
  MoePermuteParams p;
  p.ids = d_ids.get();
  p.tokens = tokens;
  p.top_k = top_k;
  p.num_experts = experts;
  p.expert_offsets = d_off.get();
  p.row_token = d_rt.get();
  p.pair_row = d_pr.get();
  p.workspace = d_ws.get();
  p.workspace_bytes = ws_bytes;
  EXPECT_EQ(LaunchMoePermute(p, nullptr), cudaSuccess);
  return {d_off.Download(), d_rt.Download(), d_pr.Download()};
}

// Every element within rel * (|ref| + rms(ref)), and the whole within rel
// in norm.
void ExpectClose(const std::vector<float>& got, const std::vector<float>& want, double rel,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  double sq = 0.0;
  for (float v : want) sq += double{v} * v;
  const double rms = want.empty() ? 0.0 : std::sqrt(sq / want.size());
  int reported = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double tol = rel * (std::fabs(want[i]) + rms) + 1e-6;
    if (!(std::fabs(double{got[i]} - want[i]) <= tol) && reported++ < 5) {
      ADD_FAILURE() << what << ": element " << i << " got " << got[i] << " want " << want[i];
    }
  }
  EXPECT_EQ(reported, 0) << what << ": elements out of tolerance";
  EXPECT_LE(RelativeError(got, want), rel) << what;
}

// --- Routing ------------------------------------------------------------------

// Ids equal to the CPU's, except where the two experts' keys tie to within
// float rounding (then either order is right); weights within 1e-5.
void ExpectSameRouting(const std::vector<int32_t>& got_ids, const std::vector<float>& got_w,
                       const std::vector<int32_t>& want_ids, const std::vector<float>& want_w,
                       const std::vector<float>& keys, int32_t experts, int32_t top_k) {
  ASSERT_EQ(got_ids.size(), want_ids.size());
  int ties = 0;
  for (size_t i = 0; i < want_ids.size(); ++i) {
    const int64_t t = static_cast<int64_t>(i) / top_k;
    if (got_ids[i] != want_ids[i]) {
      ASSERT_GE(got_ids[i], 0);
      ASSERT_LT(got_ids[i], experts);
      const float a = keys[t * experts + got_ids[i]];
      const float b = keys[t * experts + want_ids[i]];
      ASSERT_LE(std::fabs(a - b), 1e-6f * std::max(std::fabs(a), std::fabs(b)))
          << "pair " << i << ": id " << got_ids[i] << " vs CPU " << want_ids[i];
      ++ties;
      continue;
    }
    EXPECT_NEAR(got_w[i], want_w[i], 1e-5 * std::fabs(want_w[i]) + 1e-12) << "pair " << i;
  }
  EXPECT_LE(ties, static_cast<int>(want_ids.size() / 100 + 1));
}

struct SoftmaxCase {
  int32_t experts, top_k;
  int64_t tokens;
  bool normalize;
};

class SoftmaxRoutingTest : public ::testing::TestWithParam<SoftmaxCase> {};

TEST_P(SoftmaxRoutingTest, MatchesCpu) {
  const SoftmaxCase c = GetParam();
  const std::vector<float> logits =
      Random(c.tokens * c.experts, static_cast<uint32_t>(c.experts * 7 + c.tokens), 2.0f);
  std::vector<int32_t> ids(c.tokens * c.top_k);
  std::vector<float> weights(c.tokens * c.top_k);
  cpu::SoftmaxTopK(logits.data(), c.tokens, c.experts, c.top_k, c.normalize, ids.data(),
                   weights.data());
  DeviceArray<float> d_logits(logits), d_weights(c.tokens * c.top_k);
  DeviceArray<int32_t> d_ids(c.tokens * c.top_k);
  MoeRoutingParams p;
  p.logits = d_logits.get();
  p.tokens = c.tokens;
  p.num_experts = c.experts;
  p.top_k = c.top_k;
  p.normalize = c.normalize;
  p.ids = d_ids.get();
  p.weights = d_weights.get();
  ASSERT_CUDA_OK(LaunchMoeRouting(p, nullptr));
  // The selection key: exp(logit - max), proportional to the probability.
  std::vector<float> keys(logits.size());
  for (int64_t t = 0; t < c.tokens; ++t) {
    const float* row = logits.data() + t * c.experts;
    const float max = *std::max_element(row, row + c.experts);
    for (int32_t e = 0; e < c.experts; ++e) keys[t * c.experts + e] = std::exp(row[e] - max);
  }
  ExpectSameRouting(d_ids.Download(), d_weights.Download(), ids, weights, keys, c.experts, c.top_k);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, SoftmaxRoutingTest,
    ::testing::Values(SoftmaxCase{16, 4, 37, true}, SoftmaxCase{16, 4, 1, false},
                      SoftmaxCase{128, 8, 1000, true}, SoftmaxCase{128, 8, 3, false},
                      SoftmaxCase{60, 6, 50, false}, SoftmaxCase{256, 1, 10, true},
                      SoftmaxCase{512, 32, 100, true}, SoftmaxCase{8, 8, 5, true}));

TEST(SoftmaxRoutingTest, TiesGoToTheLowerExpert) {
  // Equal logits in every token: the first top_k experts, in order.
  const int32_t experts = 64, top_k = 6;
  const int64_t tokens = 5;
  std::vector<float> logits(tokens * experts, 0.5f);
  for (int64_t t = 0; t < tokens; ++t) logits[t * experts + 40] = 2.0f;  // one clear winner
  DeviceArray<float> d_logits(logits), d_weights(tokens * top_k);
  DeviceArray<int32_t> d_ids(tokens * top_k);
  MoeRoutingParams p;
  p.logits = d_logits.get();
  p.tokens = tokens;
  p.num_experts = experts;
  p.top_k = top_k;
  p.ids = d_ids.get();
  p.weights = d_weights.get();
  ASSERT_CUDA_OK(LaunchMoeRouting(p, nullptr));
  std::vector<int32_t> want(tokens * top_k), cpu_ids(tokens * top_k);
  std::vector<float> cpu_w(tokens * top_k);
  cpu::SoftmaxTopK(logits.data(), tokens, experts, top_k, false, cpu_ids.data(), cpu_w.data());
  EXPECT_EQ(d_ids.Download(), cpu_ids);
  const std::vector<int32_t> got = d_ids.Download();
  for (int64_t t = 0; t < tokens; ++t) {
    EXPECT_EQ(got[t * top_k], 40);
    for (int j = 1; j < top_k; ++j) EXPECT_EQ(got[t * top_k + j], j - 1);
  }
}

struct GroupedCase {
  int32_t experts, n_group, topk_group, top_k;
  bool normalize;
  float scaling;
  float bias_mean;
};

class GroupedRoutingTest : public ::testing::TestWithParam<GroupedCase> {};

TEST_P(GroupedRoutingTest, MatchesCpu) {
  const GroupedCase c = GetParam();
  const int64_t tokens = 203;
  cpu::GroupedTopKParams g;
  g.num_experts = c.experts;
  g.n_group = c.n_group;
  g.topk_group = c.topk_group;
  g.top_k = c.top_k;
  g.normalize = c.normalize;
  g.routed_scaling_factor = c.scaling;
  const std::vector<float> logits =
      Random(tokens * c.experts, static_cast<uint32_t>(c.experts + c.n_group), 2.0f);
  std::vector<float> bias = Random(c.experts, 99, 0.1f);
  for (float& b : bias) b += c.bias_mean;
  std::vector<int32_t> ids(tokens * c.top_k);
  std::vector<float> weights(tokens * c.top_k);
  cpu::GroupedSigmoidTopK(logits.data(), bias.data(), tokens, g, ids.data(), weights.data());
  DeviceArray<float> d_logits(logits), d_bias(bias), d_weights(tokens * c.top_k);
  DeviceArray<int32_t> d_ids(tokens * c.top_k);
  MoeRoutingParams p;
  p.logits = d_logits.get();
  p.tokens = tokens;
  p.num_experts = c.experts;
  p.top_k = c.top_k;
  p.normalize = c.normalize;
  p.correction_bias = d_bias.get();
  p.n_group = c.n_group;
  p.topk_group = c.topk_group;
  p.routed_scaling_factor = c.scaling;
  p.ids = d_ids.get();
  p.weights = d_weights.get();
  ASSERT_CUDA_OK(LaunchMoeRouting(p, nullptr));
  // The selection key: sigmoid + bias (ties judged on it; masking to 0 only
  // makes more exact ties, which both sides break toward the lower index).
  std::vector<float> keys(logits.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    keys[i] = 1.0f / (1.0f + std::exp(-logits[i])) + bias[i % c.experts];
  }
  ExpectSameRouting(d_ids.Download(), d_weights.Download(), ids, weights, keys, c.experts, c.top_k);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GroupedRoutingTest,
    ::testing::Values(GroupedCase{256, 8, 4, 8, true, 2.5f, 0.0f},  // DeepSeek-V3
                      GroupedCase{16, 4, 2, 4, false, 1.0f, 0.0f},
                      GroupedCase{128, 1, 1, 8, true, 1.0f, 0.0f},
                      GroupedCase{64, 64, 8, 6, true, 1.5f, 0.0f},  // one expert per group
                      GroupedCase{96, 3, 2, 5, true, 1.0f, 0.0f},
                      // Negative biased scores: masked experts (0) outrank the
                      // kept ones, and top_k exceeds the kept experts.
                      GroupedCase{32, 4, 1, 16, true, 1.0f, -2.0f},
                      GroupedCase{512, 16, 4, 32, false, 1.0f, 0.0f}));

TEST(MoeRoutingErrors, RejectsBadArguments) {
  DeviceArray<float> buf(1024);
  DeviceArray<int32_t> ids(64);
  MoeRoutingParams p;
  p.logits = buf.get();
  p.tokens = 2;
  p.num_experts = 16;
  p.top_k = 4;
  p.ids = ids.get();
  p.weights = buf.get();
  ASSERT_CUDA_OK(LaunchMoeRouting(p, nullptr));
  ASSERT_CUDA_OK(cudaDeviceSynchronize());
  ExpectRejected(p, [](const MoeRoutingParams& q) { return LaunchMoeRouting(q, nullptr); },
                 {
                     [](MoeRoutingParams& b) { b.top_k = 0; },
                     [](MoeRoutingParams& b) { b.top_k = 17; },  // more than the experts
                     [](MoeRoutingParams& b) {
                       b.num_experts = 513;
                       b.top_k = 33;
                     },
                     [](MoeRoutingParams& b) { b.num_experts = 0; },
                     [](MoeRoutingParams& b) { b.tokens = -1; },
                     [](MoeRoutingParams& b) { b.logits = nullptr; },
                     [](MoeRoutingParams& b) { b.ids = nullptr; },
                     [&](MoeRoutingParams& b) {
                       b.correction_bias = buf.get();
                       b.n_group = 3;  // does not divide 16
                     },
                     [&](MoeRoutingParams& b) {
                       b.correction_bias = buf.get();
                       b.n_group = 4;
                       b.topk_group = 5;
                     },
                     [&](MoeRoutingParams& b) {
                       b.correction_bias = buf.get();
                       b.n_group = 4;
                       b.topk_group = 0;
                     },
                 });
  MoeRoutingParams bad = p;
  bad.tokens = 0;
  bad.logits = nullptr;
  EXPECT_EQ(LaunchMoeRouting(bad, nullptr), cudaSuccess);  // nothing to do
}

// --- Permute ------------------------------------------------------------------

struct PermuteCase {
  int64_t tokens;
  int32_t top_k, experts;
  int32_t used_every;  // only experts e % used_every == 0 get pairs
  bool repeats;        // ids drawn with replacement (a token may repeat an expert)
};

class MoePermuteTest : public ::testing::TestWithParam<PermuteCase> {};

TEST_P(MoePermuteTest, StableCountingSort) {
  const PermuteCase c = GetParam();
  std::vector<int32_t> allowed;
  for (int32_t e = 0; e < c.experts; e += c.used_every) allowed.push_back(e);
  std::vector<int32_t> ids;
  if (c.repeats) {
    std::mt19937 rng(static_cast<uint32_t>(c.tokens));
    std::uniform_int_distribution<size_t> pick(0, allowed.size() - 1);
    ids.resize(c.tokens * c.top_k);
    for (int32_t& id : ids) id = allowed[pick(rng)];
  } else {
    ids = RandomIds(c.tokens, c.top_k, allowed, static_cast<uint32_t>(c.tokens * 3 + c.experts));
  }
  const Grouping want = HostPermute(ids, c.top_k, c.experts);
  const Grouping got = DevicePermute(ids, c.tokens, c.top_k, c.experts);
  ASSERT_EQ(got.offsets, want.offsets);
  // Invariants, stated separately from the exact comparison below.
  const int64_t pairs = c.tokens * c.top_k;
  std::vector<int> seen(pairs, 0);
  for (int64_t i = 0; i < pairs; ++i) {
    const int32_t row = got.pair_row[i];
    ASSERT_GE(row, got.offsets[ids[i]]);
    ASSERT_LT(row, got.offsets[ids[i] + 1]);
    ASSERT_EQ(got.row_token[row], i / c.top_k);
    ++seen[row];
  }
  for (int64_t r = 0; r < pairs; ++r) ASSERT_EQ(seen[r], 1) << "row " << r;
  EXPECT_EQ(got.row_token, want.row_token);
  EXPECT_EQ(got.pair_row, want.pair_row);
  // Deterministic: a second run gives the same bytes.
  const Grouping again = DevicePermute(ids, c.tokens, c.top_k, c.experts);
  EXPECT_EQ(again.pair_row, got.pair_row);
  EXPECT_EQ(again.row_token, got.row_token);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MoePermuteTest,
    ::testing::Values(PermuteCase{1, 8, 128, 1, false}, PermuteCase{3, 8, 128, 1, false},
                      PermuteCase{37, 4, 16, 1, false}, PermuteCase{64, 8, 128, 1, false},
                      PermuteCase{1000, 8, 128, 3, false}, PermuteCase{2048, 8, 256, 1, false},
                      PermuteCase{16384, 8, 128, 1, false},  // 131072 pairs: 512 chunks
                      PermuteCase{16384, 8, 128, 5, true}, PermuteCase{777, 1, 4, 1, true},
                      PermuteCase{5000, 6, 3000, 7, true}));

TEST(MoePermuteErrors, RejectsBadArguments) {
  DeviceArray<int32_t> buf(1024);
  MoePermuteParams p;
  p.ids = buf.get();
  p.tokens = 4;
  p.top_k = 2;
  p.num_experts = 8;
  p.expert_offsets = buf.get();
  p.row_token = buf.get();
  p.pair_row = buf.get();
  p.workspace = buf.get();
  p.workspace_bytes = MoePermuteWorkspaceBytes(8, 8);
  ExpectRejected(p, [](const MoePermuteParams& q) { return LaunchMoePermute(q, nullptr); },
                 {
                     [](MoePermuteParams& b) { b.expert_offsets = nullptr; },
                     [](MoePermuteParams& b) { b.top_k = 0; },
                     [](MoePermuteParams& b) { b.num_experts = 0; },
                     [](MoePermuteParams& b) { b.workspace_bytes -= 1; },
                     [](MoePermuteParams& b) { b.ids = nullptr; },
                     [](MoePermuteParams& b) { b.tokens = -1; },
                 });
  // No pairs: all offsets zero, nothing else touched.
  DeviceArray<int32_t> offsets(std::vector<int32_t>(9, 7));
  MoePermuteParams empty;
  empty.top_k = 2;
  empty.num_experts = 8;
  empty.expert_offsets = offsets.get();
  ASSERT_CUDA_OK(LaunchMoePermute(empty, nullptr));
  EXPECT_EQ(offsets.Download(), std::vector<int32_t>(9, 0));
}

// --- Grouped GEMM -------------------------------------------------------------

struct GemmCase {
  const char* name;
  int64_t tokens;
  int32_t experts, top_k, n, k;
  bool silu;
  bool gather;      // rows through a_rows (else x is already grouped)
  int32_t lda_pad;  // lda = k + lda_pad
  int32_t used_every;
};

std::string GemmCaseName(const ::testing::TestParamInfo<GemmCase>& info) { return info.param.name; }

class GroupedGemmTest : public ::testing::TestWithParam<GemmCase> {};

TEST_P(GroupedGemmTest, MatchesFloatReference) {
  const GemmCase c = GetParam();
  const int64_t rows = c.tokens * c.top_k;
  const int64_t lda = c.k + c.lda_pad;
  const int32_t out_cols = c.silu ? c.n / 2 : c.n;
  std::vector<int32_t> allowed;
  for (int32_t e = 0; e < c.experts; e += c.used_every) allowed.push_back(e);
  ASSERT_GE(static_cast<int32_t>(allowed.size()), c.top_k);
  const std::vector<int32_t> ids = RandomIds(c.tokens, c.top_k, allowed, 11);
  const Grouping grouping = HostPermute(ids, c.top_k, c.experts);
  // A: the token rows (gathered) or the grouped rows themselves.
  const int64_t a_rows = c.gather ? c.tokens : rows;
  const std::vector<float> x = RoundBf16(Random(a_rows * lda, 21));
  const std::vector<float> w = RoundBf16(
      Random(int64_t{c.experts} * c.n * c.k, 22, 1.0f / std::sqrt(static_cast<float>(c.k))));
  // Reference in float32 from the same bf16 values.
  std::vector<float> want(rows * out_cols);
  std::vector<float> acc(c.n);
  for (int32_t e = 0; e < c.experts; ++e) {
    for (int32_t r = grouping.offsets[e]; r < grouping.offsets[e + 1]; ++r) {
      const float* a = x.data() + (c.gather ? grouping.row_token[r] : r) * lda;
      for (int32_t col = 0; col < c.n; ++col) {
        const float* wr = w.data() + (int64_t{e} * c.n + col) * c.k;
        float s = 0.0f;
        for (int32_t i = 0; i < c.k; ++i) s += a[i] * wr[i];
        acc[col] = s;
      }
      if (c.silu) {
        cpu::SiluAndMul(acc.data(), 1, out_cols, want.data() + int64_t{r} * out_cols);
      } else {
        std::copy(acc.begin(), acc.end(), want.begin() + int64_t{r} * out_cols);
      }
    }
  }
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_w(ToBf16(w));
  DeviceArray<int32_t> d_off(grouping.offsets), d_rows(grouping.row_token);
  for (GroupedGemmPath path :
       {GroupedGemmPath::kAuto, GroupedGemmPath::kMmaSync, GroupedGemmPath::kWgmma}) {
    const std::string what =
        std::string(c.name) + (path == GroupedGemmPath::kAuto      ? " auto"
                               : path == GroupedGemmPath::kMmaSync ? " mma.sync"
                                                                   : " wgmma");
    SCOPED_TRACE(what);
    // Output plus guard rows that must stay untouched.
    constexpr int64_t kGuardRows = 40;
    const int64_t out_elems = (rows + kGuardRows) * out_cols;
    DeviceArray<__nv_bfloat16> d_out(out_elems);
    ASSERT_CUDA_OK(cudaMemset(d_out.get(), 0x7f, out_elems * 2));
    GroupedGemmParams p;
    p.x = d_x.get();
    p.lda = lda;
    p.a_rows = c.gather ? d_rows.get() : nullptr;
    p.w = d_w.get();
    p.expert_offsets = d_off.get();
    p.num_experts = c.experts;
    p.max_rows = rows;
    p.n = c.n;
    p.k = c.k;
    p.silu_and_mul = c.silu;
    p.out = d_out.get();
    p.path = path;
    ASSERT_CUDA_OK(LaunchGroupedGemm(p, nullptr));
    ASSERT_CUDA_OK(cudaDeviceSynchronize());
    std::vector<__nv_bfloat16> out_all(out_elems);
    ASSERT_CUDA_OK(cudaMemcpy(out_all.data(), d_out.get(), out_elems * 2, cudaMemcpyDeviceToHost));
    const std::vector<float> got =
        ToFloat(std::vector<__nv_bfloat16>(out_all.begin(), out_all.begin() + rows * out_cols));
    ExpectClose(got, want, 1e-2, what);
    for (int64_t i = rows * out_cols; i < out_elems; ++i) {
      uint16_t bits;
      std::memcpy(&bits, &out_all[i], 2);
      ASSERT_EQ(bits, 0x7f7f) << "guard element " << i - rows * out_cols << " overwritten";
    }
    // Again on the same output: the same bytes (no state kept between launches).
    ASSERT_CUDA_OK(LaunchGroupedGemm(p, nullptr));
    std::vector<__nv_bfloat16> again(rows * out_cols);
    ASSERT_CUDA_OK(cudaDeviceSynchronize());
    ASSERT_CUDA_OK(cudaMemcpy(again.data(), d_out.get(), again.size() * 2, cudaMemcpyDeviceToHost));
    EXPECT_EQ(std::memcmp(again.data(), out_all.data(), again.size() * 2), 0);
  }
}

// Every case runs on each path. For mma.sync (and kAuto) the mean rows per
// expert picks the tile: <= 12 small (16 rows), <= 40 decode (32), <= 160
// medium (64), else large (128 x 256); kWgmma always has 128 x 256 tiles.
INSTANTIATE_TEST_SUITE_P(
    Shapes, GroupedGemmTest,
    ::testing::Values(
        // The tiny test model (hidden 128, moe_intermediate 64, 16 experts, top-4).
        GemmCase{"tiny_gate_up_t1", 1, 16, 4, 128, 128, true, true, 0, 1},
        GemmCase{"tiny_gate_up_t3", 3, 16, 4, 128, 128, true, true, 0, 1},
        GemmCase{"tiny_gate_up_t37", 37, 16, 4, 128, 128, true, true, 0, 1},
        GemmCase{"tiny_down_t37", 37, 16, 4, 128, 64, false, false, 0, 1},
        GemmCase{"tiny_gate_up_t300_medium", 300, 16, 4, 128, 128, true, true, 0, 1},
        GemmCase{"tiny_down_t1000_large", 1000, 16, 4, 128, 64, false, false, 0, 1},
        GemmCase{"n64_k128", 37, 16, 4, 64, 128, false, true, 0, 1},
        // One expert, odd row counts: partial and multiple m tiles.
        GemmCase{"one_row", 1, 4, 1, 64, 128, false, true, 0, 1},
        GemmCase{"one_expert_3_rows", 3, 1, 1, 64, 128, true, true, 0, 1},
        GemmCase{"one_expert_37_rows", 37, 1, 1, 64, 128, false, true, 8, 1},
        GemmCase{"one_expert_37_rows_silu", 37, 1, 1, 96, 136, true, true, 0, 1},
        // Qwen3-30B-A3B shapes (E=128, top-8): gate_up k=2048, down k=768.
        GemmCase{"qwen_gate_up_t37", 37, 128, 8, 1536, 2048, true, true, 0, 1},
        GemmCase{"qwen_down_t64", 64, 128, 8, 2048, 768, false, false, 0, 1},
        GemmCase{"qwen_down_t256_decode", 256, 128, 8, 2048, 768, false, false, 0, 1},
        GemmCase{"decode_gate_up", 100, 32, 8, 1536, 512, true, true, 0, 1},
        // Experts without rows, padded lda, k not a multiple of 64.
        GemmCase{"empty_experts_small", 37, 48, 4, 256, 200, true, true, 16, 3},
        GemmCase{"empty_experts_medium", 500, 16, 4, 202, 72, false, true, 8, 2},
        GemmCase{"empty_experts_large", 2000, 12, 2, 384, 136, false, true, 0, 4},
        GemmCase{"large_gate_up", 2000, 8, 2, 512, 768, true, true, 0, 1},
        GemmCase{"large_ungathered", 1500, 8, 2, 256, 264, false, false, 0, 1}),
    GemmCaseName);

TEST(GroupedGemmErrors, RejectsBadArguments) {
  DeviceArray<__nv_bfloat16> buf(4096);
  DeviceArray<int32_t> off(std::vector<int32_t>{0, 2, 4});
  GroupedGemmParams p;
  p.x = buf.get();
  p.w = buf.get();
  p.out = buf.get();
  p.expert_offsets = off.get();
  p.num_experts = 2;
  p.max_rows = 4;
  p.n = 16;
  p.k = 16;
  p.lda = 16;
  ASSERT_CUDA_OK(LaunchGroupedGemm(p, nullptr));
  ASSERT_CUDA_OK(cudaDeviceSynchronize());
  ExpectRejected(p, [](const GroupedGemmParams& q) { return LaunchGroupedGemm(q, nullptr); },
                 {
                     [](GroupedGemmParams& b) {
                       b.k = 12;  // not a multiple of 8
                       b.lda = 12;
                     },
                     [](GroupedGemmParams& b) { b.lda = 8; },   // shorter than k
                     [](GroupedGemmParams& b) { b.lda = 20; },  // rows not 16-byte aligned
                     [](GroupedGemmParams& b) { b.n = 15; },
                     [](GroupedGemmParams& b) {
                       b.n = 24;
                       b.silu_and_mul = true;  // inter 12: not a multiple of 8
                     },
                     [](GroupedGemmParams& b) { b.expert_offsets = nullptr; },
                     [](GroupedGemmParams& b) { b.num_experts = 0; },
                     [&](GroupedGemmParams& b) { b.x = buf.get() + 1; },  // misaligned
                     [](GroupedGemmParams& b) { b.out = nullptr; },
                     [](GroupedGemmParams& b) { b.max_rows = -1; },
                     [](GroupedGemmParams& b) { b.path = static_cast<GroupedGemmPath>(7); },
                 });
  GroupedGemmParams bad = p;
  bad.max_rows = 0;
  bad.out = nullptr;
  EXPECT_EQ(LaunchGroupedGemm(bad, nullptr), cudaSuccess);  // nothing to do
}

// --- Dense bf16 GEMMs (decode projections) ----------------------------------

// No expert offsets: one group of m rows, as the engine's decode-sized
// projections run. Small m picks narrow (64-row) weight tiles when the
// 128-row ones would leave SMs idle, and float32-accumulating outputs split
// k across blocks (added atomically): checked against a float reference.
struct DenseCase {
  const char* name;
  int64_t m;
  int32_t n, k;
  bool silu, bias, accumulate;
};

class DenseBf16GemmTest : public ::testing::TestWithParam<DenseCase> {};

TEST_P(DenseBf16GemmTest, MatchesFloatReference) {
  const DenseCase c = GetParam();
  const int32_t out_cols = c.silu ? c.n / 2 : c.n;
  const std::vector<float> x = RoundBf16(Random(c.m * c.k, 41));
  const std::vector<float> w =
      RoundBf16(Random(int64_t{c.n} * c.k, 42, 1.0f / std::sqrt(static_cast<float>(c.k))));
  const std::vector<float> bias = c.bias ? RoundBf16(Random(c.n, 43)) : std::vector<float>();
  const std::vector<float> base = c.accumulate ? Random(c.m * out_cols, 44) : std::vector<float>();
  std::vector<float> want(c.m * out_cols), acc(c.n);
  for (int64_t r = 0; r < c.m; ++r) {
    for (int32_t col = 0; col < c.n; ++col) {
      double s = c.bias ? bias[col] : 0.0;
      for (int32_t i = 0; i < c.k; ++i) s += double{x[r * c.k + i]} * w[int64_t{col} * c.k + i];
      acc[col] = static_cast<float>(s);
    }
    float* out = want.data() + r * out_cols;
    if (c.silu) {
      cpu::SiluAndMul(acc.data(), 1, out_cols, out);
    } else {
      for (int32_t col = 0; col < c.n; ++col)
        out[col] = acc[col] + (c.accumulate ? base[r * out_cols + col] : 0.0f);
    }
  }
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_w(ToBf16(w));
  DeviceArray<__nv_bfloat16> d_bias(c.bias ? ToBf16(bias) : std::vector<__nv_bfloat16>());
  DeviceArray<__nv_bfloat16> d_out(c.m * out_cols);
  DeviceArray<float> d_acc(c.accumulate ? base : std::vector<float>());
  GroupedGemmParams p;
  p.x = d_x.get();
  p.lda = c.k;
  p.w = d_w.get();
  p.num_experts = 1;
  p.max_rows = c.m;
  p.n = c.n;
  p.k = c.k;
  p.silu_and_mul = c.silu;
  p.bias = c.bias ? d_bias.get() : nullptr;
  if (c.accumulate) {
    p.out_f32 = d_acc.get();
  } else {
    p.out = d_out.get();
  }
  ASSERT_CUDA_OK(LaunchGroupedGemm(p, nullptr));
  ASSERT_CUDA_OK(cudaDeviceSynchronize());
  // float32 accumulation of bf16 products: the float32 output is close to
  // the float64 sum; the bf16 output within its rounding.
  const std::vector<float> got = c.accumulate ? d_acc.Download() : ToFloat(d_out.Download());
  ExpectClose(got, want, c.accumulate ? 1e-5 : 1e-2, c.name);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, DenseBf16GemmTest,
    ::testing::Values(
        // Qwen3-30B-A3B: qkv (n 5120, k 2048) and o_proj (n 2048, k 4096,
        // into the residual: split-K) at decode sizes.
        DenseCase{"qkv_m1", 1, 5120, 2048, false, false, false},
        DenseCase{"qkv_m16_bias", 16, 5120, 2048, false, true, false},
        DenseCase{"o_m1_accumulate", 1, 2048, 4096, false, false, true},
        DenseCase{"o_m5_accumulate_bias", 5, 2048, 4096, false, true, true},
        DenseCase{"o_m64_accumulate", 64, 2048, 4096, false, false, true},
        DenseCase{"gate_up_m1_silu", 1, 1536, 2048, true, false, false},
        DenseCase{"down_m3_accumulate_short_k", 3, 256, 200, false, false, true},
        DenseCase{"odd_m7", 7, 34, 48, false, true, true}),
    [](const ::testing::TestParamInfo<DenseCase>& info) { return std::string(info.param.name); });

// --- INT8 W8A8 grouped and dense GEMMs ---------------------------------------

// Against the CPU's W8A8 math on the same int8 values (kernels/cpu/
// int8_linear): the int32 dot products are exact on both sides, so the
// results differ only by the float32 epilogue's and the bf16 output's
// rounding.
struct Int8Case {
  const char* name;
  int64_t tokens;
  int32_t experts, top_k, n, k;  // experts 0: dense (no offsets), top_k 1
  bool silu, gather, bias, accumulate;
};

class Int8GemmTest : public ::testing::TestWithParam<Int8Case> {};

TEST_P(Int8GemmTest, MatchesCpuW8A8) {
  const Int8Case c = GetParam();
  const bool dense = c.experts == 0;
  const int32_t experts = dense ? 1 : c.experts;
  const int32_t top_k = dense ? 1 : c.top_k;
  const int64_t rows = c.tokens * top_k;
  const int32_t out_cols = c.silu ? c.n / 2 : c.n;
  std::vector<int32_t> all(experts);
  std::iota(all.begin(), all.end(), 0);
  const Grouping grouping = dense ? Grouping{{0, static_cast<int32_t>(rows)}, {}, {}}
                                  : HostPermute(RandomIds(c.tokens, top_k, all, 5), top_k, experts);
  const int64_t a_rows = c.gather ? c.tokens : rows;
  const std::vector<float> x = Random(a_rows * c.k, 31);
  const std::vector<float> w = Random(int64_t{experts} * c.n * c.k, 32, 0.05f);
  std::vector<int8_t> xq(a_rows * c.k);
  std::vector<float> xs(a_rows);
  cpu::QuantizeActivationsPerToken(x.data(), a_rows, c.k, xq.data(), xs.data());
  std::vector<int8_t> wq;
  std::vector<float> ws;
  for (int32_t e = 0; e < experts; ++e) {
    const cpu::Int8Weight q =
        cpu::QuantizeWeightPerChannel(w.data() + int64_t{e} * c.n * c.k, c.n, c.k);
    wq.insert(wq.end(), q.values.begin(), q.values.end());
    ws.insert(ws.end(), q.scales.begin(), q.scales.end());
  }
  const std::vector<float> bias = c.bias ? RoundBf16(Random(c.n, 33)) : std::vector<float>();
  const std::vector<float> base = c.accumulate ? Random(rows * out_cols, 34) : std::vector<float>();
  std::vector<float> want(rows * out_cols), acc(c.n);
  for (int32_t e = 0; e < experts; ++e) {
    for (int32_t r = grouping.offsets[e]; r < grouping.offsets[e + 1]; ++r) {
      const int64_t src = c.gather ? grouping.row_token[r] : r;
      for (int32_t col = 0; col < c.n; ++col) {
        const int8_t* b = wq.data() + (int64_t{e} * c.n + col) * c.k;
        int32_t dot = 0;
        for (int32_t i = 0; i < c.k; ++i) dot += int32_t{xq[src * c.k + i]} * b[i];
        acc[col] = static_cast<float>(dot) * xs[src] * ws[int64_t{e} * c.n + col];
        if (c.bias) acc[col] += bias[col];
      }
      float* out = want.data() + int64_t{r} * out_cols;
      if (c.silu) {
        cpu::SiluAndMul(acc.data(), 1, out_cols, out);
      } else {
        for (int32_t col = 0; col < c.n; ++col)
          out[col] = acc[col] + (c.accumulate ? base[int64_t{r} * out_cols + col] : 0.0f);
      }
    }
  }
  DeviceArray<int8_t> d_x(xq), d_w(wq);
  DeviceArray<float> d_xs(xs), d_ws(ws);
  DeviceArray<int32_t> d_off(grouping.offsets), d_rows(grouping.row_token);
  DeviceArray<__nv_bfloat16> d_bias(c.bias ? ToBf16(bias) : std::vector<__nv_bfloat16>());
  DeviceArray<__nv_bfloat16> d_out(rows * out_cols);
  DeviceArray<float> d_acc(c.accumulate ? base : std::vector<float>());
  GroupedGemmParams p;
  p.operands = GemmOperands::kInt8;
  p.x = d_x.get();
  p.lda = c.k;
  p.a_rows = c.gather ? d_rows.get() : nullptr;
  p.w = d_w.get();
  p.expert_offsets = dense ? nullptr : d_off.get();
  p.num_experts = experts;
  p.max_rows = rows;
  p.n = c.n;
  p.k = c.k;
  p.silu_and_mul = c.silu;
  p.x_scales = d_xs.get();
  p.w_scales = d_ws.get();
  p.bias = c.bias ? d_bias.get() : nullptr;
  if (c.accumulate) {
    p.out_f32 = d_acc.get();
  } else {
    p.out = d_out.get();
  }
  // kAuto (the GEMV kernel for groups of up to 8 rows) and the mma.sync
  // kernels pinned, each from the same starting output.
  for (GroupedGemmPath path : {GroupedGemmPath::kAuto, GroupedGemmPath::kMmaSync}) {
    const std::string what =
        std::string(c.name) + (path == GroupedGemmPath::kAuto ? " auto" : " mma.sync");
    if (c.accumulate) {
      ASSERT_CUDA_OK(cudaMemcpy(d_acc.get(), base.data(), base.size() * sizeof(float),
                                cudaMemcpyHostToDevice));
    }
    p.path = path;
    ASSERT_CUDA_OK(LaunchGroupedGemm(p, nullptr));
    ASSERT_CUDA_OK(cudaDeviceSynchronize());
    const std::vector<float> got = c.accumulate ? d_acc.Download() : ToFloat(d_out.Download());
    ExpectClose(got, want, c.accumulate ? 1e-5 : 1e-2, what);
  }
  // wgmma has no INT8 kernel: refused, not run.
  p.path = GroupedGemmPath::kWgmma;
  EXPECT_EQ(LaunchGroupedGemm(p, nullptr), cudaErrorInvalidValue);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, Int8GemmTest,
    ::testing::Values(
        // Dense (decode and prefill rows, Qwen3-30B-A3B attention shapes).
        Int8Case{"dense_m1_qkv", 1, 0, 1, 5120, 2048, false, false, false, false},
        Int8Case{"dense_m37_bias", 37, 0, 1, 640, 272, false, false, true, false},
        Int8Case{"dense_m64_o_accumulate", 64, 0, 1, 2048, 4096, false, false, false, true},
        Int8Case{"dense_m1_o_accumulate_bias", 1, 0, 1, 2048, 4096, false, false, true, true},
        Int8Case{"dense_m1_gate_up_silu", 1, 0, 1, 1536, 2048, true, false, false, false},
        Int8Case{"dense_m300_gate_up_silu", 300, 0, 1, 768, 512, true, false, false, false},
        Int8Case{"dense_m3_odd", 3, 0, 1, 34, 48, false, false, true, true},
        // Grouped experts, gathered rows for gate_up, grouped rows for down.
        Int8Case{"experts_gate_up_t1", 1, 16, 4, 128, 128, true, true, false, false},
        Int8Case{"experts_gate_up_t37", 37, 16, 4, 128, 128, true, true, false, false},
        Int8Case{"experts_down_t64", 64, 128, 8, 2048, 768, false, false, false, false},
        Int8Case{"experts_gate_up_t500", 500, 8, 2, 512, 256, true, true, false, false},
        // A decode step's experts (the GEMV kernel): gathered gate_up with
        // SiLU, grouped down; an expert with more than 8 rows takes two slots.
        Int8Case{"experts_qwen_gate_up_t4", 4, 128, 8, 1536, 2048, true, true, false, false},
        Int8Case{"experts_qwen_down_t16", 16, 128, 8, 2048, 768, false, false, false, false},
        Int8Case{"experts_t16_e16", 16, 16, 2, 64, 96, true, true, false, false},
        Int8Case{"dense_m8_bias_accumulate", 8, 0, 1, 96, 4096, false, false, true, true},
        Int8Case{"dense_m2_long_k", 2, 0, 1, 64, 16384, false, false, false, false}),
    [](const ::testing::TestParamInfo<Int8Case>& info) { return std::string(info.param.name); });

// Per-token quantization: the CPU's rule bit for bit (scales and int8
// values), over odd widths, padded strides, one row and an all-zero row.
TEST(QuantizePerTokenTest, MatchesTheCpuExactly) {
  for (const auto& [rows, cols, pad] : std::vector<std::tuple<int64_t, int32_t, int32_t>>{
           {1, 2048, 0}, {37, 37, 3}, {64, 768, 16}, {300, 4096, 0}}) {
    SCOPED_TRACE(::testing::Message() << rows << " x " << cols << " pad " << pad);
    const int64_t ld = cols + pad;
    std::vector<float> x = RoundBf16(Random(rows * ld, 41, 3.0f));
    if (rows > 1) std::fill(x.begin() + ld, x.begin() + 2 * ld, 0.0f);  // an all-zero row
    std::vector<float> dense(rows * cols);
    for (int64_t r = 0; r < rows; ++r) {
      std::copy(x.begin() + r * ld, x.begin() + r * ld + cols, dense.begin() + r * cols);
    }
    std::vector<int8_t> want_q(rows * cols);
    std::vector<float> want_s(rows);
    cpu::QuantizeActivationsPerToken(dense.data(), rows, cols, want_q.data(), want_s.data());
    DeviceArray<__nv_bfloat16> d_x(ToBf16(x));
    DeviceArray<int8_t> d_q(rows * cols);
    DeviceArray<float> d_s(rows);
    QuantizeParams p;
    p.x = d_x.get();
    p.ldx = ld;
    p.rows = rows;
    p.cols = cols;
    p.q = d_q.get();
    p.ldq = cols;
    p.scales = d_s.get();
    ASSERT_CUDA_OK(LaunchQuantizePerToken(p, nullptr));
    ASSERT_CUDA_OK(cudaDeviceSynchronize());
    EXPECT_EQ(d_s.Download(), want_s);
    EXPECT_EQ(d_q.Download(), want_q);
  }
  QuantizeParams bad;
  bad.cols = 0;
  EXPECT_EQ(LaunchQuantizePerToken(bad, nullptr), cudaErrorInvalidValue);
}

// --- Combine ------------------------------------------------------------------

struct CombineCase {
  int64_t tokens;
  int32_t top_k, hidden;
};

class MoeCombineTest : public ::testing::TestWithParam<CombineCase> {};

TEST_P(MoeCombineTest, MatchesCpu) {
  const CombineCase c = GetParam();
  const int64_t pairs = c.tokens * c.top_k;
  const std::vector<float> expert_out = RoundBf16(Random(pairs * c.hidden, 31));
  std::vector<int32_t> pair_row(pairs);
  std::iota(pair_row.begin(), pair_row.end(), 0);
  std::shuffle(pair_row.begin(), pair_row.end(), std::mt19937(32));
  const std::vector<float> weights = Random(pairs, 33, 0.5f);
  const std::vector<float> residual = Random(c.tokens * c.hidden, 34);
  std::vector<float> want = residual;
  for (int64_t t = 0; t < c.tokens; ++t) {
    for (int32_t h = 0; h < c.hidden; ++h) {
      float s = 0.0f;
      for (int32_t j = 0; j < c.top_k; ++j) {
        const int64_t row = pair_row[t * c.top_k + j];
        s += weights[t * c.top_k + j] * expert_out[row * c.hidden + h];
      }
      want[t * c.hidden + h] += s;
    }
  }
  DeviceArray<__nv_bfloat16> d_out(ToBf16(expert_out));
  DeviceArray<int32_t> d_pr(pair_row);
  DeviceArray<float> d_w(weights), d_res(residual);
  MoeCombineParams p;
  p.expert_out = d_out.get();
  p.pair_row = d_pr.get();
  p.weights = d_w.get();
  p.tokens = c.tokens;
  p.top_k = c.top_k;
  p.hidden = c.hidden;
  p.residual = d_res.get();
  ASSERT_CUDA_OK(LaunchMoeCombine(p, nullptr));
  ExpectClose(d_res.Download(), want, 1e-5, "combine");
}

INSTANTIATE_TEST_SUITE_P(Shapes, MoeCombineTest,
                         ::testing::Values(CombineCase{1, 8, 2048}, CombineCase{37, 4, 128},
                                           CombineCase{300, 8, 2048}, CombineCase{5, 2, 100},
                                           CombineCase{3, 6, 7168}, CombineCase{2, 3, 13}));

TEST(MoeCombineErrors, RejectsBadArguments) {
  DeviceArray<float> buf(64);
  DeviceArray<__nv_bfloat16> out(64);
  DeviceArray<int32_t> rows(8);
  MoeCombineParams p;
  p.expert_out = out.get();
  p.pair_row = rows.get();
  p.weights = buf.get();
  p.tokens = 2;
  p.top_k = 2;
  p.hidden = 8;
  p.residual = buf.get();
  ExpectRejected(p, [](const MoeCombineParams& q) { return LaunchMoeCombine(q, nullptr); },
                 {
                     [](MoeCombineParams& b) { b.hidden = 0; },
                     [](MoeCombineParams& b) { b.top_k = 0; },
                     [](MoeCombineParams& b) { b.tokens = -1; },
                     [](MoeCombineParams& b) { b.pair_row = nullptr; },
                     [](MoeCombineParams& b) { b.residual = nullptr; },
                 });
}

// --- A whole MoE layer --------------------------------------------------------

// Route, group, gate_up with SiLU-and-multiply, down and combine on the GPU,
// against the CPU's routing and float32 expert MLPs on the same bf16 values.
void CheckMoeLayer(int64_t tokens, int32_t experts, int32_t hidden, int32_t inter, int32_t top_k) {
  SCOPED_TRACE(::testing::Message() << "T=" << tokens << " E=" << experts << " H=" << hidden
                                    << " I=" << inter << " k=" << top_k);
  const int64_t pairs = tokens * top_k;
  const std::vector<float> x = RoundBf16(Random(tokens * hidden, 41));
  const std::vector<float> w13 = RoundBf16(Random(int64_t{experts} * 2 * inter * hidden, 42,
                                                  1.0f / std::sqrt(static_cast<float>(hidden))));
  const std::vector<float> w2 = RoundBf16(
      Random(int64_t{experts} * hidden * inter, 43, 1.0f / std::sqrt(static_cast<float>(inter))));
  const std::vector<float> logits = Random(tokens * experts, 44);
  const std::vector<float> residual0 = Random(tokens * hidden, 45);
  std::vector<int32_t> ids(pairs);
  std::vector<float> weights(pairs);
  cpu::SoftmaxTopK(logits.data(), tokens, experts, top_k, true, ids.data(), weights.data());

  DeviceArray<float> d_logits(logits), d_weights(pairs), d_residual(residual0);
  DeviceArray<int32_t> d_ids(pairs), d_off(experts + 1), d_rt(pairs), d_pr(pairs);
  const size_t ws_bytes = MoePermuteWorkspaceBytes(experts, pairs);
  DeviceArray<char> d_ws(std::max<size_t>(1, ws_bytes));
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_w13(ToBf16(w13)), d_w2(ToBf16(w2));
  DeviceArray<__nv_bfloat16> d_act(pairs * inter), d_out(pairs * hidden);
  cudaStream_t stream;
  ASSERT_CUDA_OK(cudaStreamCreate(&stream));
  MoeRoutingParams route;
  route.logits = d_logits.get();
  route.tokens = tokens;
  route.num_experts = experts;
  route.top_k = top_k;
  route.normalize = true;
  route.ids = d_ids.get();
  route.weights = d_weights.get();
  ASSERT_CUDA_OK(LaunchMoeRouting(route, stream));
  MoePermuteParams perm;
  perm.ids = d_ids.get();
  perm.tokens = tokens;
  perm.top_k = top_k;
  perm.num_experts = experts;
  perm.expert_offsets = d_off.get();
  perm.row_token = d_rt.get();
  perm.pair_row = d_pr.get();
  perm.workspace = d_ws.get();
  perm.workspace_bytes = ws_bytes;
  ASSERT_CUDA_OK(LaunchMoePermute(perm, stream));
  GroupedGemmParams up;
  up.x = d_x.get();
  up.lda = hidden;
  up.a_rows = d_rt.get();
  up.w = d_w13.get();
  up.expert_offsets = d_off.get();
  up.num_experts = experts;
  up.max_rows = pairs;
  up.n = 2 * inter;
  up.k = hidden;
  up.silu_and_mul = true;
  up.out = d_act.get();
  ASSERT_CUDA_OK(LaunchGroupedGemm(up, stream));
  GroupedGemmParams down = up;
  down.x = d_act.get();
  down.lda = inter;
  down.a_rows = nullptr;
  down.w = d_w2.get();
  down.n = hidden;
  down.k = inter;
  down.silu_and_mul = false;
  down.out = d_out.get();
  ASSERT_CUDA_OK(LaunchGroupedGemm(down, stream));
  MoeCombineParams combine;
  combine.expert_out = d_out.get();
  combine.pair_row = d_pr.get();
  combine.weights = d_weights.get();
  combine.tokens = tokens;
  combine.top_k = top_k;
  combine.hidden = hidden;
  combine.residual = d_residual.get();
  ASSERT_CUDA_OK(LaunchMoeCombine(combine, stream));
  ASSERT_CUDA_OK(cudaStreamSynchronize(stream));
  ASSERT_CUDA_OK(cudaStreamDestroy(stream));
  ASSERT_EQ(d_ids.Download(), ids);

  // CPU MoE in float32: sum_j w_j * down_e(silu(gate_e x) * up_e x).
  std::vector<float> want = residual0;
  std::vector<float> gate_up(2 * inter), act(inter);
  for (int64_t t = 0; t < tokens; ++t) {
    const float* xt = x.data() + t * hidden;
    for (int32_t j = 0; j < top_k; ++j) {
      const int32_t e = ids[t * top_k + j];
      const float* g = w13.data() + int64_t{e} * 2 * inter * hidden;
      for (int32_t i = 0; i < 2 * inter; ++i) {
        float s = 0.0f;
        for (int32_t h = 0; h < hidden; ++h) s += xt[h] * g[int64_t{i} * hidden + h];
        gate_up[i] = s;
      }
      cpu::SiluAndMul(gate_up.data(), 1, inter, act.data());
      const float* d = w2.data() + int64_t{e} * hidden * inter;
      for (int32_t h = 0; h < hidden; ++h) {
        float s = 0.0f;
        for (int32_t i = 0; i < inter; ++i) s += act[i] * d[int64_t{h} * inter + i];
        want[t * hidden + h] += weights[t * top_k + j] * s;
      }
    }
  }
  const std::vector<float> got = d_residual.Download();
  std::vector<float> got_delta(got.size()), want_delta(got.size());
  for (size_t i = 0; i < got.size(); ++i) {
    got_delta[i] = got[i] - residual0[i];
    want_delta[i] = want[i] - residual0[i];
  }
  EXPECT_LE(RelativeError(got_delta, want_delta), 1e-2);
}

TEST(MoeLayerTest, TinyModelShapes) {
  for (int64_t tokens : {1, 3, 37, 300, 1000}) CheckMoeLayer(tokens, 16, 128, 64, 4);
}

TEST(MoeLayerTest, Qwen3MoeLayerShape) {
  CheckMoeLayer(5, 128, 2048, 768, 8);
  CheckMoeLayer(64, 128, 2048, 768, 8);
}

}  // namespace
}  // namespace weft::kernels::gpu
