// Device code of paged_attention.h.
//
// PagedAttentionKernel: grid ((tokens * head_chunks) * kv_heads, 1,
// partitions) with the KV head fastest (the blocks reading one KV block's
// interleaved heads run together), 4 warps per block; the math runs on the tensor cores (mma.sync
// m16n8k16 bf16, float32 accumulation) in the transposed form
//   S^T = K Q^T    (m: 16 keys, n: 8 query rows, k: head_dim)
//   O^T += V^T P^T (m: v_head_dim, n: 8 query rows, k: 16 keys)
// so that 8 query rows (the heads of a GQA group) fill the mma's n with no
// padding, a K/V row read once serves all of them, and the float32
// accumulator O^T holds only real rows. Softmax is online per row in the
// log2 domain (running max m and sum l). K/V tiles are copied into shared
// memory with 16-byte cp.async (rows past the context zero-filled) and read
// with ldmatrix (.trans for V^T).
//
// Two paths, chosen per block on the device:
// - Per token (decode, and any token not in a joint group): the block takes
//   one query token, up to 8 query heads of one KV group (larger groups use
//   several head chunks) and one partition of the token's context. Its warps
//   take the partition's 16-key tiles round robin, each warp with its own
//   cp.async pipeline of kStages tiles, so a warp has kStages-1 tiles in
//   flight (8 KB each at d=128) while it computes on one. The warps' states
//   merge in shared memory at the end.
// - Joint (prefill; head_dim <= 128 and groups of at most 8): when the
//   aligned run of T = 64 / group tokens that holds the block's token all
//   belong to one sequence, the run's first block computes all T * group
//   query rows (each with its own context length: causal) over shared
//   64-key tiles, each warp 16 rows, and the run's other blocks exit. K/V
//   tiles are then read once per T tokens instead of once per token.
// With one partition the block writes the bf16 output; otherwise each
// row's partial (max, sum, unnormalized output) goes to the workspace and
// MergePartitionsKernel combines them.
//
// Fragment conventions (PTX ISA, mma.m16n8k16 with .bf16): lane = 4*g + t.
// A (16x16, row major): a0a1 = A[g][2t..2t+1], a2a3 = A[g+8][2t..], a4a5 =
// A[g][2t+8..], a6a7 = A[g+8][2t+8..]. B (16x8): b0b1 = B[2t..2t+1][g], b2b3
// = B[2t+8..2t+9][g]. C (16x8): c0c1 = C[g][2t..2t+1], c2c3 = C[g+8][2t..].
#ifndef WEFT_KERNELS_CUDA_PAGED_ATTENTION_CUH_
#define WEFT_KERNELS_CUDA_PAGED_ATTENTION_CUH_

#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/paged_attention.h"

namespace weft::kernels::gpu::device {

constexpr int kAttentionWarps = 4;
constexpr int kAttentionThreads = kAttentionWarps * kWarpSize;
constexpr int kTileKeys = 16;      // keys per warp tile (the mma's m of S^T)
constexpr int kHeadsPerBlock = 8;  // query heads per block on the per-token path (the mma's n)
constexpr int kJointRows = 64;     // query rows per block on the joint path (16 per warp)
constexpr int kJointTileKeys = kTileKeys * kAttentionWarps;  // keys per joint tile
constexpr int kMergeWarps = 4;                               // warps per block of the merge kernel
constexpr float kLog2e = 1.4426950408889634f;

// Arguments of PagedAttentionKernel, resolved by the launcher.
struct AttentionArgs {
  const __nv_bfloat16* q = nullptr;
  int64_t q_token_stride = 0;
  __nv_bfloat16* out = nullptr;
  int64_t tokens = 0;
  const __nv_bfloat16* k = nullptr;
  const __nv_bfloat16* v = nullptr;
  int64_t k_slot_stride = 0;
  int64_t k_head_stride = 0;
  int64_t v_slot_stride = 0;
  int64_t v_head_stride = 0;
  const int32_t* sequence_of_token = nullptr;
  const int32_t* context_len = nullptr;
  const int32_t* block_tables = nullptr;
  int32_t max_blocks_per_sequence = 0;
  int32_t block_size = 0;
  bool tile_in_one_block = false;  // block_size % kTileKeys == 0
  bool q_aligned = false;          // 16-byte loads of q rows are aligned
  bool out_aligned = false;        // 16-byte stores of out rows are aligned
  int32_t num_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t group = 1;         // query heads per KV head
  int32_t head_chunks = 1;   // blocks per (token, KV head) on the per-token path: ceil(group / 8)
  int32_t joint_tokens = 1;  // T of the joint path (kJointRows / group); 1: per-token path only
  float scale_log2 = 0.0f;   // scale * log2(e)
  int32_t partitions = 1;
  int32_t partition_size = 0;   // keys per partition when partitions > 1 (multiple of 64)
  float* partial_o = nullptr;   // [tokens * num_heads * partitions][v_head_dim]
  float* partial_ml = nullptr;  // [tokens * num_heads * partitions][2]: max (log2), sum
};

// Shared-memory layout of a tile of 16 rows of kDim bf16, in 16-byte chunks:
// row r starts at chunk r * (kDim / 8 + 1) + (r / 8) * 4. The odd row stride
// puts 8 consecutive rows of one column in 8 different bank groups, and the
// extra 4 chunks of rows 8..15 do the same for the key order {0, 8, 1, 9,
// ...} that the V^T reads use: ldmatrix is conflict-free either way. Query
// rows use the same stride without the extra chunks.
template <int kDim>
struct TileLayout {
  static_assert(kDim % 16 == 0, "rows are whole 16-byte chunk pairs");
  static constexpr int kChunks = kDim / 8;
  static constexpr int kRowStride = kChunks + 1;
  static constexpr int kRowBytes = kRowStride * 16;
  static constexpr int kTileBytes = (kTileKeys * kRowStride + 4) * 16;
  __host__ __device__ static constexpr int RowByte(int r) {
    return (r * kRowStride + (r >> 3) * 4) * 16;
  }
};

// The sizes and shared memory of one instantiation of the attention kernel.
template <int kD, int kDv, bool kVInK>
struct AttentionConfig {
  static_assert(kD % 32 == 0 && kDv % 16 == 0, "head sizes in whole mma steps");
  static_assert(!kVInK || kDv <= kD, "V is a prefix of the K row");
  using KLayout = TileLayout<kD>;
  using VLayout = std::conditional_t<kVInK, TileLayout<kD>, TileLayout<kDv>>;
  // One 16-key tile: K rows, then V rows unless V lives in K.
  static constexpr int kStageBytes = KLayout::kTileBytes + (kVInK ? 0 : VLayout::kTileBytes);
  // Per-token path: 8 query rows, then each warp's pipeline. Deeper
  // pipelines for small tiles; ~8 KB tiles (d=128) keep two blocks of
  // 4 warps x 3 stages on an SM.
  static constexpr int kQBytes = kHeadsPerBlock * KLayout::kRowBytes;
  static constexpr int kStages = kStageBytes <= 4800 ? 4 : (kStageBytes <= 9216 ? 3 : 2);
  static constexpr int kPipelineBytes = kAttentionWarps * kStages * kStageBytes;
  // Joint path: 64 query rows, then kJointStages tiles of 64 keys (4 tiles
  // of 16, one copied by each warp), in the same memory.
  static constexpr bool kJoint = kD <= 128 && !kVInK;
  static constexpr int kJointStages = 2;
  static constexpr int kJointQBytes = kJointRows * KLayout::kRowBytes;
  static constexpr int kJointStageBytes = kAttentionWarps * kStageBytes;
  static constexpr int kJointBytes = kJointQBytes + kJointStages * kJointStageBytes;
  // Epilogue (over the pipelines): the row states, float32.
  static constexpr int kOutStride = kDv + 4;  // floats per row (bank spread)
  static constexpr int kEpilogueRows = kJoint ? kJointRows : kAttentionWarps * kHeadsPerBlock;
  static_assert(kJointRows >= kAttentionWarps * kHeadsPerBlock, "epilogue holds either path");
  static constexpr int kEpilogueBytes =
      kQBytes + kEpilogueRows * (kOutStride + 2) * static_cast<int>(sizeof(float));
  static constexpr int kSharedBytes =
      std::max({kQBytes + kPipelineBytes, kJoint ? kJointBytes : 0, kEpilogueBytes});
};

__device__ __forceinline__ uint32_t SharedAddress(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

// 16-byte global->shared copy; zero-fills the destination when !valid
// (src is then not read).
__device__ __forceinline__ void CpAsync16(uint32_t dst, const void* src, bool valid) {
  const int src_bytes = valid ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src),
               "r"(src_bytes)
               : "memory");
}

__device__ __forceinline__ void CpAsyncCommit() {
  asm volatile("cp.async.commit_group;\n" ::: "memory");
}

// Waits until at most kPending of this thread's committed groups are still
// in flight.
template <int kPending>
__device__ __forceinline__ void CpAsyncWait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending) : "memory");
}

__device__ __forceinline__ void LdMatrixX4(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address)
               : "memory");
}

__device__ __forceinline__ void LdMatrixX4Trans(uint32_t (&r)[4], uint32_t address) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(address)
               : "memory");
}

// c += A B for one m16n8k16 bf16 tile with float32 accumulators.
__device__ __forceinline__ void MmaBf16(float (&c)[4], const uint32_t (&a)[4], uint32_t b0,
                                        uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, "
      "{%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// 2^x (approximate, flushes denormals; 2^-inf = 0).
__device__ __forceinline__ float FastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Two floats as bf16x2: `lo` in the low half (the lower k index of a fragment).
__device__ __forceinline__ uint32_t PackBf16x2(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// The key (row of the tile) that k index x of the O^T += V^T P^T step uses:
// k = 2t, 2t+1, 2t+8, 2t+9 map to keys t, t+8, t+4, t+12, so that a lane's
// P^T pairs are exactly the (key, key + 8) pairs one lane of S^T holds.
__device__ __forceinline__ int PvKey(int x) {
  return ((x >> 1) & 3) + ((x & 1) << 3) + (x & 8 ? 4 : 0);
}

// Copies keys tile_start .. tile_start+15 of a sequence (K rows, and V rows
// unless V lives in K) into the tile at shared address `dst`, one warp
// cooperating; keys >= end are zero-filled. tile_start is a multiple of 16.
template <int kD, int kDv, bool kVInK>
__device__ __forceinline__ void LoadTile(const AttentionArgs& a, const int32_t* table,
                                         const __nv_bfloat16* k_head, const __nv_bfloat16* v_head,
                                         int tile_start, int end, uint32_t dst, int lane) {
  using Config = AttentionConfig<kD, kDv, kVInK>;
  using KL = typename Config::KLayout;
  using VL = typename Config::VLayout;
  // tile_in_one_block: row r lives at slot first_slot + r. Otherwise lanes
  // 0..15 (and 16..31 again) look up the slot of row lane & 15.
  int64_t first_slot = 0;
  int64_t lane_slot = 0;
  if (a.tile_in_one_block) {
    // A joint-path warp's 16 keys may all lie past the end (its table entry
    // may then lie past the sequence's row): nothing is read for them.
    if (tile_start < end) {
      first_slot =
          int64_t{table[tile_start / a.block_size]} * a.block_size + tile_start % a.block_size;
    }
  } else {
    const int key = tile_start + (lane & 15);
    if (key < end) {
      lane_slot = int64_t{table[key / a.block_size]} * a.block_size + key % a.block_size;
    }
  }
  auto slot_of = [&](int r) -> int64_t {
    if (a.tile_in_one_block) return first_slot + r;
    return __shfl_sync(0xffffffffu, lane_slot, r);
  };
#pragma unroll
  for (int it = 0; it < KL::kChunks / 2; ++it) {  // 16 rows * kChunks / 32 lanes
    const int c = it * kWarpSize + lane;
    const int r = c / KL::kChunks;
    const int col = c % KL::kChunks;
    const int64_t slot = slot_of(r);
    const bool valid = tile_start + r < end;
    const __nv_bfloat16* src = valid ? k_head + slot * a.k_slot_stride + col * 8 : a.k;
    CpAsync16(dst + KL::RowByte(r) + col * 16, src, valid);
  }
  if constexpr (!kVInK) {
#pragma unroll
    for (int it = 0; it < VL::kChunks / 2; ++it) {
      const int c = it * kWarpSize + lane;
      const int r = c / VL::kChunks;
      const int col = c % VL::kChunks;
      const int64_t slot = slot_of(r);
      const bool valid = tile_start + r < end;
      const __nv_bfloat16* src = valid ? v_head + slot * a.v_slot_stride + col * 8 : a.v;
      CpAsync16(dst + KL::kTileBytes + VL::RowByte(r) + col * 16, src, valid);
    }
  }
}

// One warp's attention state for kNT groups ("n tiles") of 8 query rows.
// Lane (g, t) holds, for each n tile, the softmax state of rows 2t and 2t+1
// and the O^T accumulator rows (16 mi + g, 16 mi + g + 8) x (2t, 2t+1).
template <int kD, int kDv, bool kVInK, int kNT>
struct WarpRows {
  using Config = AttentionConfig<kD, kDv, kVInK>;
  using KL = typename Config::KLayout;
  using VL = typename Config::VLayout;
  static constexpr int kMTiles = kDv / 16;     // m tiles of O^T
  static constexpr int kQPairs = kD / 32;      // pairs of k steps of S^T (one ldmatrix.x4 of Q)
  static constexpr bool kQInRegs = kD <= 256;  // else read from shared memory per tile (MLA)

  float m[kNT][2];
  float l[kNT][2];
  float acc[kNT][kMTiles][4];
  uint32_t q_lane[kNT];
  uint32_t qf[kQInRegs ? kNT : 1][kQInRegs ? kQPairs : 1][4];

  // q_rows: shared address of the warp's first query row (8 * kNT rows of
  // KL::kRowBytes).
  __device__ __forceinline__ void Init(uint32_t q_rows, int lane) {
#pragma unroll
    for (int n = 0; n < kNT; ++n) {
      // Q^T as B: matrices (k step 2j, cols 0-7), (2j, 8-15), (2j+1, 0-7), (2j+1, 8-15).
      q_lane[n] =
          q_rows + (8 * n + (lane & 7)) * KL::kRowBytes + (lane >> 4) * 32 + ((lane >> 3) & 1) * 16;
      if constexpr (kQInRegs) {
#pragma unroll
        for (int j = 0; j < kQPairs; ++j) LdMatrixX4(qf[n][j], q_lane[n] + j * 64);
      }
      m[n][0] = m[n][1] = -INFINITY;
      l[n][0] = l[n][1] = 0.0f;
#pragma unroll
      for (int mi = 0; mi < kMTiles; ++mi) {
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[n][mi][e] = 0.0f;
      }
    }
  }

  // Attends to the 16-key tile at shared address `tile` whose first key is
  // tile_start: row 2t+j of n tile n sees the keys < row_end[n][j].
  __device__ __forceinline__ void Tile(uint32_t tile, int tile_start, const int (&row_end)[kNT][2],
                                       float scale_log2, int lane) {
    const int g = lane >> 2;
    const int t = lane & 3;
    // K as A: matrices (rows 0-7, cols 0-7), (8-15, 0-7), (0-7, 8-15), (8-15, 8-15).
    const uint32_t k_lane =
        tile + KL::RowByte((lane & 7) + ((lane >> 3) & 1) * 8) + (lane >> 4) * 16;
    // V^T as A (transposed loads): rows PvKey(0..7) or PvKey(8..15), dims 0-7 or 8-15.
    const uint32_t v_lane = tile + (kVInK ? 0 : KL::kTileBytes) +
                            VL::RowByte(PvKey((lane & 7) + (lane >> 4) * 8)) +
                            ((lane >> 3) & 1) * 16;

    // S^T = K Q^T, two accumulators per n tile to halve the dependency chain.
    float s[kNT][2][4];
#pragma unroll
    for (int n = 0; n < kNT; ++n) {
#pragma unroll
      for (int e = 0; e < 4; ++e) s[n][0][e] = s[n][1][e] = 0.0f;
    }
#pragma unroll
    for (int j = 0; j < kQPairs; ++j) {
      uint32_t ak0[4], ak1[4];
      LdMatrixX4(ak0, k_lane + j * 64);
      LdMatrixX4(ak1, k_lane + j * 64 + 32);
#pragma unroll
      for (int n = 0; n < kNT; ++n) {
        uint32_t bq[4];
        if constexpr (kQInRegs) {
#pragma unroll
          for (int e = 0; e < 4; ++e) bq[e] = qf[n][j][e];
        } else {
          LdMatrixX4(bq, q_lane[n] + j * 64);
        }
        MmaBf16(s[n][0], ak0, bq[0], bq[1]);
        MmaBf16(s[n][1], ak1, bq[2], bq[3]);
      }
    }

    uint32_t b0[kNT], b1[kNT];
    const int key0 = tile_start + g;
    const int key1 = key0 + 8;
#pragma unroll
    for (int n = 0; n < kNT; ++n) {
      // x[0], x[1]: key g, rows 2t, 2t+1; x[2], x[3]: key g + 8.
      float x[4];
      x[0] = key0 < row_end[n][0] ? (s[n][0][0] + s[n][1][0]) * scale_log2 : -INFINITY;
      x[1] = key0 < row_end[n][1] ? (s[n][0][1] + s[n][1][1]) * scale_log2 : -INFINITY;
      x[2] = key1 < row_end[n][0] ? (s[n][0][2] + s[n][1][2]) * scale_log2 : -INFINITY;
      x[3] = key1 < row_end[n][1] ? (s[n][0][3] + s[n][1][3]) * scale_log2 : -INFINITY;
      float tile_max[2] = {fmaxf(x[0], x[2]), fmaxf(x[1], x[3])};
#pragma unroll
      for (int offset = 4; offset < kWarpSize; offset *= 2) {  // over g
        tile_max[0] = fmaxf(tile_max[0], __shfl_xor_sync(0xffffffffu, tile_max[0], offset));
        tile_max[1] = fmaxf(tile_max[1], __shfl_xor_sync(0xffffffffu, tile_max[1], offset));
      }
      // A row that has seen no key yet keeps m = -inf; 0 then serves as the
      // reference so that no -inf - -inf appears.
      float correction[2], reference[2];
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const float m_new = fmaxf(m[n][j], tile_max[j]);
        reference[j] = m_new == -INFINITY ? 0.0f : m_new;
        correction[j] = FastExp2(m[n][j] - reference[j]);
        m[n][j] = m_new;
      }
      float p[4];
      p[0] = FastExp2(x[0] - reference[0]);
      p[1] = FastExp2(x[1] - reference[1]);
      p[2] = FastExp2(x[2] - reference[0]);
      p[3] = FastExp2(x[3] - reference[1]);
      l[n][0] = l[n][0] * correction[0] + p[0] + p[2];
      l[n][1] = l[n][1] * correction[1] + p[1] + p[3];
#pragma unroll
      for (int mi = 0; mi < kMTiles; ++mi) {
        acc[n][mi][0] *= correction[0];
        acc[n][mi][1] *= correction[1];
        acc[n][mi][2] *= correction[0];
        acc[n][mi][3] *= correction[1];
      }
      // P^T as B: b0b1 = P[keys t, t+8][row g], b2b3 = P[keys t+4, t+12][row g],
      // held by lanes 4t + g/2 and 4(t+4) + g/2 as (key, key+8) pairs.
      const uint32_t pair_even = PackBf16x2(p[0], p[2]);  // row 2t
      const uint32_t pair_odd = PackBf16x2(p[1], p[3]);   // row 2t+1
      const int src0 = t * 4 + (g >> 1);
      const int src1 = src0 + 16;
      const uint32_t e0 = __shfl_sync(0xffffffffu, pair_even, src0);
      const uint32_t o0 = __shfl_sync(0xffffffffu, pair_odd, src0);
      const uint32_t e1 = __shfl_sync(0xffffffffu, pair_even, src1);
      const uint32_t o1 = __shfl_sync(0xffffffffu, pair_odd, src1);
      b0[n] = (g & 1) ? o0 : e0;
      b1[n] = (g & 1) ? o1 : e1;
    }

    // O^T += V^T P^T, one m tile (16 dims of v) at a time.
#pragma unroll
    for (int mi = 0; mi < kMTiles; ++mi) {
      uint32_t av[4];
      LdMatrixX4Trans(av, v_lane + mi * 32);
#pragma unroll
      for (int n = 0; n < kNT; ++n) MmaBf16(acc[n][mi], av, b0[n], b1[n]);
    }
  }

  // Sums l over the lanes of each row, then stores the state of rows
  // first_row + 8n + 2t + j into s_out ([row][kOutStride]), s_m and s_l.
  __device__ __forceinline__ void Store(float* s_out, float* s_m, float* s_l, int first_row,
                                        int lane) {
    const int g = lane >> 2;
    const int t = lane & 3;
    constexpr int kOutStride = Config::kOutStride;
#pragma unroll
    for (int n = 0; n < kNT; ++n) {
#pragma unroll
      for (int offset = 4; offset < kWarpSize; offset *= 2) {
        l[n][0] += __shfl_xor_sync(0xffffffffu, l[n][0], offset);
        l[n][1] += __shfl_xor_sync(0xffffffffu, l[n][1], offset);
      }
      const int row = first_row + 8 * n + 2 * t;
      float* row0 = s_out + row * kOutStride;
      float* row1 = row0 + kOutStride;
#pragma unroll
      for (int mi = 0; mi < kMTiles; ++mi) {
        row0[16 * mi + g] = acc[n][mi][0];
        row1[16 * mi + g] = acc[n][mi][1];
        row0[16 * mi + g + 8] = acc[n][mi][2];
        row1[16 * mi + g + 8] = acc[n][mi][3];
      }
      if (g == 0) {
        s_m[row] = m[n][0];
        s_m[row + 1] = m[n][1];
        s_l[row] = l[n][0];
        s_l[row + 1] = l[n][1];
      }
    }
  }
};

// The epilogue: row r (< rows) combines the kParts states at rows
// r + w * part_rows (w < kParts) of s_out / s_m / s_l and is written to
// output row out_row(r): normalized bf16 with one partition, else its
// partial state for partition `part`.
template <int kDv, int kParts, typename OutRow>
__device__ __forceinline__ void WriteRows(const AttentionArgs& a, const float* s_out,
                                          const float* s_m, const float* s_l, int part_rows,
                                          int rows, int part, OutRow out_row) {
  constexpr int kOutStride = kDv + 4;
  constexpr int kOutChunks = kDv / 8;
  for (int c = threadIdx.x; c < rows * kOutChunks; c += kAttentionThreads) {
    const int r = c / kOutChunks;
    const int col = (c % kOutChunks) * 8;
    float max_all = -INFINITY;
#pragma unroll
    for (int w = 0; w < kParts; ++w) max_all = fmaxf(max_all, s_m[w * part_rows + r]);
    const float reference = max_all == -INFINITY ? 0.0f : max_all;
    float sum = 0.0f;
    float o[8] = {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
    for (int w = 0; w < kParts; ++w) {
      const int state = w * part_rows + r;
      const float f = FastExp2(s_m[state] - reference);
      sum += s_l[state] * f;
      const float4* src = reinterpret_cast<const float4*>(s_out + state * kOutStride + col);
      const float4 lo = src[0], hi = src[1];
      o[0] += lo.x * f;
      o[1] += lo.y * f;
      o[2] += lo.z * f;
      o[3] += lo.w * f;
      o[4] += hi.x * f;
      o[5] += hi.y * f;
      o[6] += hi.z * f;
      o[7] += hi.w * f;
    }
    const int64_t row = out_row(r);
    if (a.partitions == 1) {
      const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
      for (int e = 0; e < 8; ++e) o[e] *= inv;
      const Bf16x8 packed = Pack(o);
      __nv_bfloat16* dst = a.out + row * kDv + col;
      if (a.out_aligned) {
        *reinterpret_cast<Bf16x8*>(dst) = packed;
      } else {
        const __nv_bfloat16* e = reinterpret_cast<const __nv_bfloat16*>(&packed);
#pragma unroll
        for (int i = 0; i < 8; ++i) dst[i] = e[i];
      }
    } else {
      const int64_t prow = row * a.partitions + part;
      float4* dst = reinterpret_cast<float4*>(a.partial_o + prow * kDv + col);
      dst[0] = make_float4(o[0], o[1], o[2], o[3]);
      dst[1] = make_float4(o[4], o[5], o[6], o[7]);
      if (col == 0) {
        a.partial_ml[2 * prow] = max_all;
        a.partial_ml[2 * prow + 1] = sum;
      }
    }
  }
}

// Stages query rows into shared memory (row stride KL::kRowBytes): row r <
// rows is q_row(r) (a token's head), the rest up to `capacity` are zeros.
template <int kD, typename QRow>
__device__ __forceinline__ void StageQueries(const AttentionArgs& a, unsigned char* dst, int rows,
                                             int capacity, QRow q_row) {
  using KL = TileLayout<kD>;
  for (int c = threadIdx.x; c < capacity * KL::kChunks; c += kAttentionThreads) {
    const int r = c / KL::kChunks;
    const int col = c % KL::kChunks;
    uint4 value = make_uint4(0, 0, 0, 0);
    if (r < rows) {
      const __nv_bfloat16* src = q_row(r) + col * 8;
      if (a.q_aligned) {
        value = *reinterpret_cast<const uint4*>(src);
      } else {
        alignas(16) __nv_bfloat16 e[8];
#pragma unroll
        for (int i = 0; i < 8; ++i) e[i] = src[i];
        value = *reinterpret_cast<const uint4*>(e);
      }
    }
    *reinterpret_cast<uint4*>(dst + r * KL::kRowBytes + col * 16) = value;
  }
}

// The joint path: query tokens first .. first+T-1 of one sequence, all
// `group` heads of `kv_head` (row r = token first + r / group, head
// r % group), partition blockIdx.z.
template <int kD, int kDv, bool kVInK>
__device__ __forceinline__ void JointAttention(const AttentionArgs& a, unsigned char* smem,
                                               int64_t first, int kv_head) {
  using Config = AttentionConfig<kD, kDv, kVInK>;
  constexpr int kStages = Config::kJointStages;
  const int part = blockIdx.z;
  const int group = a.group;
  const int rows = a.joint_tokens * group;
  const int warp = threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  const int t = lane & 3;

  // The keys any row sees: up to the largest context of the run.
  int run_ctx = 0;
  for (int i = lane; i < a.joint_tokens; i += kWarpSize) {
    run_ctx = max(run_ctx, a.context_len[first + i]);
  }
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    run_ctx = max(run_ctx, __shfl_xor_sync(0xffffffffu, run_ctx, offset));
  }
  int begin = 0, end = run_ctx;
  if (a.partitions > 1) {
    begin = part * a.partition_size;
    if (begin >= run_ctx) return;  // uniform over the block
    end = min(run_ctx, begin + a.partition_size);
  }

  StageQueries<kD>(a, smem, rows, kJointRows, [&](int r) {
    return a.q + (first + r / group) * a.q_token_stride + int64_t{kv_head * group + r % group} * kD;
  });
  __syncthreads();

  WarpRows<kD, kDv, kVInK, 2> rows_state;
  const uint32_t q_smem = SharedAddress(smem);
  rows_state.Init(q_smem + warp * 16 * Config::KLayout::kRowBytes, lane);
  // Where each of this lane's rows stops seeing keys, and the warp's last key.
  int row_end[2][2];
  int warp_end = 0;
#pragma unroll
  for (int n = 0; n < 2; ++n) {
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int r = warp * 16 + 8 * n + 2 * t + j;
      row_end[n][j] = r < rows ? min(end, a.context_len[first + r / group]) : 0;
      warp_end = max(warp_end, row_end[n][j]);
    }
  }
#pragma unroll
  for (int offset = kWarpSize / 2; offset > 0; offset /= 2) {
    warp_end = max(warp_end, __shfl_xor_sync(0xffffffffu, warp_end, offset));
  }

  const int32_t* table =
      a.block_tables + int64_t{a.sequence_of_token[first]} * a.max_blocks_per_sequence;
  const __nv_bfloat16* k_head = a.k + kv_head * a.k_head_stride;
  const __nv_bfloat16* v_head = a.v + kv_head * a.v_head_stride;
  const uint32_t stages = q_smem + Config::kJointQBytes;
  const int num_tiles = (end - begin + kJointTileKeys - 1) / kJointTileKeys;
  // Warp w copies the w-th 16 keys of each 64-key tile.
  auto load = [&](int i, int stage) {
    LoadTile<kD, kDv, kVInK>(
        a, table, k_head, v_head, begin + i * kJointTileKeys + warp * kTileKeys, end,
        stages + stage * Config::kJointStageBytes + warp * Config::kStageBytes, lane);
  };
#pragma unroll
  for (int s = 0; s < kStages; ++s) {
    if (s < num_tiles) load(s, s);
    CpAsyncCommit();
  }
  for (int i = 0; i < num_tiles; ++i) {
    const int stage = i % kStages;
    CpAsyncWait<kStages - 1>();  // this thread's copies of tile i have landed
    __syncthreads();             // ... and every thread's are visible
#pragma unroll 1
    for (int sub = 0; sub < kAttentionWarps; ++sub) {
      const int sub_start = begin + i * kJointTileKeys + sub * kTileKeys;
      if (sub_start >= warp_end) break;  // no row of this warp sees these keys
      rows_state.Tile(stages + stage * Config::kJointStageBytes + sub * Config::kStageBytes,
                      sub_start, row_end, a.scale_log2, lane);
    }
    __syncthreads();  // every warp is done with this stage before it is refilled
    if (i + kStages < num_tiles) load(i + kStages, stage);
    CpAsyncCommit();
  }
  CpAsyncWait<0>();
  __syncthreads();

  float* s_out = reinterpret_cast<float*>(smem + Config::kQBytes);
  float* s_m = s_out + kJointRows * Config::kOutStride;
  float* s_l = s_m + kJointRows;
  rows_state.Store(s_out, s_m, s_l, warp * 16, lane);
  __syncthreads();
  WriteRows<kDv, 1>(a, s_out, s_m, s_l, kJointRows, rows, part, [&](int r) -> int64_t {
    return (first + r / group) * a.num_heads + kv_head * group + r % group;
  });
}

template <int kD, int kDv, bool kVInK>
__global__ void __launch_bounds__(kAttentionThreads) PagedAttentionKernel(const AttentionArgs a) {
  WaitForPredecessors();
  using Config = AttentionConfig<kD, kDv, kVInK>;
  constexpr int kStages = Config::kStages;

  extern __shared__ __align__(16) unsigned char smem[];

  const int kv_head = static_cast<int>(blockIdx.x % a.num_kv_heads);
  const int64_t unit = blockIdx.x / a.num_kv_heads;  // token * head_chunks + head chunk
  const int64_t token = unit / a.head_chunks;
  const int32_t token_ctx = a.context_len[token];  // loaded early: overlaps the check below

  if constexpr (Config::kJoint) {
    // Joint path when the aligned run of joint_tokens tokens holding this
    // one lies in one sequence (joint_tokens > 1 implies head_chunks == 1).
    if (a.joint_tokens > 1) {
      const int64_t first = token - token % a.joint_tokens;
      if (first + a.joint_tokens <= a.tokens) {
        const int i = threadIdx.x;
        const bool differs =
            i < a.joint_tokens && a.sequence_of_token[first + i] != a.sequence_of_token[first];
        if (!__syncthreads_or(differs)) {
          if (token == first) JointAttention<kD, kDv, kVInK>(a, smem, first, kv_head);
          return;
        }
      }
    }
  }

  // Per-token path.
  const int head_chunk = static_cast<int>(unit % a.head_chunks);
  const int part = blockIdx.z;
  const int head0 = kv_head * a.group + head_chunk * kHeadsPerBlock;
  const int n_heads = min(kHeadsPerBlock, a.group - head_chunk * kHeadsPerBlock);
  const int32_t ctx = max(token_ctx, 0);
  int32_t begin = 0, end = ctx;
  if (a.partitions > 1) {
    begin = part * a.partition_size;
    if (begin >= ctx) return;  // nothing here; the merge skips this partition
    end = min(ctx, begin + a.partition_size);
  }

  StageQueries<kD>(a, smem, n_heads, kHeadsPerBlock,
                   [&](int r) { return a.q + token * a.q_token_stride + int64_t{head0 + r} * kD; });
  __syncthreads();

  const int warp = threadIdx.x / kWarpSize;
  const int lane = threadIdx.x % kWarpSize;
  const int num_tiles = (end - begin + kTileKeys - 1) / kTileKeys;
  const int my_tiles =
      warp < num_tiles ? (num_tiles - warp + kAttentionWarps - 1) / kAttentionWarps : 0;
  const int32_t* table =
      a.block_tables + int64_t{a.sequence_of_token[token]} * a.max_blocks_per_sequence;
  const __nv_bfloat16* k_head = a.k + kv_head * a.k_head_stride;
  const __nv_bfloat16* v_head = a.v + kv_head * a.v_head_stride;
  const uint32_t q_smem = SharedAddress(smem);
  const uint32_t stages = q_smem + Config::kQBytes + warp * kStages * Config::kStageBytes;
  auto load = [&](int i, int stage) {
    LoadTile<kD, kDv, kVInK>(a, table, k_head, v_head,
                             begin + (warp + i * kAttentionWarps) * kTileKeys, end,
                             stages + stage * Config::kStageBytes, lane);
  };

  WarpRows<kD, kDv, kVInK, 1> rows_state;
  rows_state.Init(q_smem, lane);
  const int row_end[1][2] = {{end, end}};
#pragma unroll
  for (int s = 0; s < kStages; ++s) {
    if (s < my_tiles) load(s, s);
    CpAsyncCommit();
  }
  for (int i = 0; i < my_tiles; ++i) {
    const int stage = i % kStages;
    CpAsyncWait<kStages - 1>();  // this lane's copies of tile i have landed
    __syncwarp();                // ... and every lane's are visible
    rows_state.Tile(stages + stage * Config::kStageBytes,
                    begin + (warp + i * kAttentionWarps) * kTileKeys, row_end, a.scale_log2, lane);
    __syncwarp();  // every lane is done reading this stage before it is refilled
    if (i + kStages < my_tiles) load(i + kStages, stage);
    CpAsyncCommit();
  }
  CpAsyncWait<0>();

  // Merge the warps' states through shared memory (over the pipelines):
  // warp w's head h is state row w * 8 + h.
  __syncthreads();
  float* s_out = reinterpret_cast<float*>(smem + Config::kQBytes);
  float* s_m = s_out + Config::kEpilogueRows * Config::kOutStride;
  float* s_l = s_m + Config::kEpilogueRows;
  rows_state.Store(s_out, s_m, s_l, warp * kHeadsPerBlock, lane);
  __syncthreads();
  WriteRows<kDv, kAttentionWarps>(
      a, s_out, s_m, s_l, kHeadsPerBlock, n_heads, part,
      [&](int r) -> int64_t { return token * a.num_heads + head0 + r; });
}

struct MergeArgs {
  const float* partial_o = nullptr;
  const float* partial_ml = nullptr;
  const int32_t* context_len = nullptr;
  __nv_bfloat16* out = nullptr;
  int64_t rows = 0;  // tokens * num_heads
  int32_t num_heads = 0;
  int32_t partitions = 0;
  int32_t partition_size = 0;
};

// One warp per (token, head): combines the partitions that hold part of the
// token's context (the others were never written) and normalizes.
template <int kDv>
__global__ void __launch_bounds__(kMergeWarps* kWarpSize) MergePartitionsKernel(const MergeArgs a) {
  WaitForPredecessors();
  constexpr int kPerLane = kDv / kWarpSize;
  static_assert(kDv % kWarpSize == 0, "v_head_dim in whole warps");
  const int64_t row = int64_t{blockIdx.x} * kMergeWarps + threadIdx.x / kWarpSize;
  if (row >= a.rows) return;
  const int lane = threadIdx.x % kWarpSize;
  const int32_t ctx = max(a.context_len[row / a.num_heads], 0);
  const int32_t used = min(
      a.partitions, static_cast<int32_t>((int64_t{ctx} + a.partition_size - 1) / a.partition_size));
  const float* ml = a.partial_ml + row * a.partitions * 2;
  const float* po = a.partial_o + row * a.partitions * kDv;
  float max_all = -INFINITY;
  for (int p = lane; p < used; p += kWarpSize) max_all = fmaxf(max_all, ml[2 * p]);
  max_all = WarpMax(max_all);
  const float reference = max_all == -INFINITY ? 0.0f : max_all;
  float sum = 0.0f;
  float o[kPerLane];
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) o[i] = 0.0f;
  for (int p = 0; p < used; ++p) {
    const float f = FastExp2(ml[2 * p] - reference);
    sum += ml[2 * p + 1] * f;
#pragma unroll
    for (int i = 0; i < kPerLane; ++i) o[i] += po[int64_t{p} * kDv + i * kWarpSize + lane] * f;
  }
  const float inv = sum > 0.0f ? 1.0f / sum : 0.0f;
#pragma unroll
  for (int i = 0; i < kPerLane; ++i) {
    a.out[row * kDv + i * kWarpSize + lane] = __float2bfloat16_rn(o[i] * inv);
  }
}

struct WriteKvArgs {
  const __nv_bfloat16* k_new = nullptr;
  int64_t k_token_stride = 0;
  const __nv_bfloat16* v_new = nullptr;  // null: K only
  int64_t v_token_stride = 0;
  const int64_t* slots = nullptr;
  int64_t tokens = 0;
  __nv_bfloat16* k = nullptr;
  __nv_bfloat16* v = nullptr;
  int64_t k_slot_stride = 0;
  int64_t k_head_stride = 0;
  int64_t v_slot_stride = 0;
  int64_t v_head_stride = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
  int32_t v_head_dim = 0;
};

// Grid-stride over (token, kv head, piece of kVec elements), K pieces then V
// pieces of each head. kVec = 8: 16-byte copies (everything 16-byte
// aligned); kVec = 1: element copies. Negative slots are skipped.
template <int kVec>
__global__ void WriteKvKernel(const WriteKvArgs a) {
  WaitForPredecessors();
  using Piece = std::conditional_t<kVec == 8, uint4, __nv_bfloat16>;
  const int64_t k_pieces = a.head_dim / kVec;
  const int64_t v_pieces = a.v_new != nullptr ? a.v_head_dim / kVec : 0;
  const int64_t per_head = k_pieces + v_pieces;
  const int64_t per_token = per_head * a.num_kv_heads;
  const int64_t total = per_token * a.tokens;
  for (int64_t i = int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t token = i / per_token;
    const int64_t rest = i % per_token;
    const int64_t h = rest / per_head;
    const int64_t piece = rest % per_head;
    const int64_t slot = a.slots[token];
    if (slot < 0) continue;
    const __nv_bfloat16* src;
    __nv_bfloat16* dst;
    if (piece < k_pieces) {
      src = a.k_new + token * a.k_token_stride + h * a.head_dim + piece * kVec;
      dst = a.k + slot * a.k_slot_stride + h * a.k_head_stride + piece * kVec;
    } else {
      const int64_t vp = piece - k_pieces;
      src = a.v_new + token * a.v_token_stride + h * a.v_head_dim + vp * kVec;
      dst = a.v + slot * a.v_slot_stride + h * a.v_head_stride + vp * kVec;
    }
    *reinterpret_cast<Piece*>(dst) = *reinterpret_cast<const Piece*>(src);
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_PAGED_ATTENTION_CUH_
