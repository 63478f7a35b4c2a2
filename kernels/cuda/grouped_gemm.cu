#include <algorithm>
#include <atomic>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/grouped_gemm.cuh"
#include "kernels/cuda/grouped_gemm.h"
#include "kernels/cuda/int8_gemv.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu {
namespace {

// Tile configurations, chosen by the mean rows per expert (max_rows /
// num_experts). Decode is memory-bound: a small m tile covers an expert's
// few rows so that its weights stream once, with cp.async pipelines of 3-4
// tiles in flight and 2-3 blocks per SM (one block's start and epilogue
// hide behind the others' streaming): 140-180 KB in flight per SM. Prefill
// is compute-bound: 128 x 256 tiles with 64 x 64 warp tiles (or the wgmma
// kernel, see kAutoWgmma). Shared memory per block: stages * (kBm + kBn) *
// 128 bytes + 1 KiB.
//                          kBm  kBn stages warps_m warps_n min_blocks
using SkinnyTile = device::GemmTile<16, 64, 6, 1, 2, 3>;   // <= 12, too few SmallTile blocks
using SmallTile = device::GemmTile<16, 128, 4, 1, 4, 3>;   // <= 12 rows per expert
using DecodeTile = device::GemmTile<32, 128, 5, 1, 4, 2>;  // <= 40
using MediumTile = device::GemmTile<64, 128, 4, 2, 2, 2>;  // <= 160
using LargeTile = device::GemmTile<128, 256, 4, 2, 4, 1>;

// kAuto's choice for prefill-sized groups (mean rows per expert above
// 160): the wgmma kernel, or the mma.sync LargeTile. wgmma, as measured
// (BENCHMARKS.md run 1, H100): 1.5x the LargeTile at T=4096 and 16384 on
// the Qwen3-30B-A3B layer.
constexpr bool kAutoWgmma = true;

constexpr int kMaxDevices = 64;

// Decode-sized GEMMs fill the card with narrower tiles and, where the output
// is accumulated in float32, with split-K: aim for this many blocks per SM.
constexpr int64_t kTargetBlocksPerSm = 2;
// A k split covers at least this many k tiles (of 64 bf16 / 128 int8).
constexpr int kMinSplitKTiles = 4;

// Streaming multiprocessors of the current device (cached per device).
int SmCount() {
  static std::atomic<int> counts[kMaxDevices] = {};
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) return 132;
  const bool cached = device >= 0 && device < kMaxDevices;
  if (cached) {
    if (const int c = counts[device].load(std::memory_order_relaxed); c > 0) return c;
  }
  int sms = 0;
  if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
      sms <= 0) {
    return 132;
  }
  if (cached) counts[device].store(sms, std::memory_order_relaxed);
  return sms;
}

// Raises `kernel`'s dynamic shared memory limit once per device.
template <auto kKernel, int kSmemBytes>
cudaError_t EnableSharedMemory() {
  static std::atomic<bool> done[kMaxDevices] = {};
  int device = 0;
  if (cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  const bool cached = device >= 0 && device < kMaxDevices;
  if (cached && done[device].load(std::memory_order_acquire)) return cudaSuccess;
  const cudaError_t e =
      cudaFuncSetAttribute(kKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmemBytes);
  if (e == cudaSuccess && cached) done[device].store(true, std::memory_order_release);
  return e;
}

// The kernel arguments and grid size for m tiles of kBm rows and output
// column tiles of kTileCols.
struct Grid {
  device::GroupedGemmArgs args;
  int64_t blocks;
};

// k elements per pipeline stage: 128 bytes of bf16 or int8.
int KTileElems(const GroupedGemmParams& p) {
  return p.operands == GemmOperands::kInt8 ? 2 * device::kGemmBk : device::kGemmBk;
}

Grid MakeGrid(const GroupedGemmParams& p, int bm, int bn) {
  Grid g;
  device::GroupedGemmArgs& a = g.args;
  a.x = p.x;
  a.lda = p.lda;
  a.a_rows = p.a_rows;
  a.w = p.w;
  a.expert_offsets = p.expert_offsets;
  a.max_rows = static_cast<int32_t>(p.max_rows);
  a.num_experts = p.num_experts;
  a.x_scales = p.x_scales;
  a.w_scales = p.w_scales;
  a.bias = p.bias;
  a.out_f32 = p.out_f32;
  a.n = p.n;
  a.k = p.k;
  a.out_cols = p.silu_and_mul ? p.n / 2 : p.n;
  a.out = p.out;
  const int tile_cols = p.silu_and_mul ? bn / 2 : bn;
  a.n_tiles = (a.out_cols + tile_cols - 1) / tile_cols;
  // At most sum_e ceil(rows_e / bm) m tiles over the (at most
  // min(experts, rows)) non-empty experts, whose rows add up to max_rows.
  const int64_t busy_experts = std::min<int64_t>(p.num_experts, p.max_rows);
  const int64_t m_slots = (p.max_rows + busy_experts * (bm - 1)) / bm;
  g.blocks = m_slots * a.n_tiles;
  a.k_splits = 1;
  const int k_tile = KTileElems(p);
  a.split_k_tiles = (p.k + k_tile - 1) / k_tile;
  return g;
}

// Splits k (out_f32 only, not with silu_and_mul) until the grid reaches
// kTargetBlocksPerSm blocks per SM, each split keeping kMinSplitKTiles.
void SplitK(const GroupedGemmParams& p, Grid* g) {
  if (p.out_f32 == nullptr || p.silu_and_mul) return;
  const int64_t target = kTargetBlocksPerSm * SmCount();
  if (g->blocks >= target) return;
  const int k_tiles = g->args.split_k_tiles;
  const int64_t want = (target + g->blocks - 1) / g->blocks;
  const int splits =
      static_cast<int>(std::min<int64_t>(want, std::max(1, k_tiles / kMinSplitKTiles)));
  if (splits <= 1) return;
  g->args.split_k_tiles = (k_tiles + splits - 1) / splits;
  g->args.k_splits = (k_tiles + g->args.split_k_tiles - 1) / g->args.split_k_tiles;
  g->blocks *= g->args.k_splits;
}

template <class T, bool kSilu, class Op>
cudaError_t LaunchMmaSync(const GroupedGemmParams& p, cudaStream_t stream) {
  constexpr auto kKernel = device::GroupedGemmKernel<T, kSilu, Op>;
  if (cudaError_t e = EnableSharedMemory<kKernel, T::kSmemBytes>(); e != cudaSuccess) return e;
  Grid g = MakeGrid(p, T::kBm, T::kBn);
  SplitK(p, &g);
  if (g.blocks > INT32_MAX) return cudaErrorInvalidValue;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(kKernel, static_cast<unsigned>(g.blocks), T::kThreads,
                                            T::kSmemBytes, stream, g.args));
  return cudaGetLastError();
}

// INT8 groups of at most kGemvRows rows (kAuto): the dp4a GEMV kernel, its
// activation rows staged in shared memory (up to kMaxGemvK elements).
constexpr int32_t kMaxGemvK = 16384;
constexpr int32_t kGemvMeanExpertRows = 2;

template <bool kSilu>
cudaError_t LaunchInt8Gemv(const GroupedGemmParams& p, cudaStream_t stream) {
  constexpr auto kKernel = device::Int8GemvKernel<kSilu>;
  constexpr int kMaxSmem = device::kGemvRows * kMaxGemvK;
  if (cudaError_t e = EnableSharedMemory<kKernel, kMaxSmem>(); e != cudaSuccess) return e;
  const Grid g = MakeGrid(p, device::kGemvRows, device::kGemvBlockWeightRows);
  if (g.blocks > INT32_MAX) return cudaErrorInvalidValue;
  const size_t smem = static_cast<size_t>(device::kGemvRows) * p.k;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(kKernel, static_cast<unsigned>(g.blocks),
                                            device::kGemvThreads, smem, stream, g.args));
  return cudaGetLastError();
}

template <bool kSilu>
cudaError_t LaunchWgmma(const GroupedGemmParams& p, cudaStream_t stream) {
  using T = device::WgmmaTile;
  constexpr auto kKernel = device::GroupedGemmWgmmaKernel<kSilu>;
  if (cudaError_t e = EnableSharedMemory<kKernel, T::kSmemBytes>(); e != cudaSuccess) return e;
  const Grid g = MakeGrid(p, T::kBm, T::kBn);
  if (g.blocks > INT32_MAX) return cudaErrorInvalidValue;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(kKernel, static_cast<unsigned>(g.blocks), T::kThreads,
                                            T::kSmemBytes, stream, g.args));
  return cudaGetLastError();
}

template <bool kSilu, class Op>
cudaError_t Dispatch(const GroupedGemmParams& p, cudaStream_t stream) {
  const bool wgmma_fits =
      std::is_same_v<Op, device::Bf16Operands> && p.bias == nullptr && p.out_f32 == nullptr;
  if (p.path == GroupedGemmPath::kWgmma) {
    if constexpr (std::is_same_v<Op, device::Bf16Operands>) {
      if (wgmma_fits) return LaunchWgmma<kSilu>(p, stream);
    }
    return cudaErrorInvalidValue;
  }
  const int64_t mean_rows = p.max_rows / p.num_experts;
  if constexpr (std::is_same_v<Op, device::Int8Operands>) {
    // Dense with up to 8 rows, or experts with few rows on average (a
    // decode step's: T <= 32 at top-8 of 128).
    const bool few_rows = p.expert_offsets == nullptr
                              ? p.max_rows <= device::kGemvRows
                              : p.max_rows <= int64_t{kGemvMeanExpertRows} * p.num_experts;
    if (p.path == GroupedGemmPath::kAuto && few_rows && p.k <= kMaxGemvK) {
      return LaunchInt8Gemv<kSilu>(p, stream);
    }
  }
  if (mean_rows <= 12) {
    // Few rows: the weights are the traffic. Narrower tiles when the 128-row
    // ones would leave SMs idle (a dense decode projection: n / 128 blocks).
    if (MakeGrid(p, SmallTile::kBm, SmallTile::kBn).blocks < kTargetBlocksPerSm * SmCount()) {
      return LaunchMmaSync<SkinnyTile, kSilu, Op>(p, stream);
    }
    return LaunchMmaSync<SmallTile, kSilu, Op>(p, stream);
  }
  if (mean_rows <= 40) return LaunchMmaSync<DecodeTile, kSilu, Op>(p, stream);
  if (mean_rows <= 160) return LaunchMmaSync<MediumTile, kSilu, Op>(p, stream);
  if constexpr (std::is_same_v<Op, device::Bf16Operands>) {
    if (kAutoWgmma && p.path == GroupedGemmPath::kAuto && wgmma_fits) {
      return LaunchWgmma<kSilu>(p, stream);
    }
  }
  return LaunchMmaSync<LargeTile, kSilu, Op>(p, stream);
}

bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

}  // namespace

cudaError_t LaunchGroupedGemm(const GroupedGemmParams& p, cudaStream_t stream) {
  const bool int8 = p.operands == GemmOperands::kInt8;
  if (!int8 && p.operands != GemmOperands::kBf16) return cudaErrorInvalidValue;
  const int64_t chunk = int8 ? 16 : 8;  // elements per 16 bytes
  if (p.num_experts <= 0 || p.max_rows < 0 || p.max_rows > INT32_MAX || p.n <= 0 || p.k <= 0 ||
      p.k % chunk != 0 || p.n % 2 != 0 || (p.silu_and_mul && p.n % 16 != 0) || p.lda < p.k ||
      p.lda % chunk != 0 || (p.expert_offsets == nullptr && p.num_experts != 1)) {
    return cudaErrorInvalidValue;
  }
  if (int8 && (p.x_scales == nullptr || p.w_scales == nullptr)) return cudaErrorInvalidValue;
  if (p.silu_and_mul && (p.bias != nullptr || p.out_f32 != nullptr)) return cudaErrorInvalidValue;
  if (p.out_f32 != nullptr && reinterpret_cast<uintptr_t>(p.out_f32) % 8 != 0) {
    return cudaErrorInvalidValue;
  }
  if (p.max_rows == 0) return cudaSuccess;
  const bool has_out = p.out_f32 != nullptr || p.out != nullptr;
  if (p.x == nullptr || p.w == nullptr || !has_out || !Aligned16(p.x) || !Aligned16(p.w) ||
      reinterpret_cast<uintptr_t>(p.out) % 4 != 0) {
    return cudaErrorInvalidValue;
  }
  if (p.path != GroupedGemmPath::kAuto && p.path != GroupedGemmPath::kMmaSync &&
      p.path != GroupedGemmPath::kWgmma) {
    return cudaErrorInvalidValue;
  }
  if (int8) {
    return p.silu_and_mul ? Dispatch<true, device::Int8Operands>(p, stream)
                          : Dispatch<false, device::Int8Operands>(p, stream);
  }
  return p.silu_and_mul ? Dispatch<true, device::Bf16Operands>(p, stream)
                        : Dispatch<false, device::Bf16Operands>(p, stream);
}

}  // namespace weft::kernels::gpu
