// The MoE expert GEMMs of a Qwen3-30B-A3B layer on the GPU (E=128, H=2048,
// I=768, top-8): gate_up (n=1536, k=2048, SiLU-and-multiply fused) then
// down (n=2048, k=768) through LaunchGroupedGemm, for T = 64, 256, 4096 and
// 16384 tokens, with routing from random logits (LaunchMoeRouting) grouped
// by LaunchMoePermute. Per T: the median time (CUDA events, 30 repeats after
// warm-up) of gate_up + down (the default kernel choice, then each kernel
// family pinned), of each alone, and of routing + grouping; the
// weight bytes of the experts touched per second against 4.2 TB/s (the
// decode measure) and 2 * rows * (1536 * 2048 + 2048 * 768) FLOP per second
// against 753 TFLOP/s (the prefill measure). Peer on the same shapes:
// torch._grouped_mm, 0.437 / 0.439 / 0.690 / 2.306 ms
// (../shared/docs/performance.md).
//
//   moe_bench [T ...]   (default: 64 256 4096 16384)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "kernels/cuda/bench_util.h"
#include "kernels/cuda/grouped_gemm.h"
#include "kernels/cuda/moe_permute.h"
#include "kernels/cuda/moe_routing.h"
#include "kernels/cuda/random_fill.h"

namespace weft::kernels::gpu {
namespace {

using bench::Check;

constexpr int32_t kExperts = 128, kHidden = 2048, kInter = 768, kTopK = 8;

void RunTokens(int64_t tokens, const __nv_bfloat16* w13, const __nv_bfloat16* w2) {
  const int64_t pairs = tokens * kTopK;
  auto* x = bench::DeviceAlloc<__nv_bfloat16>(tokens * kHidden);
  auto* logits = bench::DeviceAlloc<float>(tokens * kExperts);
  auto* ids = bench::DeviceAlloc<int32_t>(pairs);
  auto* weights = bench::DeviceAlloc<float>(pairs);
  auto* offsets = bench::DeviceAlloc<int32_t>(kExperts + 1);
  auto* row_token = bench::DeviceAlloc<int32_t>(pairs);
  auto* pair_row = bench::DeviceAlloc<int32_t>(pairs);
  const size_t ws_bytes = MoePermuteWorkspaceBytes(kExperts, pairs);
  auto* ws = bench::DeviceAlloc<char>(static_cast<int64_t>(ws_bytes) + 1);
  auto* act = bench::DeviceAlloc<__nv_bfloat16>(pairs * kInter);
  auto* out = bench::DeviceAlloc<__nv_bfloat16>(pairs * kHidden);
  bench::FillRandom(x, nullptr, tokens * kHidden, 1.0f, 1000 + tokens);
  bench::FillRandom(nullptr, logits, tokens * kExperts, 1.0f, 2000 + tokens);

  MoeRoutingParams route;
  route.logits = logits;
  route.tokens = tokens;
  route.num_experts = kExperts;
  route.top_k = kTopK;
  route.normalize = true;
  route.ids = ids;
  route.weights = weights;
  MoePermuteParams perm;
  perm.ids = ids;
  perm.tokens = tokens;
  perm.top_k = kTopK;
  perm.num_experts = kExperts;
  perm.expert_offsets = offsets;
  perm.row_token = row_token;
  perm.pair_row = pair_row;
  perm.workspace = ws;
  perm.workspace_bytes = ws_bytes;
  const double t_route = bench::MedianSeconds([&] {
    const cudaError_t e = LaunchMoeRouting(route, nullptr);
    return e != cudaSuccess ? e : LaunchMoePermute(perm, nullptr);
  });
  Check(cudaDeviceSynchronize(), "routing");

  GroupedGemmParams up;
  up.x = x;
  up.lda = kHidden;
  up.a_rows = row_token;
  up.w = w13;
  up.expert_offsets = offsets;
  up.num_experts = kExperts;
  up.max_rows = pairs;
  up.n = 2 * kInter;
  up.k = kHidden;
  up.silu_and_mul = true;
  up.out = act;
  GroupedGemmParams down = up;
  down.x = act;
  down.lda = kInter;
  down.a_rows = nullptr;
  down.w = w2;
  down.n = kHidden;
  down.k = kInter;
  down.silu_and_mul = false;
  down.out = out;
  const double t_both = bench::MedianSeconds([&] {
    const cudaError_t e = LaunchGroupedGemm(up, nullptr);
    return e != cudaSuccess ? e : LaunchGroupedGemm(down, nullptr);
  });
  const double t_up = bench::MedianSeconds([&] { return LaunchGroupedGemm(up, nullptr); });
  const double t_down = bench::MedianSeconds([&] { return LaunchGroupedGemm(down, nullptr); });
  // Each kernel family pinned, gate_up + down.
  auto pinned = [&](GroupedGemmPath path) {
    GroupedGemmParams u = up, d = down;
    u.path = d.path = path;
    return bench::MedianSeconds([&] {
      const cudaError_t e = LaunchGroupedGemm(u, nullptr);
      return e != cudaSuccess ? e : LaunchGroupedGemm(d, nullptr);
    });
  };
  const double t_mma = pinned(GroupedGemmPath::kMmaSync);
  const double t_wgmma = pinned(GroupedGemmPath::kWgmma);

  std::vector<int32_t> host_offsets(kExperts + 1);
  Check(cudaMemcpy(host_offsets.data(), offsets, host_offsets.size() * sizeof(int32_t),
                   cudaMemcpyDeviceToHost),
        "offsets");
  int touched = 0, most_rows = 0;
  for (int e = 0; e < kExperts; ++e) {
    const int rows = host_offsets[e + 1] - host_offsets[e];
    touched += rows > 0;
    most_rows = std::max(most_rows, rows);
  }
  if (host_offsets[kExperts] != pairs) {
    std::fprintf(stderr, "grouping lost pairs: %d of %lld\n", host_offsets[kExperts],
                 static_cast<long long>(pairs));
    std::exit(1);
  }
  const double up_bytes = static_cast<double>(touched) * 2.0 * kInter * kHidden * 2;
  const double down_bytes = static_cast<double>(touched) * kHidden * kInter * 2;
  const double up_flops = 2.0 * pairs * (2.0 * kInter) * kHidden;
  const double down_flops = 2.0 * pairs * kHidden * kInter;
  const double bytes = up_bytes + down_bytes, flops = up_flops + down_flops;
  std::printf(
      "T=%-6lld rows=%-7lld experts touched %3d (max %4d rows): gate_up+down %.4f ms  "
      "%.2f TB/s of weights = %.3f of 4.2  %.1f TFLOP/s = %.3f of 753\n",
      static_cast<long long>(tokens), static_cast<long long>(pairs), touched, most_rows,
      t_both * 1e3, bytes / t_both / 1e12, bytes / t_both / bench::kHbmBytesPerSecond,
      flops / t_both / 1e12, flops / t_both / bench::kBf16FlopsPerSecond);
  std::printf(
      "         gate_up %.4f ms (%.2f TB/s, %.1f TFLOP/s)  down %.4f ms (%.2f TB/s, "
      "%.1f TFLOP/s)  routing+grouping %.4f ms\n",
      t_up * 1e3, up_bytes / t_up / 1e12, up_flops / t_up / 1e12, t_down * 1e3,
      down_bytes / t_down / 1e12, down_flops / t_down / 1e12, t_route * 1e3);
  std::printf(
      "         pinned: mma.sync %.4f ms (%.2f TB/s, %.1f TFLOP/s)  wgmma %.4f ms "
      "(%.2f TB/s, %.1f TFLOP/s)\n",
      t_mma * 1e3, bytes / t_mma / 1e12, flops / t_mma / 1e12, t_wgmma * 1e3,
      bytes / t_wgmma / 1e12, flops / t_wgmma / 1e12);
  for (void* p : {static_cast<void*>(x), static_cast<void*>(logits), static_cast<void*>(ids),
                  static_cast<void*>(weights), static_cast<void*>(offsets),
                  static_cast<void*>(row_token), static_cast<void*>(pair_row),
                  static_cast<void*>(ws), static_cast<void*>(act), static_cast<void*>(out)}) {
    Check(cudaFree(p), "cudaFree");
  }
}

int Main(int argc, char** argv) {
  std::vector<int64_t> token_counts = {64, 256, 4096, 16384};
  if (argc > 1) {
    token_counts.clear();
    for (int i = 1; i < argc; ++i) token_counts.push_back(std::atoll(argv[i]));
  }
  const int64_t w13_count = int64_t{kExperts} * 2 * kInter * kHidden;
  const int64_t w2_count = int64_t{kExperts} * kHidden * kInter;
  auto* w13 = bench::DeviceAlloc<__nv_bfloat16>(w13_count);
  auto* w2 = bench::DeviceAlloc<__nv_bfloat16>(w2_count);
  bench::FillRandom(w13, nullptr, w13_count, 0.02f, 1);
  bench::FillRandom(w2, nullptr, w2_count, 0.03f, 2);
  Check(cudaDeviceSynchronize(), "fill");
  std::printf("MoE experts, Qwen3-30B-A3B layer (E=128, H=2048, I=768, top-8), bf16\n");
  for (int64_t tokens : token_counts) RunTokens(tokens, w13, w2);
  Check(cudaFree(w13), "cudaFree");
  Check(cudaFree(w2), "cudaFree");
  return 0;
}

}  // namespace
}  // namespace weft::kernels::gpu

int main(int argc, char** argv) { return weft::kernels::gpu::Main(argc, argv); }
