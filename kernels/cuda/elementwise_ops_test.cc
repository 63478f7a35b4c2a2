// GPU test (tag "gpu"): the CUDA element-wise operators (embedding, row
// gather, RMSNorm, RoPE, SiLU-and-mul) against the CPU backend (kernels/cpu)
// and the cuBLAS GEMMs (dense and strided-batched) against float64 loops, on fresh random inputs
// rounded to bf16. Each run draws a new base seed (printed; WEFT_TEST_SEED=<n> replays one). Shapes
// cover the vectorized paths (model dims 64 .. 7168) and the scalar fallbacks (odd sizes,
// misaligned pointers), one token and many.
#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cpu/activation.h"
#include "kernels/cpu/int8_linear.h"
#include "kernels/cpu/rms_norm.h"
#include "kernels/cpu/rope.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/batched_gemm.h"
#include "kernels/cuda/cublas_library.h"
#include "kernels/cuda/cuda_test_util.h"
#include "kernels/cuda/embedding.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/rms_norm.h"
#include "kernels/cuda/rope.h"

namespace weft::kernels::gpu {
namespace {

using testing::DeviceArray;
using testing::ExpectRejected;
using testing::RelativeError;
using testing::RoundBf16;
using testing::ToBf16;
using testing::ToFloat;

#define ASSERT_CUBLAS_OK(expr)                      \
  do {                                              \
    const cublasStatus_t st_ = (expr);              \
    ASSERT_EQ(st_, CUBLAS_STATUS_SUCCESS) << #expr; \
  } while (0)

// The run's base seed: WEFT_TEST_SEED if set, else a fresh one.
uint32_t BaseSeed() {
  static const uint32_t seed = [] {
    const char* env = std::getenv("WEFT_TEST_SEED");
    const uint32_t s = env != nullptr ? static_cast<uint32_t>(std::strtoul(env, nullptr, 10))
                                      : std::random_device{}();
    std::printf("elementwise_ops_test: WEFT_TEST_SEED=%u\n", s);
    return s;
  }();
  return seed;
}

// Fresh normal(0, scale) values; `salt` separates the arrays of one run.
std::vector<float> Random(size_t n, uint32_t salt, float scale = 1.0f) {
  return testing::Random(n, BaseSeed() * 2654435761u + salt, scale);
}

// The spacing of bf16 values just above |v| (v a bf16 value).
double Bf16Ulp(float v) {
  __nv_bfloat16_raw raw = __float2bfloat16(std::fabs(v));
  ++raw.x;
  return double{__bfloat162float(__nv_bfloat16(raw))} - std::fabs(v);
}

// max |out - bf16(ref)| in bf16 ulps of bf16(ref): 0 when out is ref rounded
// to bf16, 1 when a float32 rounding difference flipped the last bit.
double MaxBf16Ulps(const std::vector<float>& out, const std::vector<float>& ref) {
  EXPECT_EQ(out.size(), ref.size());
  double worst = 0.0;
  for (size_t i = 0; i < ref.size() && i < out.size(); ++i) {
    const float r = __bfloat162float(__float2bfloat16(ref[i]));
    worst = std::max(worst, std::fabs(double{out[i]} - r) / Bf16Ulp(r));
  }
  return worst;
}

// Elements where out differs from bf16(ref).
int64_t CountBf16Mismatches(const std::vector<float>& out, const std::vector<float>& ref) {
  int64_t n = 0;
  for (size_t i = 0; i < ref.size() && i < out.size(); ++i) {
    n += out[i] != __bfloat162float(__float2bfloat16(ref[i]));
  }
  return n;
}

class ElementwiseOpsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_CUDA_OK(cudaStreamCreate(&stream_)); }
  void TearDown() override {
    EXPECT_EQ(cudaStreamSynchronize(stream_), cudaSuccess);
    EXPECT_EQ(cudaStreamDestroy(stream_), cudaSuccess);
  }
  cudaStream_t stream_ = nullptr;
};

// ---------------------------------------------------------------- embedding

void CheckEmbedding(int64_t vocab, int32_t hidden, const std::vector<int32_t>& ids,
                    bool misaligned_out, cudaStream_t stream) {
  SCOPED_TRACE(::testing::Message() << "hidden " << hidden << " tokens " << ids.size()
                                    << (misaligned_out ? " misaligned" : ""));
  const std::vector<float> table = RoundBf16(Random(vocab * hidden, hidden));
  const int64_t tokens = static_cast<int64_t>(ids.size());
  const int64_t shift = misaligned_out ? 1 : 0;  // one float: breaks 16-byte alignment
  DeviceArray<__nv_bfloat16> d_table(ToBf16(table));
  DeviceArray<int32_t> d_ids(ids);
  DeviceArray<float> d_out(std::vector<float>(tokens * hidden + shift, -7.0f));
  EmbeddingParams p{d_table.get(), vocab, hidden, d_ids.get(), tokens, d_out.get() + shift};
  ASSERT_CUDA_OK(LaunchEmbedding(p, stream));
  const std::vector<float> out = d_out.Download();
  if (misaligned_out) {
    EXPECT_EQ(out[0], -7.0f);
  }
  for (int64_t t = 0; t < tokens; ++t) {
    const bool valid = ids[t] >= 0 && ids[t] < vocab;
    for (int32_t i = 0; i < hidden; ++i) {
      const float want = valid ? table[int64_t{ids[t]} * hidden + i] : 0.0f;
      ASSERT_EQ(out[shift + t * hidden + i], want) << "token " << t << " element " << i;
    }
  }
}

TEST_F(ElementwiseOpsTest, EmbeddingWidensRowsAndZeroesBadIds) {
  const std::vector<int32_t> ids = {5, 0, 99, 5, -1, 100, 42, 1 << 30};
  for (int32_t hidden : {136, 2048, 7168, 100, 1}) {
    CheckEmbedding(100, hidden, ids, false, stream_);
    CheckEmbedding(100, hidden, {17}, false, stream_);  // one token
  }
  CheckEmbedding(100, 136, ids, true, stream_);  // scalar path
}

TEST_F(ElementwiseOpsTest, EmbeddingRejectsBadArguments) {
  DeviceArray<__nv_bfloat16> d_table(8 * 16);
  DeviceArray<int32_t> d_ids(std::vector<int32_t>{1, 2});
  DeviceArray<float> d_out(2 * 16);
  EmbeddingParams p{d_table.get(), 8, 16, d_ids.get(), 2, d_out.get()};
  ASSERT_CUDA_OK(LaunchEmbedding(p, stream_));
  ExpectRejected(p, [this](const EmbeddingParams& q) { return LaunchEmbedding(q, stream_); },
                 {
                     [](EmbeddingParams& b) { b.hidden = 0; },
                     [](EmbeddingParams& b) { b.vocab = 0; },
                     [](EmbeddingParams& b) { b.tokens = -1; },
                     [](EmbeddingParams& b) { b.table = nullptr; },
                     [](EmbeddingParams& b) { b.out = nullptr; },
                 });
  // No tokens: nothing to do, not even pointers to check.
  EmbeddingParams bad = p;
  bad.tokens = 0;
  bad.ids = nullptr;
  EXPECT_EQ(LaunchEmbedding(bad, stream_), cudaSuccess);
}

TEST_F(ElementwiseOpsTest, GatherRowsCopiesRows) {
  for (int32_t cols : {136, 7168, 99, 1}) {
    for (bool misaligned : {false, true}) {
      SCOPED_TRACE(::testing::Message() << "cols " << cols << (misaligned ? " misaligned" : ""));
      const int64_t src_rows = 9;
      const int64_t shift = misaligned ? 1 : 0;
      const std::vector<float> src = Random(src_rows * cols + shift, cols);
      const std::vector<int32_t> rows = {6, 0, 3, 3, 8};
      DeviceArray<float> d_src(src), d_out(rows.size() * cols);
      DeviceArray<int32_t> d_rows(rows);
      GatherRowsParams g{d_src.get() + shift, d_rows.get(), static_cast<int64_t>(rows.size()), cols,
                         d_out.get()};
      ASSERT_CUDA_OK(LaunchGatherRows(g, stream_));
      const std::vector<float> out = d_out.Download();
      for (size_t r = 0; r < rows.size(); ++r) {
        for (int32_t i = 0; i < cols; ++i) {
          ASSERT_EQ(out[r * cols + i], src[shift + int64_t{rows[r]} * cols + i]) << r << "," << i;
        }
      }
    }
  }
  GatherRowsParams bad{nullptr, nullptr, 1, 4, nullptr};
  EXPECT_EQ(LaunchGatherRows(bad, stream_), cudaErrorInvalidValue);
  bad.num_rows = 0;
  EXPECT_EQ(LaunchGatherRows(bad, stream_), cudaSuccess);
  bad.cols = 0;
  EXPECT_EQ(LaunchGatherRows(bad, stream_), cudaErrorInvalidValue);
}

// ---------------------------------------------------------------- RMSNorm

void CheckAddRmsNorm(int64_t rows, int32_t dim, bool with_add, cudaStream_t stream) {
  SCOPED_TRACE(::testing::Message()
               << "rows " << rows << " dim " << dim << (with_add ? " with add" : " no add"));
  const float eps = 1e-6f;
  const std::vector<float> x = Random(rows * dim, 100 + dim + rows);
  const std::vector<float> add = Random(rows * dim, 200 + dim + rows, 0.5f);
  const std::vector<float> w = RoundBf16(Random(dim, 300 + dim, 0.5f));
  DeviceArray<float> d_x(x), d_add(add);
  DeviceArray<__nv_bfloat16> d_w(ToBf16(w)), d_out(rows * dim);
  AddRmsNormParams p{d_x.get(), with_add ? d_add.get() : nullptr, d_w.get(), d_out.get(), rows, dim,
                     eps};
  ASSERT_CUDA_OK(LaunchAddRmsNorm(p, stream));
  std::vector<float> residual = x, want(rows * dim);
  if (with_add) {
    cpu::AddRmsNorm(residual.data(), add.data(), w.data(), rows, dim, eps, want.data());
  } else {
    cpu::RmsNorm(residual.data(), w.data(), rows, dim, eps, want.data());
  }
  // The residual update is the same float32 addition: bit-identical.
  const std::vector<float> got_residual = d_x.Download();
  for (int64_t i = 0; i < rows * dim; ++i) {
    ASSERT_EQ(got_residual[i], residual[i]) << "residual element " << i;
  }
  const std::vector<float> out = ToFloat(d_out.Download());
  EXPECT_LT(RelativeError(out, want), 1e-2);
  // Float32 statistics: at most the last bf16 bit differs from the CPU's.
  EXPECT_LE(MaxBf16Ulps(out, want), 1.0);
}

TEST_F(ElementwiseOpsTest, AddRmsNormMatchesCpu) {
  // 64..1024: a warp per row; 2048..32768: a block per row; 99, 1, 33000
  // and non-multiples of 4: the scalar kernel.
  for (int32_t dim : {64, 128, 100, 1024, 2048, 4096, 5120, 7168, 99, 1, 33000}) {
    for (int64_t rows : {1, 5, 33}) {
      CheckAddRmsNorm(rows, dim, true, stream_);
    }
    CheckAddRmsNorm(3, dim, false, stream_);
  }
}

// The INT8 output of AddRmsNorm against the CPU's per-token quantization of
// the CPU's normalized rows: the float32 products may differ in their last
// bits (operation order), so a value on a rounding boundary may land one
// step away; scales agree to float rounding.
void CheckAddRmsNormInt8(int64_t rows, int32_t dim, int32_t offset, cudaStream_t stream) {
  SCOPED_TRACE(::testing::Message()
               << "INT8 output, rows " << rows << " dim " << dim << " offset " << offset);
  const float eps = 1e-6f;
  const std::vector<float> x = Random(rows * dim + offset, 500 + dim + rows);
  const std::vector<float> add = Random(rows * dim + offset, 600 + dim + rows, 0.5f);
  const std::vector<float> w = RoundBf16(Random(dim, 700 + dim, 0.5f));
  DeviceArray<float> d_x(x), d_add(add), d_scales(rows);
  DeviceArray<__nv_bfloat16> d_w(ToBf16(w)), d_out(rows * dim);
  DeviceArray<int8_t> d_q(rows * dim + offset);
  AddRmsNormParams p{
      d_x.get() + offset, d_add.get() + offset, d_w.get(), d_out.get(), rows, dim, eps};
  p.q = d_q.get() + offset;
  p.q_scales = d_scales.get();
  ASSERT_CUDA_OK(LaunchAddRmsNorm(p, stream));
  std::vector<float> residual(x.begin() + offset, x.end()), want(rows * dim);
  cpu::AddRmsNorm(residual.data(), add.data() + offset, w.data(), rows, dim, eps, want.data());
  std::vector<int8_t> want_q(rows * dim);
  std::vector<float> want_scales(rows);
  cpu::QuantizeActivationsPerToken(want.data(), rows, dim, want_q.data(), want_scales.data());
  const std::vector<float> scales = d_scales.Download();
  const std::vector<int8_t> q = d_q.Download();
  for (int64_t r = 0; r < rows; ++r) {
    EXPECT_NEAR(scales[r], want_scales[r], 1e-6f * want_scales[r]) << "row " << r;
  }
  int64_t off_by_one = 0;
  for (int64_t i = 0; i < rows * dim; ++i) {
    const int diff = std::abs(int{q[offset + i]} - int{want_q[i]});
    ASSERT_LE(diff, 1) << "element " << i;
    off_by_one += diff;
  }
  EXPECT_LE(off_by_one, std::max<int64_t>(2, rows * dim / 200));
  // The bf16 output is the same as without quantization.
  EXPECT_LE(MaxBf16Ulps(ToFloat(d_out.Download()), want), 1.0);
}

TEST_F(ElementwiseOpsTest, AddRmsNormQuantizesToInt8) {
  // Warp kernel (128, 2048 is the block kernel's), block kernel, scalar
  // kernel (odd dim, misaligned rows).
  for (int32_t dim : {128, 1024, 2048, 7168, 99}) {
    for (int64_t rows : {1, 7, 64}) CheckAddRmsNormInt8(rows, dim, 0, stream_);
  }
  CheckAddRmsNormInt8(5, 256, 1, stream_);
  // An all-zero row gets scale 1 and zeros.
  DeviceArray<float> d_x(std::vector<float>(64, 0.0f)), d_scales(1);
  DeviceArray<__nv_bfloat16> d_w(ToBf16(std::vector<float>(64, 1.0f))), d_out(64);
  DeviceArray<int8_t> d_q(std::vector<int8_t>(64, 5));
  AddRmsNormParams p{d_x.get(), nullptr, d_w.get(), d_out.get(), 1, 64, 1e-6f};
  p.q = d_q.get();
  p.q_scales = d_scales.get();
  ASSERT_CUDA_OK(LaunchAddRmsNorm(p, stream_));
  EXPECT_EQ(d_scales.Download()[0], 1.0f);
  EXPECT_EQ(d_q.Download(), std::vector<int8_t>(64, 0));
  p.q_scales = nullptr;  // one of the pair
  EXPECT_EQ(LaunchAddRmsNorm(p, stream_), cudaErrorInvalidValue);
}

TEST_F(ElementwiseOpsTest, AddRmsNormMisalignedFallsBack) {
  // Rows of a buffer offset by one float: the scalar kernel.
  const int64_t rows = 4;
  const int32_t dim = 256;
  const std::vector<float> x = Random(rows * dim + 1, 401);
  const std::vector<float> add = Random(rows * dim + 1, 402);
  const std::vector<float> w = RoundBf16(Random(dim, 403, 0.5f));
  DeviceArray<float> d_x(x), d_add(add);
  DeviceArray<__nv_bfloat16> d_w(ToBf16(w)), d_out(rows * dim);
  AddRmsNormParams p{d_x.get() + 1, d_add.get() + 1, d_w.get(), d_out.get(), rows, dim, 1e-5f};
  ASSERT_CUDA_OK(LaunchAddRmsNorm(p, stream_));
  std::vector<float> residual(x.begin() + 1, x.end()), want(rows * dim);
  cpu::AddRmsNorm(residual.data(), add.data() + 1, w.data(), rows, dim, 1e-5f, want.data());
  const std::vector<float> out = ToFloat(d_out.Download());
  EXPECT_LE(MaxBf16Ulps(out, want), 1.0);
  const std::vector<float> got = d_x.Download();
  EXPECT_EQ(got[0], x[0]);
  EXPECT_EQ(std::vector<float>(got.begin() + 1, got.end()), residual);
}

TEST_F(ElementwiseOpsTest, AddRmsNormRejectsBadArguments) {
  AddRmsNormParams p;
  p.rows = 1;
  p.dim = 64;
  EXPECT_EQ(LaunchAddRmsNorm(p, stream_), cudaErrorInvalidValue);  // null pointers
  p.rows = 0;
  EXPECT_EQ(LaunchAddRmsNorm(p, stream_), cudaSuccess);
  p.rows = -1;
  EXPECT_EQ(LaunchAddRmsNorm(p, stream_), cudaErrorInvalidValue);
  p.rows = 1;
  p.dim = 0;
  EXPECT_EQ(LaunchAddRmsNorm(p, stream_), cudaErrorInvalidValue);
}

// The reference of LaunchRmsNormBf16: cpu::RmsNorm over each (token, head)
// row of `dim` at base + t * token_stride + h * dim.
void RmsNormRowsOnCpu(std::vector<float>* x, int64_t base, int64_t tokens, int32_t heads,
                      int64_t token_stride, int32_t dim, const std::vector<float>& w, float eps) {
  for (int64_t t = 0; t < tokens; ++t) {
    float* row = x->data() + base + t * token_stride;
    cpu::RmsNorm(row, w.data(), heads, dim, eps, row);
  }
}

// Norms `heads` rows of `dim` per token at element `base` of rows
// `token_stride` wide; everything else must stay bit-identical.
void CheckRmsNormBf16(int64_t tokens, int32_t heads, int64_t token_stride, int64_t base,
                      int32_t dim, cudaStream_t stream) {
  SCOPED_TRACE(::testing::Message() << "tokens " << tokens << " heads " << heads << " dim " << dim
                                    << " stride " << token_stride << " base " << base);
  const float eps = 1e-6f;
  const std::vector<float> x = RoundBf16(Random(tokens * token_stride, 500 + dim + heads));
  const std::vector<float> w = RoundBf16(Random(dim, 600 + dim, 0.3f));
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_w(ToBf16(w));
  RmsNormBf16Params p{d_x.get() + base, tokens, heads, token_stride, dim, d_w.get(), eps};
  ASSERT_CUDA_OK(LaunchRmsNormBf16(p, stream));
  std::vector<float> want = x;
  RmsNormRowsOnCpu(&want, base, tokens, heads, token_stride, dim, w, eps);
  const std::vector<float> out = ToFloat(d_x.Download());
  EXPECT_LT(RelativeError(out, want), 1e-2);
  EXPECT_LE(MaxBf16Ulps(out, want), 1.0);
}

TEST_F(ElementwiseOpsTest, RmsNormBf16PerHeadOverFusedQkvRows) {
  // Qwen3's q/k norms: a fused qkv row of 32 q, 4 k and 4 v heads of 128;
  // q heads from element 0, k heads from element 32 * 128; v untouched.
  const int32_t d = 128;
  const int64_t width = (32 + 4 + 4) * d;
  for (int64_t tokens : {1, 7, 300}) {
    CheckRmsNormBf16(tokens, 32, width, 0, d, stream_);
    CheckRmsNormBf16(tokens, 4, width, 32 * d, d, stream_);
  }
  // Both norms in sequence on one buffer, as the attention layer does.
  const int64_t tokens = 5;
  const std::vector<float> x = RoundBf16(Random(tokens * width, 701));
  const std::vector<float> qw = RoundBf16(Random(d, 702, 0.3f));
  const std::vector<float> kw = RoundBf16(Random(d, 703, 0.3f));
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_qw(ToBf16(qw)), d_kw(ToBf16(kw));
  RmsNormBf16Params p{d_x.get(), tokens, 32, width, d, d_qw.get(), 1e-6f};
  ASSERT_CUDA_OK(LaunchRmsNormBf16(p, stream_));
  p.x = d_x.get() + 32 * d;
  p.heads = 4;
  p.weight = d_kw.get();
  ASSERT_CUDA_OK(LaunchRmsNormBf16(p, stream_));
  std::vector<float> want = x;
  RmsNormRowsOnCpu(&want, 0, tokens, 32, width, d, qw, 1e-6f);
  RmsNormRowsOnCpu(&want, 32 * d, tokens, 4, width, d, kw, 1e-6f);
  const std::vector<float> out = ToFloat(d_x.Download());
  EXPECT_LE(MaxBf16Ulps(out, want), 1.0);
  for (int64_t t = 0; t < tokens; ++t) {
    for (int64_t i = 36 * d; i < width; ++i) {
      ASSERT_EQ(out[t * width + i], x[t * width + i]) << "v element " << i;
    }
  }
}

TEST_F(ElementwiseOpsTest, RmsNormBf16MlaLatentAndOtherDims) {
  // MLA: the kv latent [c (512) | k_rope (64)] normalizes c only; q_a norm
  // over rows of 1536.
  for (int64_t tokens : {1, 9}) {
    CheckRmsNormBf16(tokens, 1, 512 + 64, 0, 512, stream_);
    CheckRmsNormBf16(tokens, 1, 1536, 0, 1536, stream_);
  }
  // Vector paths of every group size, then the scalar fallback: dims that
  // are not multiples of 8, an odd token stride, dims above 2048.
  for (int32_t dim : {8, 32, 64, 256, 1024, 2048, 100, 4096, 7}) {
    CheckRmsNormBf16(11, 3, 3 * int64_t{dim} + 8, 0, dim, stream_);
  }
  CheckRmsNormBf16(11, 2, 2 * 64 + 3, 0, 64, stream_);  // misaligned rows
  CheckRmsNormBf16(11, 2, 2 * 64 + 8, 1, 64, stream_);  // misaligned base
}

TEST_F(ElementwiseOpsTest, RmsNormBf16RejectsBadArguments) {
  DeviceArray<__nv_bfloat16> d_x(4 * 128), d_w(64);
  RmsNormBf16Params p{d_x.get(), 4, 2, 128, 64, d_w.get(), 1e-6f};
  ASSERT_CUDA_OK(LaunchRmsNormBf16(p, stream_));
  ExpectRejected(p, [this](const RmsNormBf16Params& q) { return LaunchRmsNormBf16(q, stream_); },
                 {
                     [](RmsNormBf16Params& b) { b.token_stride = 127; },  // < heads * dim
                     [](RmsNormBf16Params& b) { b.heads = 0; },
                     [](RmsNormBf16Params& b) { b.dim = 0; },
                     [](RmsNormBf16Params& b) { b.weight = nullptr; },
                 });
  RmsNormBf16Params bad = p;
  bad.weight = nullptr;
  bad.tokens = 0;
  EXPECT_EQ(LaunchRmsNormBf16(bad, stream_), cudaSuccess);
}

// ---------------------------------------------------------------- RoPE

struct RopeCase {
  int32_t heads;         // rotated heads per token
  int32_t head_stride;   // elements between heads
  int64_t token_stride;  // elements between tokens (>= heads * head_stride)
  int32_t offset;        // first rotated element of a head
  int64_t tokens;
  int64_t base = 0;  // element of the buffer where x starts
};

void CheckRope(const cpu::RopeParams& rp, const RopeCase& c, bool interleaved,
               cudaStream_t stream) {
  SCOPED_TRACE(::testing::Message()
               << "rotary " << rp.rotary_dim << " type " << static_cast<int>(rp.type) << " heads "
               << c.heads << " head_stride " << c.head_stride << " token_stride " << c.token_stride
               << " offset " << c.offset << " tokens " << c.tokens << " base " << c.base
               << (interleaved ? " interleaved" : " neox"));
  const cpu::RopeTable table(rp);
  const int64_t size = c.base + c.tokens * c.token_stride;
  const std::vector<float> x = RoundBf16(Random(size, 800 + rp.rotary_dim + c.heads));
  std::vector<int32_t> positions(c.tokens);
  std::mt19937 rng(BaseSeed() + 900);
  std::uniform_int_distribution<int32_t> position(0, 131071);
  for (int64_t t = 0; t < c.tokens; ++t) positions[t] = t == 0 ? 0 : position(rng);
  if (c.tokens > 1) positions[1] = 131071;
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x));
  DeviceArray<int32_t> d_pos(positions);
  DeviceArray<float> d_freq(table.inv_freq());
  RopeParams p;
  p.x = d_x.get() + c.base;
  p.positions = d_pos.get();
  p.tokens = c.tokens;
  p.heads = c.heads;
  p.token_stride = c.token_stride;
  p.head_stride = c.head_stride;
  p.offset = c.offset;
  p.rotary_dim = rp.rotary_dim;
  p.inv_freq = d_freq.get();
  p.attention_scaling = table.attention_scaling();
  p.interleaved = interleaved;
  ASSERT_CUDA_OK(LaunchRope(p, stream));
  // The CPU applies RoPE to contiguous heads: one token at a time.
  std::vector<float> want = x;
  for (int64_t t = 0; t < c.tokens; ++t) {
    table.Apply(want.data() + c.base + t * c.token_stride, &positions[t], 1, c.heads, c.head_stride,
                c.offset, interleaved ? cpu::RopeLayout::kInterleaved : cpu::RopeLayout::kNeox);
  }
  const std::vector<float> out = ToFloat(d_x.Download());
  EXPECT_LT(RelativeError(out, want), 1e-2);
  // The same float32 operations as the CPU: bf16(CPU) exactly, but for the
  // rare cos/sin whose float64 values round differently.
  EXPECT_LE(MaxBf16Ulps(out, want), 1.0);
  EXPECT_LE(CountBf16Mismatches(out, want), static_cast<int64_t>(want.size()) / 10000);
}

cpu::RopeParams DefaultRope(int32_t rotary_dim) {
  cpu::RopeParams rp;
  rp.rotary_dim = rotary_dim;
  rp.theta = 1e6;
  return rp;
}

// DeepSeek-V3's YaRN; mscale_all_dim unset gives attention_scaling != 1.
cpu::RopeParams YarnRope(int32_t rotary_dim, bool deepseek_mscale) {
  cpu::RopeParams rp;
  rp.rotary_dim = rotary_dim;
  rp.theta = 10000;
  rp.type = cpu::RopeType::kYarn;
  rp.factor = 40;
  rp.original_max_position_embeddings = 4096;
  rp.beta_fast = 32;
  rp.beta_slow = 1;
  rp.mscale = 1.0;
  rp.mscale_all_dim = deepseek_mscale ? 1.0 : 0.0;
  return rp;
}

TEST_F(ElementwiseOpsTest, RopeFusedQkvBothLayouts) {
  // Qwen: q (32) and k (4) heads of a fused qkv row rotated in one launch;
  // the v heads after them stay untouched.
  const int32_t d = 128;
  for (bool interleaved : {false, true}) {
    for (int64_t tokens : {1, 17}) {
      CheckRope(DefaultRope(d), {36, d, (32 + 4 + 4) * d, 0, tokens}, interleaved, stream_);
    }
  }
  CheckRope(YarnRope(d, false), {36, d, 40 * d, 0, 5}, false, stream_);
}

TEST_F(ElementwiseOpsTest, RopeYarnMlaParts) {
  for (bool interleaved : {false, true}) {
    for (bool deepseek_mscale : {true, false}) {
      const cpu::RopeParams yarn = YarnRope(64, deepseek_mscale);
      // MLA queries: 16 heads of 192, the rope part at qk_nope_head_dim = 128.
      CheckRope(yarn, {16, 192, 16 * 192, 128, 9}, interleaved, stream_);
      CheckRope(yarn, {128, 192, 128 * 192, 128, 1}, interleaved, stream_);
      // The latent cache row [c (512) | k_rope (64)]: one head at 512.
      CheckRope(yarn, {1, 576, 576, 512, 33}, interleaved, stream_);
    }
  }
}

TEST_F(ElementwiseOpsTest, RopeOtherShapesAndFallbacks) {
  for (bool interleaved : {false, true}) {
    // Partial rotary (rotary_dim < head_dim), large rotary dims (two
    // vectors a lane), and the scalar path: half not a multiple of 8, an
    // odd offset, a misaligned base or stride.
    CheckRope(DefaultRope(64), {8, 128, 8 * 128, 0, 3}, interleaved, stream_);
    CheckRope(DefaultRope(1024), {3, 1024, 3 * 1024, 0, 4}, interleaved, stream_);
    CheckRope(DefaultRope(512), {2, 512, 1024, 0, 2}, interleaved, stream_);
    CheckRope(DefaultRope(24), {5, 24, 5 * 24, 0, 7}, interleaved, stream_);
    CheckRope(DefaultRope(64), {4, 72, 4 * 72, 5, 7}, interleaved, stream_);
    CheckRope(DefaultRope(128), {2, 136, 2 * 136, 4, 3}, interleaved, stream_);
    CheckRope(DefaultRope(64), {4, 64, 4 * 64 + 3, 0, 7}, interleaved, stream_);
    CheckRope(DefaultRope(64), {4, 64, 4 * 64, 0, 7, 1}, interleaved, stream_);
    CheckRope(DefaultRope(1000), {1, 1000, 1000, 0, 3}, interleaved, stream_);
    CheckRope(DefaultRope(2), {3, 2, 6, 0, 2}, interleaved, stream_);
  }
}

TEST_F(ElementwiseOpsTest, RopeRejectsBadArguments) {
  DeviceArray<__nv_bfloat16> d_x(4 * 128);
  DeviceArray<int32_t> d_pos(std::vector<int32_t>{0, 1});
  DeviceArray<float> d_freq(64);
  RopeParams p;
  p.x = d_x.get();
  p.positions = d_pos.get();
  p.tokens = 2;
  p.heads = 2;
  p.token_stride = 256;
  p.head_stride = 128;
  p.rotary_dim = 128;
  p.inv_freq = d_freq.get();
  ASSERT_CUDA_OK(LaunchRope(p, stream_));
  ExpectRejected(p, [this](const RopeParams& q) { return LaunchRope(q, stream_); },
                 {
                     [](RopeParams& b) { b.rotary_dim = 127; },  // odd
                     [](RopeParams& b) { b.offset = 2; },  // offset + rotary_dim > head_stride
                     [](RopeParams& b) { b.token_stride = 255; },  // < heads * head_stride
                     [](RopeParams& b) {
                       b.rotary_dim = 2048;  // above the supported 1024
                       b.head_stride = 2048;
                       b.token_stride = 4096;
                     },
                     [](RopeParams& b) { b.inv_freq = nullptr; },
                 });
  RopeParams bad = p;
  bad.inv_freq = nullptr;
  bad.tokens = 0;
  EXPECT_EQ(LaunchRope(bad, stream_), cudaSuccess);
}

// ---------------------------------------------------------------- SiLU

TEST_F(ElementwiseOpsTest, SiluAndMulMatchesCpu) {
  for (int32_t inter : {64, 768, 1000, 2048, 100, 7}) {
    for (int64_t rows : {1, 13}) {
      SCOPED_TRACE(::testing::Message() << "inter " << inter << " rows " << rows);
      const std::vector<float> x = RoundBf16(Random(rows * 2 * inter, 1000 + inter, 3.0f));
      DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_out(rows * inter);
      SiluAndMulParams p{d_x.get(), d_out.get(), rows, inter};
      ASSERT_CUDA_OK(LaunchSiluAndMul(p, stream_));
      std::vector<float> want(rows * inter);
      cpu::SiluAndMul(x.data(), rows, inter, want.data());
      const std::vector<float> out = ToFloat(d_out.Download());
      EXPECT_LT(RelativeError(out, want), 1e-2);
      EXPECT_LE(MaxBf16Ulps(out, want), 1.0);
    }
  }
  SiluAndMulParams bad{nullptr, nullptr, 1, 64};
  EXPECT_EQ(LaunchSiluAndMul(bad, stream_), cudaErrorInvalidValue);
  bad.rows = 0;
  EXPECT_EQ(LaunchSiluAndMul(bad, stream_), cudaSuccess);
  bad.inter = 0;
  EXPECT_EQ(LaunchSiluAndMul(bad, stream_), cudaErrorInvalidValue);
}

// ---------------------------------------------------------------- GEMM

class GemmTest : public ElementwiseOpsTest {
 protected:
  void SetUp() override {
    ElementwiseOpsTest::SetUp();
    ASSERT_NE(Cublas(), nullptr) << CublasOpenError();
    ASSERT_CUBLAS_OK(Cublas()->create(&handle_));
  }
  void TearDown() override {
    if (handle_ != nullptr) {
      EXPECT_EQ(Cublas()->destroy(handle_), CUBLAS_STATUS_SUCCESS);
    }
    ElementwiseOpsTest::TearDown();
  }
  cublasHandle_t handle_ = nullptr;
};

struct GemmShape {
  int64_t m, n, k;
  int64_t ldx = 0;  // 0: k
  int64_t ldy = 0;  // 0: n
};

// bf16 output, then float32 output accumulated (beta = 1) with a bias,
// against x W^T in float64 over the same bf16 values. Elements of y past n
// in each row (ldy > n) must stay untouched.
void CheckGemm(cublasHandle_t handle, GemmShape s, cudaStream_t stream) {
  if (s.ldx == 0) s.ldx = s.k;
  if (s.ldy == 0) s.ldy = s.n;
  SCOPED_TRACE(::testing::Message() << "m " << s.m << " n " << s.n << " k " << s.k << " ldx "
                                    << s.ldx << " ldy " << s.ldy);
  const uint32_t salt = static_cast<uint32_t>(s.m * 7 + s.n * 3 + s.k);
  const std::vector<float> x = RoundBf16(Random(s.m * s.ldx, 1100 + salt));
  const std::vector<float> w =
      RoundBf16(Random(s.n * s.k, 1200 + salt, 1.0f / std::sqrt(static_cast<float>(s.k))));
  const std::vector<float> bias = RoundBf16(Random(s.n, 1300 + salt));
  const std::vector<float> y0 = Random(s.m * s.ldy, 1400 + salt);
  std::vector<double> ref(s.m * s.n);
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      double acc = 0.0;
      for (int64_t q = 0; q < s.k; ++q) acc += double{x[i * s.ldx + q]} * w[j * s.k + q];
      ref[i * s.n + j] = acc;
    }
  }
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_w(ToBf16(w)), d_bias(ToBf16(bias));
  const std::vector<float> y0_bf16 = RoundBf16(y0);
  DeviceArray<__nv_bfloat16> d_y(ToBf16(y0_bf16));
  GemmParams p;
  p.x = d_x.get();
  p.ldx = s.ldx;
  p.w = d_w.get();
  p.y = d_y.get();
  p.ldy = s.ldy;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;

  // bf16 output, beta = 0.
  ASSERT_CUBLAS_OK(LaunchGemm(handle, p, stream));
  std::vector<float> got = ToFloat(d_y.Download()), want(s.m * s.n), out(s.m * s.n);
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.ldy; ++j) {
      if (j < s.n) {
        out[i * s.n + j] = got[i * s.ldy + j];
        want[i * s.n + j] = static_cast<float>(ref[i * s.n + j]);
      } else {
        ASSERT_EQ(got[i * s.ldy + j], y0_bf16[i * s.ldy + j]) << "padding " << i << "," << j;
      }
    }
  }
  EXPECT_LT(RelativeError(out, want), 1e-2) << "bf16 output";

  // bf16 output plus a bias.
  p.bias = d_bias.get();
  ASSERT_CUBLAS_OK(LaunchGemm(handle, p, stream));
  got = ToFloat(d_y.Download());
  // The product is rounded to bf16 before the bias add and the sum again:
  // each element is within two bf16 roundings of |product| + |bias| (a
  // relative bound on the sum fails where the two nearly cancel, as a 1 x 1
  // output may).
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      const double sum = ref[i * s.n + j] + bias[j];
      const double bound = 8e-3 * (std::fabs(ref[i * s.n + j]) + std::fabs(bias[j])) + 1e-6;
      EXPECT_NEAR(got[i * s.ldy + j], sum, bound)
          << "bf16 output with bias, element " << i << ", " << j;
    }
  }

  // float32 output accumulated into y (the residual add), with and without
  // a bias.
  DeviceArray<float> d_y32(y0);
  p.y = d_y32.get();
  p.output = GemmOutput::kFloat32;
  p.beta = 1.0f;
  p.bias = nullptr;
  ASSERT_CUBLAS_OK(LaunchGemm(handle, p, stream));
  p.bias = d_bias.get();
  ASSERT_CUBLAS_OK(LaunchGemm(handle, p, stream));
  std::vector<float> got32 = d_y32.Download();
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.ldy; ++j) {
      if (j < s.n) {
        out[i * s.n + j] = got32[i * s.ldy + j];
        want[i * s.n + j] =
            static_cast<float>(2.0 * ref[i * s.n + j] + y0[i * s.ldy + j] + bias[j]);
      } else {
        ASSERT_EQ(got32[i * s.ldy + j], y0[i * s.ldy + j]) << "padding " << i << "," << j;
      }
    }
  }
  EXPECT_LT(RelativeError(out, want), 1e-4) << "float32 output, beta 1";

  // float32 output, beta = 0 (y's old values ignored).
  p.beta = 0.0f;
  p.bias = nullptr;
  ASSERT_CUBLAS_OK(LaunchGemm(handle, p, stream));
  got32 = d_y32.Download();
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < s.n; ++j) {
      out[i * s.n + j] = got32[i * s.ldy + j];
      want[i * s.n + j] = static_cast<float>(ref[i * s.n + j]);
    }
  }
  EXPECT_LT(RelativeError(out, want), 1e-4) << "float32 output, beta 0";
}

TEST_F(GemmTest, ProjectionShapesMatchFloat64) {
  for (int64_t m : {1, 7, 64, 300}) CheckGemm(handle_, {m, 2048, 768}, stream_);
  for (int64_t m : {1, 64}) CheckGemm(handle_, {m, 768, 2048}, stream_);
}

TEST_F(GemmTest, OddShapesAndStridesMatchFloat64) {
  CheckGemm(handle_, {300, 136, 72}, stream_);
  CheckGemm(handle_, {7, 1000, 99}, stream_);
  // x inside wider rows (e.g. a slice of a fused buffer), y into wider rows.
  CheckGemm(handle_, {13, 520, 256, 384, 600}, stream_);
  CheckGemm(handle_, {5, 33, 17, 19, 35}, stream_);
  CheckGemm(handle_, {1, 1, 1}, stream_);
}

TEST_F(GemmTest, RejectsBadArguments) {
  DeviceArray<__nv_bfloat16> d_x(4 * 64), d_w(32 * 64), d_y(4 * 32);
  GemmParams p;
  p.x = d_x.get();
  p.ldx = 64;
  p.w = d_w.get();
  p.y = d_y.get();
  p.ldy = 32;
  p.m = 4;
  p.n = 32;
  p.k = 64;
  ASSERT_CUBLAS_OK(LaunchGemm(handle_, p, stream_));
  ExpectRejected(
      p, [this](const GemmParams& q) { return LaunchGemm(handle_, q, stream_); },
      {
          [](GemmParams& b) { b.ldx = 63; },     // < k
          [](GemmParams& b) { b.ldy = 31; },     // < n
          [](GemmParams& b) { b.beta = 1.0f; },  // accumulation needs a float32 output
          [](GemmParams& b) { b.m = -1; },
          [](GemmParams& b) { b.n = 0; },
          [](GemmParams& b) { b.k = 0; },
          [](GemmParams& b) {
            b.k = int64_t{1} << 32;  // beyond cuBLAS's int sizes
            b.ldx = b.k;
          },
          [](GemmParams& b) { b.w = nullptr; },
      },
      CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(LaunchGemm(nullptr, p, stream_), CUBLAS_STATUS_INVALID_VALUE);
  // m == 0: a no-op that touches nothing.
  GemmParams bad = p;
  bad.m = 0;
  bad.x = nullptr;
  bad.y = nullptr;
  EXPECT_EQ(LaunchGemm(handle_, bad, stream_), CUBLAS_STATUS_SUCCESS);
}

// ---------------------------------------------------------- batched GEMM

struct BatchedShape {
  int64_t m, n, k, batch;
  bool w_rows_are_n;
  int64_t x_pad = 0;  // extra elements after each batch's x row (interleaved operands)
  int64_t y_pad = 0;  // likewise for y
};

// MLA's layout: x and y interleave the batch within a row ([m, batch,
// k + x_pad]), w holds the batch's matrices one after another with a gap
// (as W_UK / W_UV sit inside kv_b_proj). Against float64 over the same bf16
// values; y's padding must stay untouched.
void CheckBatchedGemm(cublasHandle_t handle, const BatchedShape& s, cudaStream_t stream) {
  SCOPED_TRACE(::testing::Message() << "m " << s.m << " n " << s.n << " k " << s.k << " batch "
                                    << s.batch << (s.w_rows_are_n ? " W [n,k]" : " W [k,n]"));
  const int64_t x_row = s.k + s.x_pad, y_row = s.n + s.y_pad;
  const int64_t w_matrix = s.n * s.k + 8;  // a gap between the batch's matrices
  const uint32_t salt = static_cast<uint32_t>(s.m * 7 + s.n * 3 + s.k + s.batch);
  const std::vector<float> x = RoundBf16(Random(s.m * s.batch * x_row, 2100 + salt));
  const std::vector<float> w =
      RoundBf16(Random(s.batch * w_matrix, 2200 + salt, 1.0f / std::sqrt(static_cast<float>(s.k))));
  const std::vector<float> y0 = RoundBf16(Random(s.m * s.batch * y_row, 2300 + salt));
  BatchedGemmParams p;
  DeviceArray<__nv_bfloat16> d_x(ToBf16(x)), d_w(ToBf16(w)), d_y(ToBf16(y0));
  p.x = d_x.get();
  p.ldx = s.batch * x_row;
  p.x_batch_stride = x_row;
  p.w = d_w.get();
  p.ldw = s.w_rows_are_n ? s.k : s.n;
  p.w_batch_stride = w_matrix;
  p.w_rows_are_n = s.w_rows_are_n;
  p.y = d_y.get();
  p.ldy = s.batch * y_row;
  p.y_batch_stride = y_row;
  p.m = s.m;
  p.n = s.n;
  p.k = s.k;
  p.batch = s.batch;
  ASSERT_CUBLAS_OK(LaunchBatchedGemm(handle, p, stream));
  const std::vector<float> got = ToFloat(d_y.Download());
  std::vector<float> out, want;
  for (int64_t b = 0; b < s.batch; ++b) {
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t j = 0; j < y_row; ++j) {
        const int64_t at = i * s.batch * y_row + b * y_row + j;
        if (j >= s.n) {
          ASSERT_EQ(got[at], y0[at]) << "padding " << b << "," << i << "," << j;
          continue;
        }
        double acc = 0.0;
        for (int64_t q = 0; q < s.k; ++q) {
          const double wv =
              s.w_rows_are_n ? w[b * w_matrix + j * s.k + q] : w[b * w_matrix + q * s.n + j];
          acc += double{x[i * s.batch * x_row + b * x_row + q]} * wv;
        }
        out.push_back(got[at]);
        want.push_back(static_cast<float>(acc));
      }
    }
  }
  EXPECT_LT(RelativeError(out, want), 1e-2);
}

TEST_F(GemmTest, BatchedGemmBothWeightLayouts) {
  for (bool rows_are_n : {true, false}) {
    // DeepSeek-V3's absorption (k 128 -> n 512) and expansion (512 -> 128)
    // over 16 heads, at decode and prompt sizes; odd sizes and padding.
    CheckBatchedGemm(handle_, {1, 512, 128, 16, rows_are_n, 64, 64}, stream_);
    CheckBatchedGemm(handle_, {37, 128, 512, 16, rows_are_n}, stream_);
    CheckBatchedGemm(handle_, {5, 32, 32, 4, rows_are_n, 16, 16}, stream_);  // the tiny fixture
    CheckBatchedGemm(handle_, {3, 9, 7, 3, rows_are_n, 1, 2}, stream_);
  }
}

TEST_F(GemmTest, BatchedGemmRejectsBadArguments) {
  DeviceArray<__nv_bfloat16> d_x(4 * 64 * 2), d_w(2 * 32 * 64), d_y(4 * 32 * 2);
  BatchedGemmParams p;
  p.x = d_x.get();
  p.ldx = 128;
  p.x_batch_stride = 64;
  p.w = d_w.get();
  p.ldw = 64;
  p.w_batch_stride = 32 * 64;
  p.y = d_y.get();
  p.ldy = 64;
  p.y_batch_stride = 32;
  p.m = 4;
  p.n = 32;
  p.k = 64;
  p.batch = 2;
  ASSERT_CUBLAS_OK(LaunchBatchedGemm(handle_, p, stream_));
  ExpectRejected(
      p, [this](const BatchedGemmParams& q) { return LaunchBatchedGemm(handle_, q, stream_); },
      {
          [](BatchedGemmParams& b) { b.ldx = 63; },  // < k
          [](BatchedGemmParams& b) { b.ldy = 31; },  // < n
          [](BatchedGemmParams& b) { b.ldw = 63; },  // < k for W [n, k]
          [](BatchedGemmParams& b) {                 // < n for W [k, n]
            b.w_rows_are_n = false;
            b.ldw = 31;
          },
          [](BatchedGemmParams& b) { b.batch = -1; },
          [](BatchedGemmParams& b) { b.m = -1; },
          [](BatchedGemmParams& b) { b.n = 0; },
          [](BatchedGemmParams& b) { b.k = 0; },
          [](BatchedGemmParams& b) { b.w_batch_stride = -1; },
          [](BatchedGemmParams& b) { b.y = nullptr; },
      },
      CUBLAS_STATUS_INVALID_VALUE);
  EXPECT_EQ(LaunchBatchedGemm(nullptr, p, stream_), CUBLAS_STATUS_INVALID_VALUE);
  BatchedGemmParams none = p;
  none.batch = 0;
  none.x = nullptr;
  EXPECT_EQ(LaunchBatchedGemm(handle_, none, stream_), CUBLAS_STATUS_SUCCESS);
}

}  // namespace
}  // namespace weft::kernels::gpu
