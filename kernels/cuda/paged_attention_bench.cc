// Paged attention on the GPU. Decode: one query token per sequence, GQA
// 32/4 heads, d=128, bf16 KV in blocks of 16 scattered over the pool
// (shuffled block tables), random data, KV larger than the 60 MB L2;
// reported as KV bytes read per second against the 4.2 TB/s ceiling. Causal
// prefill of 8 x 4096 tokens: FLOP/s (4 * B * L * L / 2 * 32 * 128) against
// 753 TFLOP/s. Median of CUDA-event timings after warm-up.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

#include "kernels/cuda/bench_util.h"
#include "kernels/cuda/paged_attention.h"
#include "kernels/cuda/random_fill.h"

namespace weft::kernels::gpu {
namespace {

using bench::Check;

constexpr int kHeads = 32;
constexpr int kKvHeads = 4;
constexpr int kDim = 128;

template <typename T>
T* Allocate(int64_t count) {
  T* p = nullptr;
  Check(cudaMalloc(reinterpret_cast<void**>(&p), static_cast<size_t>(count) * sizeof(T)),
        "cudaMalloc");
  return p;
}

template <typename T>
T* Upload(const std::vector<T>& host) {
  T* p = Allocate<T>(static_cast<int64_t>(host.size()));
  Check(cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice), "upload");
  return p;
}

void Fill(__nv_bfloat16* p, int64_t count, uint64_t seed) {
  RandomFillParams f;
  f.out_bf16 = p;
  f.count = count;
  f.seed = seed;
  f.stddev = 1.0f;
  Check(LaunchRandomFill(f, nullptr), "random fill");
}

// Median seconds of one attention launch over `batch` sequences of `length`
// cached tokens: decode (one query each, at the end) or causal prefill
// (every position a query).
double Time(int batch, int length, int block_size, bool prefill) {
  const int blocks_per_seq = (length + block_size - 1) / block_size;
  const int64_t blocks = int64_t{batch} * blocks_per_seq;
  const int64_t slots = blocks * block_size;
  const int64_t tokens = prefill ? int64_t{batch} * length : batch;
  const int64_t kv_elements = slots * kKvHeads * kDim;
  auto* k = Allocate<__nv_bfloat16>(kv_elements);
  auto* v = Allocate<__nv_bfloat16>(kv_elements);
  auto* q = Allocate<__nv_bfloat16>(tokens * kHeads * kDim);
  auto* out = Allocate<__nv_bfloat16>(tokens * kHeads * kDim);
  Fill(k, kv_elements, 1);
  Fill(v, kv_elements, 2);
  Fill(q, tokens * kHeads * kDim, 3);
  std::vector<int32_t> table(blocks);
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), std::mt19937(1));
  std::vector<int32_t> seq(tokens), ctx(tokens);
  for (int64_t t = 0; t < tokens; ++t) {
    seq[t] = static_cast<int32_t>(prefill ? t / length : t);
    ctx[t] = static_cast<int32_t>(prefill ? t % length + 1 : length);
  }
  int32_t* d_seq = Upload(seq);
  int32_t* d_ctx = Upload(ctx);
  int32_t* d_table = Upload(table);
  const size_t ws_bytes = PagedAttentionWorkspaceBytes(tokens, kHeads, kDim, length);
  void* ws =
      ws_bytes > 0 ? static_cast<void*>(Allocate<char>(static_cast<int64_t>(ws_bytes))) : nullptr;

  PagedKvCacheView view;
  view.k = k;
  view.v = v;
  view.k_slot_stride = view.v_slot_stride = kKvHeads * kDim;
  view.k_head_stride = view.v_head_stride = kDim;
  view.block_size = block_size;
  view.num_kv_heads = kKvHeads;
  view.head_dim = view.v_head_dim = kDim;
  PagedAttentionParams p;
  p.q = q;
  p.q_token_stride = kHeads * kDim;
  p.out = out;
  p.tokens = tokens;
  p.num_heads = kHeads;
  p.scale = 0.0883883f;  // 1 / sqrt(128)
  p.sequence_of_token = d_seq;
  p.context_len = d_ctx;
  p.block_tables = d_table;
  p.max_blocks_per_sequence = blocks_per_seq;
  p.max_context_len = length;
  p.workspace = ws;
  p.workspace_bytes = ws_bytes;
  Check(cudaDeviceSynchronize(), "setup");
  const double seconds = bench::MedianSeconds(
      [&] { return LaunchPagedAttention(view, p, nullptr); }, prefill ? 20 : 50, prefill ? 3 : 10);
  Check(cudaGetLastError(), "attention");

  // A NaN would mean reading garbage: check a sample of the output.
  std::vector<__nv_bfloat16> sample(std::min<int64_t>(tokens * kHeads * kDim, 1 << 16));
  Check(
      cudaMemcpy(sample.data(), out, sample.size() * sizeof(__nv_bfloat16), cudaMemcpyDeviceToHost),
      "download");
  for (const __nv_bfloat16& x : sample) {
    if (!(std::abs(__bfloat162float(x)) < 100.0f)) {
      std::fprintf(stderr, "bad output value %f\n", __bfloat162float(x));
      std::exit(1);
    }
  }
  for (void* ptr : {static_cast<void*>(k), static_cast<void*>(v), static_cast<void*>(q),
                    static_cast<void*>(out), static_cast<void*>(d_seq), static_cast<void*>(d_ctx),
                    static_cast<void*>(d_table), ws}) {
    if (ptr != nullptr) Check(cudaFree(ptr), "cudaFree");
  }
  return seconds;
}

void Decode(int batch, int length, int block_size) {
  const double seconds = Time(batch, length, block_size, false);
  const double bytes = 2.0 * batch * length * kKvHeads * kDim * sizeof(__nv_bfloat16);
  const double rate = bytes / seconds;
  std::printf(
      "decode GQA 32/4 d128 block %d B=%d L=%d: %.4f ms, %.3f TB/s of KV read = %.3f of 4.2 "
      "TB/s\n",
      block_size, batch, length, seconds * 1e3, rate / 1e12, rate / bench::kHbmBytesPerSecond);
}

int Main() {
  for (auto [batch, length] : {std::pair{64, 4096}, std::pair{256, 2048}, std::pair{8, 32768}}) {
    Decode(batch, length, 16);
  }
  Decode(64, 4096, 64);
  const int batch = 8, length = 4096;
  const double seconds = Time(batch, length, 16, true);
  const double flops = 4.0 * batch * (static_cast<double>(length) * length / 2) * kHeads * kDim;
  std::printf(
      "causal prefill GQA 32/4 d128 block 16 B=%d L=%d: %.3f ms, %.1f TFLOP/s = %.3f of 753 "
      "TFLOP/s\n",
      batch, length, seconds * 1e3, flops / seconds / 1e12,
      flops / seconds / bench::kBf16FlopsPerSecond);
  return 0;
}

}  // namespace
}  // namespace weft::kernels::gpu

int main() { return weft::kernels::gpu::Main(); }
