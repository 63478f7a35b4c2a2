// The dense projections of a decode step on the GPU, Qwen3-30B-A3B shapes:
// qkv (n 5120, k 2048, bf16 out) and o_proj (n 2048, k 4096, added into the
// float32 residual), at M = 1, 4, 16, 64 rows, through
//   - cuBLAS bf16 (LaunchGemm: the peer, and the engine's choice above
//     decode sizes),
//   - weft's mma.sync kernels in dense mode, bf16 (narrow tiles, split-K),
//   - the same with INT8 W8A8 operands (activations pre-quantized).
// Each: the time per projection of kCopies launches back to back over as
// many copies of the weights (more bytes than L2 holds, so every launch
// streams from HBM, and launch latency overlaps as it does in a decode
// step; median of 30 repeats after warm-up) and weight bytes
// per second against 4.2 TB/s (bf16: 2 bytes a weight; INT8: 1 byte plus a
// float32 scale per output row), and weft's speed over cuBLAS bf16. Then
// INT8 GEMM 8192^3 in TOP/s (peer: torch._int_mm, 911 TOP/s on the H200,
// ../shared/docs/performance.md).
//
//   dense_gemm_bench
#include <cublas_v2.h>

#include <cstdint>
#include <cstdio>

#include "kernels/cuda/bench_util.h"
#include "kernels/cuda/cublas_library.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/grouped_gemm.h"
#include "kernels/cuda/quantize.h"
#include "kernels/cuda/random_fill.h"

namespace weft::kernels::gpu {
namespace {

using bench::Check;

// Weight copies cycled through per timing: 8 x 21 MB (qkv) exceeds the
// 50 MB L2 of an H100 or H200.
constexpr int kCopies = 8;

__nv_bfloat16* RandomBf16(int64_t n, float stddev, uint64_t seed) {
  auto* p = bench::DeviceAlloc<__nv_bfloat16>(n);
  bench::FillRandom(p, nullptr, n, stddev, seed);
  return p;
}

// Rows of bf16 x quantized per token (int8 values and scales).
void Quantize(const __nv_bfloat16* x, int64_t rows, int32_t cols, int8_t* q, float* scales) {
  QuantizeParams p;
  p.x = x;
  p.ldx = cols;
  p.rows = rows;
  p.cols = cols;
  p.q = q;
  p.ldq = cols;
  p.scales = scales;
  Check(LaunchQuantizePerToken(p, nullptr), "quantize");
}

void Shape(cublasHandle_t blas, const char* name, int32_t n, int32_t k, bool accumulate) {
  const int64_t max_m = 64;
  const int64_t w_elems = int64_t{n} * k;
  __nv_bfloat16* w = RandomBf16(kCopies * w_elems, 0.02f, 1);
  __nv_bfloat16* x = RandomBf16(max_m * k, 1.0f, 2);
  auto* wq = bench::DeviceAlloc<int8_t>(kCopies * w_elems);
  auto* ws = bench::DeviceAlloc<float>(kCopies * int64_t{n});
  auto* xq = bench::DeviceAlloc<int8_t>(max_m * k);
  auto* xs = bench::DeviceAlloc<float>(max_m);
  Quantize(w, kCopies * int64_t{n}, k, wq, ws);
  Quantize(x, max_m, k, xq, xs);
  auto* out = bench::DeviceAlloc<__nv_bfloat16>(max_m * n);
  auto* out_f32 = bench::DeviceAlloc<float>(max_m * n);
  Check(cudaMemset(out_f32, 0, max_m * n * sizeof(float)), "memset");
  Check(cudaDeviceSynchronize(), "setup");
  const double bf16_bytes = 2.0 * n * k;
  const double int8_bytes = 1.0 * n * k + 4.0 * n;
  std::printf("\n%s (n %d, k %d, %s)\n%-4s %22s %22s %22s %8s %8s\n", name, n, k,
              accumulate ? "float32 accumulate" : "bf16 out", "M", "cuBLAS bf16", "weft bf16",
              "weft INT8", "bf16 x", "INT8 x");
  for (int64_t m : {1, 4, 16, 64}) {
    GemmParams c;
    c.x = x;
    c.ldx = k;
    c.w = w;
    c.m = m;
    c.n = n;
    c.k = k;
    c.ldy = n;
    if (accumulate) {
      c.y = out_f32;
      c.output = GemmOutput::kFloat32;
      c.beta = 1.0f;
    } else {
      c.y = out;
    }
    const double t_cublas = bench::MedianSeconds([&] {
                              for (int i = 0; i < kCopies; ++i) {
                                GemmParams ci = c;
                                ci.w = w + i * w_elems;
                                if (LaunchGemm(blas, ci, nullptr) != CUBLAS_STATUS_SUCCESS) {
                                  return cudaErrorUnknown;
                                }
                              }
                              return cudaSuccess;
                            }) /
                            kCopies;
    GroupedGemmParams g;
    g.x = x;
    g.lda = k;
    g.w = w;
    g.num_experts = 1;
    g.max_rows = m;
    g.n = n;
    g.k = k;
    if (accumulate) {
      g.out_f32 = out_f32;
    } else {
      g.out = out;
    }
    // kCopies launches of p, the i-th on weight copy i.
    auto per_launch = [&](const GroupedGemmParams& p, int64_t copy_bytes, const float* scales) {
      return bench::MedianSeconds([&] {
               for (int i = 0; i < kCopies; ++i) {
                 GroupedGemmParams pi = p;
                 pi.w = static_cast<const char*>(p.w) + i * copy_bytes;
                 if (scales != nullptr) pi.w_scales = scales + int64_t{i} * n;
                 if (cudaError_t e = LaunchGroupedGemm(pi, nullptr); e != cudaSuccess) return e;
               }
               return cudaSuccess;
             }) /
             kCopies;
    };
    const double t_bf16 = per_launch(g, w_elems * 2, nullptr);
    GroupedGemmParams q = g;
    q.x = xq;
    q.w = wq;
    q.operands = GemmOperands::kInt8;
    q.x_scales = xs;
    q.w_scales = ws;
    const double t_int8 = per_launch(q, w_elems, ws);
    auto cell = [](double t, double bytes) {
      static char buf[4][64];
      static int i = 0;
      char* b = buf[i++ % 4];
      std::snprintf(b, 64, "%.4f ms %.2f TB/s", t * 1e3, bytes / t / 1e12);
      return b;
    };
    std::printf("%-4lld %22s %22s %22s %7.2fx %7.2fx   (INT8 %.2f of 4.2 TB/s)\n",
                static_cast<long long>(m), cell(t_cublas, bf16_bytes), cell(t_bf16, bf16_bytes),
                cell(t_int8, int8_bytes), t_cublas / t_bf16, t_cublas / t_int8,
                int8_bytes / t_int8 / bench::kHbmBytesPerSecond);
  }
  for (void* p : {static_cast<void*>(w), static_cast<void*>(x), static_cast<void*>(wq),
                  static_cast<void*>(ws), static_cast<void*>(xq), static_cast<void*>(xs),
                  static_cast<void*>(out), static_cast<void*>(out_f32)}) {
    Check(cudaFree(p), "cudaFree");
  }
}

void Int8Square(int32_t size) {
  const int64_t elems = int64_t{size} * size;
  __nv_bfloat16* a = RandomBf16(elems, 1.0f, 3);
  auto* aq = bench::DeviceAlloc<int8_t>(elems);
  auto* as = bench::DeviceAlloc<float>(size);
  auto* bq = bench::DeviceAlloc<int8_t>(elems);
  auto* bs = bench::DeviceAlloc<float>(size);
  Quantize(a, size, size, aq, as);
  Quantize(a, size, size, bq, bs);
  Check(cudaFree(a), "cudaFree");
  auto* out = bench::DeviceAlloc<__nv_bfloat16>(elems);
  GroupedGemmParams q;
  q.x = aq;
  q.lda = size;
  q.w = bq;
  q.num_experts = 1;
  q.max_rows = size;
  q.n = size;
  q.k = size;
  q.out = out;
  q.operands = GemmOperands::kInt8;
  q.x_scales = as;
  q.w_scales = bs;
  const double t = bench::MedianSeconds([&] { return LaunchGroupedGemm(q, nullptr); }, 10, 3);
  std::printf("\nINT8 W8A8 GEMM %d^3 (mma.sync m16n8k32, bf16 out): %.3f ms, %.0f TOP/s\n", size,
              t * 1e3, 2.0 * static_cast<double>(size) * size * size / t / 1e12);
  for (void* p : {static_cast<void*>(aq), static_cast<void*>(as), static_cast<void*>(bq),
                  static_cast<void*>(bs), static_cast<void*>(out)}) {
    Check(cudaFree(p), "cudaFree");
  }
}

int Main() {
  const CublasLibrary* cublas = Cublas();
  cublasHandle_t blas = nullptr;
  if (cublas == nullptr || cublas->create(&blas) != CUBLAS_STATUS_SUCCESS) {
    std::fprintf(stderr, "cuBLAS: %s\n", CublasOpenError().c_str());
    return 1;
  }
  std::printf("Decode projections, Qwen3-30B-A3B shapes; speed ratios are weft over cuBLAS bf16\n");
  Shape(blas, "qkv_proj", 5120, 2048, false);
  Shape(blas, "o_proj", 2048, 4096, true);
  Shape(blas, "experts gate_up, one expert", 1536, 2048, false);
  Int8Square(8192);
  return 0;
}

}  // namespace
}  // namespace weft::kernels::gpu

int main() { return weft::kernels::gpu::Main(); }
