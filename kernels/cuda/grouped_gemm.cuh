// Device code of grouped_gemm.h: bf16 tensor-core GEMMs (float32
// accumulation) over expert groups whose sizes live on the device.
//
// Work: the launch grid is m_slots * n_tiles blocks, both host upper bounds
// (grouped_gemm.cu); block b takes n tile b % n_tiles and m slot
// b / n_tiles. The m slots enumerate the m tiles of expert 0, then of expert
// 1, ...: each block scans expert_offsets (FindTile) to learn its expert and
// rows, and blocks past the last tile exit at once. Consecutive blocks share
// an m slot, so the blocks reading the same gathered A rows run together,
// and an expert's next m tile follows by n_tiles blocks, so its weight tiles
// come from L2.
//
// Tiles: kBm x kBn (kBn weight rows; with silu_and_mul kBn/2 gate rows and
// the matching kBn/2 up rows) x kGemmBk = 64. Shared rows are 128 bytes,
// their 16-byte chunks XOR-swizzled by row % 8: the 128-byte swizzle of the
// Hopper tensor-core descriptors, and free of bank conflicts for cp.async
// stores and ldmatrix loads. TileLoader gathers A rows through a_rows while
// copying (cp.async, 16 bytes per thread and copy); rows past the group,
// weight rows past n and k past the end are zero-filled.
//
// Two kernels share this:
//  - GroupedGemmKernel (mma.sync m16n8k16 through ldmatrix): kStages
//    shared-memory stages keep kStages - 1 tiles in flight; each warp owns a
//    (kBm / kWarpsM) x (kBn / kWarpsN) accumulator piece. Any tile shape,
//    chosen by the host for decode (small m tiles) or prefill.
//  - GroupedGemmWgmmaKernel (sm_90a wgmma.mma_async, 128 x 256 tiles): two
//    warpgroups, each 64 rows x all 256 columns (m64n256k16, operands from
//    shared memory through descriptors), four stages with three tiles in
//    flight and one k tile of tensor-core work queued behind the current one.
// With silu_and_mul, a warp's (warpgroup's) first half of n fragments are
// gate columns and its second half the same up columns, so the epilogue
// forms silu(gate) * up in registers and writes bf16.
#ifndef WEFT_KERNELS_CUDA_GROUPED_GEMM_CUH_
#define WEFT_KERNELS_CUDA_GROUPED_GEMM_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

constexpr int kGemmBk = 64;                 // k elements per pipeline stage
constexpr int kGemmRowBytes = 2 * kGemmBk;  // one shared row: 8 chunks of 16 bytes

// What a grouped GEMM kernel needs, checked by LaunchGroupedGemm.
struct GroupedGemmArgs {
  const void* x;  // bf16 or int8 elements (the kernel's operands)
  int64_t lda;
  const int32_t* a_rows;
  const void* w;
  const int32_t* expert_offsets;  // null: one group of max_rows rows (dense)
  int32_t max_rows;
  int32_t num_experts;
  int32_t n;  // weight rows per expert
  int32_t k;
  int32_t out_cols;  // n, or n / 2 with silu_and_mul
  int32_t n_tiles;   // output column tiles per m tile
  // Split-K (mma.sync kernel, out_f32 only): each output tile is computed
  // by k_splits blocks, split s taking k tiles [s * split_k_tiles,
  // (s + 1) * split_k_tiles), and added atomically into out_f32.
  int32_t k_splits;
  int32_t split_k_tiles;
  __nv_bfloat16* out;
  // INT8 operands: the result is acc * x_scales[x row] * w_scales[expert * n + weight row].
  const float* x_scales;
  const float* w_scales;
  const __nv_bfloat16* bias;  // [n] added to the result, or null (not with silu_and_mul)
  float* out_f32;             // when set: out_f32[row * out_cols + col] += result, not `out`
};

// Tile shape and pipeline depth of one kernel configuration.
template <int kBmArg, int kBnArg, int kStagesArg, int kWarpsMArg, int kWarpsNArg, int kMinBlocksArg>
struct GemmTile {
  static constexpr int kBm = kBmArg;
  static constexpr int kBn = kBnArg;
  static constexpr int kStages = kStagesArg;
  static constexpr int kWarpsM = kWarpsMArg;
  static constexpr int kWarpsN = kWarpsNArg;
  static constexpr int kMinBlocks = kMinBlocksArg;
  static constexpr int kThreads = kWarpsM * kWarpsN * kWarpSize;
  static constexpr int kWm = kBm / kWarpsM;  // warp tile rows
  static constexpr int kWn = kBn / kWarpsN;  // warp tile weight rows
  static constexpr int kMf = kWm / 16;       // m16 fragments per warp
  static constexpr int kNf = kWn / 8;        // n8 fragments per warp
  static constexpr int kStageBytes = (kBm + kBn) * kGemmRowBytes;
  static constexpr int kSmemBytes = kStages * kStageBytes + 1024;  // + alignment
  static_assert(kWm % 16 == 0 && kWn % 16 == 0, "warp tiles of whole x4 fragments");
  static_assert(kStages >= 2, "a pipeline needs two stages");
};

// --- PTX wrappers -----------------------------------------------------------

__device__ __forceinline__ uint32_t SharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16 bytes global -> shared, bypassing L1; zero-fills when !valid (src is
// then not read).
__device__ __forceinline__ void CpAsync16(uint32_t dst, const void* src, bool valid) {
  const int src_bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(src_bytes));
}

__device__ __forceinline__ void CpAsyncCommit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}

template <int kPending>
__device__ __forceinline__ void CpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

__device__ __forceinline__ void LdMatrixX4(uint32_t addr, uint32_t (&r)[4]) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// c += a (16x16, row) * b (16x8, col), bf16 inputs, float32 accumulators.
__device__ __forceinline__ void MmaBf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                        uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// c += a (16x32, row) * b (32x8, col), int8 inputs, int32 accumulators. The
// fragments hold the same bytes as MmaBf16's (32 bytes of k per row).
__device__ __forceinline__ void MmaS8(int32_t (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                      uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+r"(c[0]), "+r"(c[1]), "+r"(c[2]), "+r"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// The operands of the mma.sync kernel: element type, accumulator, and the
// tensor-core instruction for 32 bytes of k.
struct Bf16Operands {
  using Elem = __nv_bfloat16;
  using Acc = float;
  static constexpr bool kScaled = false;
  __device__ __forceinline__ static void Mma(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                             uint32_t b1) {
    MmaBf16(c, a, b0, b1);
  }
};
struct Int8Operands {
  using Elem = int8_t;
  using Acc = int32_t;
  static constexpr bool kScaled = true;
  __device__ __forceinline__ static void Mma(int32_t (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                             uint32_t b1) {
    MmaS8(c, a, b0, b1);
  }
};

__device__ __forceinline__ uint32_t PackBf16x2(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// --- Work assignment ----------------------------------------------------------

// The expert and rows of m slot `slot` (see the file comment): slots count
// ceil(rows_e / kBm) tiles for each expert e in order. All threads of the
// block call it and get the same answer; false when the slot is past the
// last tile.
template <int kBm, int kThreads>
__device__ __forceinline__ bool FindTile(const int32_t* __restrict__ offsets, int32_t experts,
                                         int64_t slot, int32_t& expert, int32_t& row_begin,
                                         int32_t& rows) {
  constexpr int kWarps = kThreads / kWarpSize;
  __shared__ int32_t s_warp_tiles[kWarps];
  __shared__ int32_t s_found[3];
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  if (threadIdx.x == 0) s_found[0] = -1;
  int64_t carry = 0;  // tiles of the experts before `base`
  for (int base = 0; base < experts; base += kThreads) {
    const int e = base + static_cast<int>(threadIdx.x);
    int32_t begin = 0, count = 0;
    if (e < experts) {
      begin = offsets[e];
      count = max(0, offsets[e + 1] - begin);
    }
    const int32_t tiles = (count + kBm - 1) / kBm;
    int32_t inclusive = tiles;
#pragma unroll
    for (int d = 1; d < kWarpSize; d *= 2) {
      const int32_t o = __shfl_up_sync(0xffffffffu, inclusive, d);
      if (lane >= d) inclusive += o;
    }
    if (lane == kWarpSize - 1) s_warp_tiles[warp] = inclusive;
    __syncthreads();
    int32_t before = 0, total = 0;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const int32_t t = s_warp_tiles[w];
      before += w < warp ? t : 0;
      total += t;
    }
    const int64_t first = carry + before + inclusive - tiles;
    if (tiles > 0 && slot >= first && slot < first + tiles) {
      const int32_t m_tile = static_cast<int32_t>(slot - first);
      s_found[0] = e;
      s_found[1] = begin + m_tile * kBm;
      s_found[2] = min(kBm, count - m_tile * kBm);
    }
    carry += total;
    __syncthreads();          // s_found is visible; s_warp_tiles may be rewritten
    if (carry > slot) break;  // uniform across the block
  }
  expert = s_found[0];
  row_begin = s_found[1];
  rows = s_found[2];
  return expert >= 0;
}

// FindTile, or for a dense GEMM (no expert_offsets) m tile `slot` of the
// one group of max_rows rows.
template <int kBm, int kThreads>
__device__ __forceinline__ bool FindGroupTile(const GroupedGemmArgs& p, int64_t slot,
                                              int32_t& expert, int32_t& row_begin, int32_t& rows) {
  if (p.expert_offsets == nullptr) {
    expert = 0;
    row_begin = static_cast<int32_t>(slot * kBm);
    rows = min(kBm, p.max_rows - row_begin);
    return rows > 0;
  }
  return FindTile<kBm, kThreads>(p.expert_offsets, p.num_experts, slot, expert, row_begin, rows);
}

// --- Loading tiles ------------------------------------------------------------

// The cp.async copies of one block: every stage, thread tid copies the
// 16-byte chunks tid, tid + kThreads, ... of the A tile (kBm rows x 8 chunks)
// and of the B tile (kBn rows x 8 chunks) into the swizzled layout. With
// kThreads a multiple of 64, a thread's copies all sit in chunk column
// tid % 8 of rows tid / 8 + i * kThreads / 8, which share a swizzle.
template <int kBm, int kBn, int kThreads, bool kSilu, class E = __nv_bfloat16>
struct TileLoader {
  static constexpr int kChunkElems = 16 / static_cast<int>(sizeof(E));
  static constexpr int kTileK = kGemmRowBytes / static_cast<int>(sizeof(E));
  static constexpr int kAChunks = kBm * 8;
  static constexpr int kBChunks = kBn * 8;
  static constexpr int kRowsPerIter = kThreads / 8;
  static constexpr int kAIters = (kAChunks + kThreads - 1) / kThreads;
  static constexpr int kBIters = (kBChunks + kThreads - 1) / kThreads;
  static_assert(kThreads % 64 == 0, "copies of one thread share chunk column and swizzle");

  const E* a_src[kAIters];  // row start + chunk column
  bool a_ok[kAIters];
  const E* b_src[kBIters];
  bool b_ok[kBIters];
  const E* any_valid;  // a mapped address for the zero-filling copies
  uint32_t dst;        // shared offset of the thread's first chunk in a tile
  int row0, chunk_k, k;

  // n_tile: output column tile; rows: valid rows of the m tile at row_begin.
  __device__ __forceinline__ TileLoader(const GroupedGemmArgs& p, int n_tile, int expert,
                                        int32_t row_begin, int32_t rows)
      : any_valid(static_cast<const E*>(p.w)), k(p.k) {
    const int tid = static_cast<int>(threadIdx.x);
    const int chunk = tid % 8;
    row0 = tid / 8;
    chunk_k = chunk * kChunkElems;
    dst = row0 * kGemmRowBytes + ((chunk ^ (row0 % 8)) << 4);
#pragma unroll
    for (int it = 0; it < kAIters; ++it) {
      const int r = row0 + it * kRowsPerIter;
      a_ok[it] = r < kBm && r < rows;
      int64_t src_row = 0;
      if (a_ok[it]) src_row = p.a_rows != nullptr ? p.a_rows[row_begin + r] : row_begin + r;
      a_src[it] = static_cast<const E*>(p.x) + src_row * p.lda + chunk_k;
    }
    const E* w_expert = static_cast<const E*>(p.w) + int64_t{expert} * p.n * p.k;
#pragma unroll
    for (int it = 0; it < kBIters; ++it) {
      const int r = row0 + it * kRowsPerIter;
      int64_t w_row;
      if constexpr (kSilu) {
        constexpr int kHalf = kBn / 2;
        const int col = n_tile * kHalf + r % kHalf;  // output column
        b_ok[it] = r < kBn && col < p.out_cols;
        w_row = r < kHalf ? col : int64_t{p.out_cols} + col;  // gate row, or up row
      } else {
        w_row = int64_t{n_tile} * kBn + r;
        b_ok[it] = r < kBn && w_row < p.n;
      }
      b_src[it] = w_expert + (b_ok[it] ? w_row : 0) * p.k + chunk_k;
    }
  }

  // Copies k tile `k_tile` of A to a_smem and of B to b_smem (shared
  // addresses of 1024-byte aligned tiles). Does not commit.
  __device__ __forceinline__ void Load(uint32_t a_smem, uint32_t b_smem, int k_tile) const {
    const int k0 = k_tile * kTileK;
    const bool k_ok = k0 + chunk_k < k;
    // Weights first: their addresses do not wait for the a_rows loads.
#pragma unroll
    for (int it = 0; it < kBIters; ++it) {
      if (kBChunks % kThreads == 0 || row0 + it * kRowsPerIter < kBn) {
        const bool valid = b_ok[it] && k_ok;
        CpAsync16(b_smem + dst + it * kRowsPerIter * kGemmRowBytes,
                  valid ? b_src[it] + k0 : any_valid, valid);
      }
    }
#pragma unroll
    for (int it = 0; it < kAIters; ++it) {
      if (kAChunks % kThreads == 0 || row0 + it * kRowsPerIter < kBm) {
        const bool valid = a_ok[it] && k_ok;
        CpAsync16(a_smem + dst + it * kRowsPerIter * kGemmRowBytes,
                  valid ? a_src[it] + k0 : any_valid, valid);
      }
    }
  }
};

// --- mma.sync kernel --------------------------------------------------------------

template <class T, bool kSilu, class Op = Bf16Operands>
__global__ void __launch_bounds__(T::kThreads, T::kMinBlocks)
    GroupedGemmKernel(const GroupedGemmArgs p) {
  WaitForPredecessors();
  using Acc = typename Op::Acc;
  using Loader = TileLoader<T::kBm, T::kBn, T::kThreads, kSilu, typename Op::Elem>;
  extern __shared__ uint8_t smem[];
  constexpr int kBm = T::kBm, kBn = T::kBn, kStages = T::kStages, kThreads = T::kThreads;
  constexpr int kMf = T::kMf, kNf = T::kNf;
  static_assert(!kSilu || kNf % 2 == 0, "gate and up halves of the warp tile");

  const int split = static_cast<int>(blockIdx.x % p.k_splits);
  const int64_t tile = blockIdx.x / p.k_splits;
  const int64_t slot = tile / p.n_tiles;
  const int n_tile = static_cast<int>(tile % p.n_tiles);
  int32_t expert, row_begin, rows;
  if (!FindGroupTile<kBm, kThreads>(p, slot, expert, row_begin, rows)) {
    return;
  }
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int wm = warp / T::kWarpsN;
  const int wn = warp % T::kWarpsN;
  // The swizzle repeats every 1024 bytes: align the stages to it.
  const uint32_t smem_base = (SharedAddress(smem) + 1023u) & ~1023u;
  const Loader loader(p, n_tile, expert, row_begin, rows);
  auto load_stage = [&](int stage, int k_tile) {
    const uint32_t a = smem_base + stage * T::kStageBytes;
    loader.Load(a, a + kBm * kGemmRowBytes, k_tile);
  };

  // Shared row of the warp's n fragment `frag` within the B tile.
  auto b_row = [&](int frag) {
    if constexpr (kSilu) {
      constexpr int kHalfFrags = kNf / 2;
      const int base = wn * (T::kWn / 2);
      return frag < kHalfFrags ? base + frag * 8 : kBn / 2 + base + (frag - kHalfFrags) * 8;
    } else {
      return wn * T::kWn + frag * 8;
    }
  };

  Acc acc[kMf][kNf][4];
#pragma unroll
  for (int i = 0; i < kMf; ++i)
#pragma unroll
    for (int j = 0; j < kNf; ++j)
#pragma unroll
      for (int c = 0; c < 4; ++c) acc[i][j][c] = Acc{0};

  // ldmatrix lane addressing: lanes 0-15 give rows 0-15 of the first 8 k,
  // lanes 16-31 of the next 8 (A); for B, lanes 0-7 / 8-15 the two k halves
  // of fragment 2p and lanes 16-31 those of fragment 2p + 1. Fragment rows
  // start at multiples of 8, so the swizzle term is lane % 8 throughout.
  const int swz = lane % 8;
  uint32_t a_row_off[kMf];
#pragma unroll
  for (int mf = 0; mf < kMf; ++mf) {
    a_row_off[mf] = (wm * T::kWm + mf * 16 + lane % 16) * kGemmRowBytes;
  }
  const int a_chunk_hi = lane / 16;
  uint32_t b_row_off[kNf / 2];
#pragma unroll
  for (int pr = 0; pr < kNf / 2; ++pr) {
    b_row_off[pr] = (b_row(2 * pr + lane / 16) + lane % 8) * kGemmRowBytes;
  }
  const int b_chunk_hi = (lane / 8) % 2;

  // This block's k tiles: [k_first, k_first + k_tiles).
  const int all_k_tiles = (p.k + Loader::kTileK - 1) / Loader::kTileK;
  const int k_first = split * p.split_k_tiles;
  const int k_tiles = max(0, min(p.split_k_tiles, all_k_tiles - k_first));
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_stage(s, k_first + s);
    CpAsyncCommit();
  }
  for (int kt = 0; kt < k_tiles; ++kt) {
    CpAsyncWait<kStages - 2>();
    __syncthreads();  // tile kt landed for all; slot (kt - 1) % kStages is free
    {
      const int next = kt + kStages - 1;
      if (next < k_tiles) load_stage(next % kStages, k_first + next);
      CpAsyncCommit();
    }
    const int stage = kt % kStages;
    const uint32_t a_stage = smem_base + stage * T::kStageBytes;
    const uint32_t b_stage = a_stage + kBm * kGemmRowBytes;
#pragma unroll
    for (int kk = 0; kk < kGemmBk / 16; ++kk) {
      uint32_t af[kMf][4];
      uint32_t bf[kNf][2];
#pragma unroll
      for (int mf = 0; mf < kMf; ++mf) {
        LdMatrixX4(a_stage + a_row_off[mf] + (((2 * kk + a_chunk_hi) ^ swz) << 4), af[mf]);
      }
#pragma unroll
      for (int pr = 0; pr < kNf / 2; ++pr) {
        uint32_t r4[4];
        LdMatrixX4(b_stage + b_row_off[pr] + (((2 * kk + b_chunk_hi) ^ swz) << 4), r4);
        bf[2 * pr][0] = r4[0];
        bf[2 * pr][1] = r4[1];
        bf[2 * pr + 1][0] = r4[2];
        bf[2 * pr + 1][1] = r4[3];
      }
#pragma unroll
      for (int mf = 0; mf < kMf; ++mf)
#pragma unroll
        for (int nf = 0; nf < kNf; ++nf) Op::Mma(acc[mf][nf], af[mf], bf[nf][0], bf[nf][1]);
    }
  }
  CpAsyncWait<0>();

  // Epilogue: accumulator (row g or g + 8, columns 2q, 2q + 1) of each
  // fragment, dequantized (INT8) and biased, to global memory: bf16 pairs,
  // or added to float32 pairs.
  const int g = lane / 4, q = lane % 4;
  const float* w_scales = Op::kScaled ? p.w_scales + int64_t{expert} * p.n : nullptr;
#pragma unroll
  for (int mf = 0; mf < kMf; ++mf) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int r = wm * T::kWm + mf * 16 + g + h * 8;
      if (r >= rows) continue;
      const int64_t row = row_begin + r;
      float x_scale = 1.0f;
      if constexpr (Op::kScaled) {
        x_scale = p.x_scales[p.a_rows != nullptr ? p.a_rows[row] : row];
      }
      // The result of accumulator `a` for weight row `w_row`.
      auto value = [&](Acc a, int w_row) {
        if constexpr (Op::kScaled) {
          return static_cast<float>(a) * x_scale * w_scales[w_row];
        } else {
          return static_cast<float>(a);
        }
      };
      if constexpr (kSilu) {
        __nv_bfloat16* out_row = p.out + row * p.out_cols;
#pragma unroll
        for (int nf = 0; nf < kNf / 2; ++nf) {
          const int col = n_tile * (kBn / 2) + wn * (T::kWn / 2) + nf * 8 + 2 * q;
          if (col < p.out_cols) {
            const Acc* gate = acc[mf][nf];
            const Acc* up = acc[mf][nf + kNf / 2];
            const int up_row = p.out_cols + col;
            const float g0 = value(gate[2 * h], col), g1 = value(gate[2 * h + 1], col + 1);
            const float u0 = value(up[2 * h], up_row), u1 = value(up[2 * h + 1], up_row + 1);
            *reinterpret_cast<uint32_t*>(out_row + col) =
                PackBf16x2(SiluF(g0) * u0, SiluF(g1) * u1);
          }
        }
      } else {
#pragma unroll
        for (int nf = 0; nf < kNf; ++nf) {
          const int col = n_tile * kBn + wn * T::kWn + nf * 8 + 2 * q;
          if (col < p.out_cols) {
            float v0 = value(acc[mf][nf][2 * h], col);
            float v1 = value(acc[mf][nf][2 * h + 1], col + 1);
            if (p.bias != nullptr && split == 0) {
              v0 += __bfloat162float(p.bias[col]);
              v1 += __bfloat162float(p.bias[col + 1]);
            }
            if (p.k_splits > 1 && p.out_f32 != nullptr) {  // the host splits only these
              float* dst = p.out_f32 + row * p.out_cols + col;
              atomicAdd(dst, v0);
              atomicAdd(dst + 1, v1);
            } else if (p.out_f32 != nullptr) {
              float2* dst = reinterpret_cast<float2*>(p.out_f32 + row * p.out_cols + col);
              float2 old = *dst;
              old.x += v0;
              old.y += v1;
              *dst = old;
            } else {
              *reinterpret_cast<uint32_t*>(p.out + row * p.out_cols + col) = PackBf16x2(v0, v1);
            }
          }
        }
      }
    }
  }
}

// --- wgmma kernel -----------------------------------------------------------------

// The wgmma configuration: 128 x 256 tiles, two warpgroups (64 rows each).
struct WgmmaTile {
  static constexpr int kBm = 128;
  static constexpr int kBn = 256;
  static constexpr int kStages = 4;
  static constexpr int kThreads = 256;
  static constexpr int kStageBytes = (kBm + kBn) * kGemmRowBytes;  // 48 KiB
  // One extra KiB to align the stages to 1024 bytes.
  static constexpr int kSmemBytes = kStages * kStageBytes + 1024;
};

// Shared-memory matrix descriptor of a K-major tile in the 128-byte swizzle:
// 128-byte rows, 8-row groups 1024 bytes apart (stride byte offset); the
// leading byte offset is unused for this layout. `addr` is 1024-byte
// aligned, or offset from such an address by k * 32 bytes to start at
// element 16 * k of every row.
__device__ __forceinline__ uint64_t SmemDescriptor(uint32_t addr) {
  uint64_t desc = (addr & 0x3FFFFu) >> 4;  // start address, bits 0-13
  desc |= uint64_t{1} << 16;               // leading byte offset (unused)
  desc |= uint64_t{1024 >> 4} << 32;       // stride byte offset
  desc |= uint64_t{1} << 62;               // 128-byte swizzle
  return desc;
}

__device__ __forceinline__ void WgmmaFence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void WgmmaCommit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int kPending>
__device__ __forceinline__ void WgmmaWait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}
// Shared memory written by the generic proxy (cp.async) becomes visible to
// the async proxy (wgmma operand reads).
__device__ __forceinline__ void FenceProxyAsyncShared() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
// Keeps the compiler from moving accesses of `v` across this point (the
// accumulators are written by wgmma in the background until a wait).
__device__ __forceinline__ void FenceOperand(float& v) { asm volatile("" : "+f"(v)::"memory"); }

// d (64 x 256 per warpgroup, float32) += A (64 x 16, shared, K-major) *
// B (16 x 256, shared, K-major), both through 128B-swizzle descriptors.
__device__ __forceinline__ void WgmmaM64N256K16(float (&d)[128], uint64_t desc_a, uint64_t desc_b) {
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, 1, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 "
      "{"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15, "
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31, "
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47, "
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63, "
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79, "
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95, "
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111, "
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, "
      "%127"
      "}, "
      "%128, %129, p, 1, 1, 0, 0;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]),
        "+f"(d[7]), "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]),
        "+f"(d[14]), "+f"(d[15]), "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]),
        "+f"(d[21]), "+f"(d[22]), "+f"(d[23]), "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]),
        "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]), "+f"(d[32]), "+f"(d[33]), "+f"(d[34]),
        "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]), "+f"(d[40]), "+f"(d[41]),
        "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]), "+f"(d[48]),
        "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]),
        "+f"(d[63]), "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]),
        "+f"(d[70]), "+f"(d[71]), "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]),
        "+f"(d[77]), "+f"(d[78]), "+f"(d[79]), "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]),
        "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]), "+f"(d[88]), "+f"(d[89]), "+f"(d[90]),
        "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]), "+f"(d[96]), "+f"(d[97]),
        "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]),
        "+f"(d[110]), "+f"(d[111]), "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]),
        "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]), "+f"(d[120]), "+f"(d[121]),
        "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
      : "l"(desc_a), "l"(desc_b));
}

// 128 x 256 tiles on wgmma. Per k tile: wait for its copies, make them
// visible to the tensor cores, queue its four m64n256k16 per warpgroup,
// wait until the previous k tile's are done, then (after a barrier, since
// the other warpgroup read that slot too) refill that slot with the tile
// three ahead.
template <bool kSilu>
__global__ void __launch_bounds__(WgmmaTile::kThreads, 1)
    GroupedGemmWgmmaKernel(const GroupedGemmArgs p) {
  WaitForPredecessors();
  extern __shared__ uint8_t smem[];
  using T = WgmmaTile;
  constexpr int kBm = T::kBm, kBn = T::kBn, kStages = T::kStages;
  const int64_t slot = blockIdx.x / p.n_tiles;
  const int n_tile = static_cast<int>(blockIdx.x % p.n_tiles);
  int32_t expert, row_begin, rows;
  if (!FindGroupTile<kBm, T::kThreads>(p, slot, expert, row_begin, rows)) {
    return;
  }
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int warpgroup = warp / 4;
  const uint32_t smem_base = (SharedAddress(smem) + 1023u) & ~1023u;
  const TileLoader<kBm, kBn, T::kThreads, kSilu> loader(p, n_tile, expert, row_begin, rows);
  auto load_stage = [&](int stage, int k_tile) {
    const uint32_t a = smem_base + stage * T::kStageBytes;
    loader.Load(a, a + kBm * kGemmRowBytes, k_tile);
  };

  float acc[128];
#pragma unroll
  for (int i = 0; i < 128; ++i) acc[i] = 0.0f;

  const int k_tiles = (p.k + kGemmBk - 1) / kGemmBk;
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (s < k_tiles) load_stage(s, s);
    CpAsyncCommit();
  }
  for (int kt = 0; kt < k_tiles; ++kt) {
    CpAsyncWait<kStages - 2>();  // this thread's copies of tile kt landed
    FenceProxyAsyncShared();
    __syncthreads();  // everyone's copies of tile kt are visible to wgmma
    const uint32_t a_stage =
        smem_base + (kt % kStages) * T::kStageBytes + warpgroup * 64 * kGemmRowBytes;
    const uint32_t b_stage = smem_base + (kt % kStages) * T::kStageBytes + kBm * kGemmRowBytes;
    const uint64_t desc_a = SmemDescriptor(a_stage);
    const uint64_t desc_b = SmemDescriptor(b_stage);
#pragma unroll
    for (int i = 0; i < 128; ++i) FenceOperand(acc[i]);
    WgmmaFence();
#pragma unroll
    for (int kk = 0; kk < kGemmBk / 16; ++kk) {
      // 16 k elements = 32 bytes further along every row.
      WgmmaM64N256K16(acc, desc_a + 2 * kk, desc_b + 2 * kk);
    }
    WgmmaCommit();
    WgmmaWait<1>();  // the previous k tile's wgmmas are done
#pragma unroll
    for (int i = 0; i < 128; ++i) FenceOperand(acc[i]);
    __syncthreads();  // ... in both warpgroups: its slot may be refilled
    const int next = kt + kStages - 1;
    if (next < k_tiles) load_stage(next % kStages, next);
    CpAsyncCommit();
  }
  WgmmaWait<0>();
#pragma unroll
  for (int i = 0; i < 128; ++i) FenceOperand(acc[i]);
  CpAsyncWait<0>();

  // Accumulator layout of m64nNk16: warp w of the warpgroup holds rows
  // 16 w + g and 16 w + g + 8; acc[4 j + 2 h + c] is (row 16 w + g + 8 h,
  // column 8 j + 2 q + c).
  const int g = lane / 4, q = lane % 4;
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int r = warpgroup * 64 + (warp % 4) * 16 + g + 8 * h;
    if (r >= rows) continue;
    __nv_bfloat16* out_row = p.out + int64_t{row_begin + r} * p.out_cols;
    if constexpr (kSilu) {
#pragma unroll
      for (int j = 0; j < kBn / 16; ++j) {
        const int col = n_tile * (kBn / 2) + 8 * j + 2 * q;
        if (col < p.out_cols) {
          const float* gate = acc + 4 * j + 2 * h;
          const float* up = acc + 4 * (j + kBn / 16) + 2 * h;
          *reinterpret_cast<uint32_t*>(out_row + col) =
              PackBf16x2(SiluF(gate[0]) * up[0], SiluF(gate[1]) * up[1]);
        }
      }
    } else {
#pragma unroll
      for (int j = 0; j < kBn / 8; ++j) {
        const int col = n_tile * kBn + 8 * j + 2 * q;
        if (col < p.out_cols) {
          *reinterpret_cast<uint32_t*>(out_row + col) =
              PackBf16x2(acc[4 * j + 2 * h], acc[4 * j + 2 * h + 1]);
        }
      }
    }
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_GROUPED_GEMM_CUH_
