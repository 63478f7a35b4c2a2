// Device code of the INT8 W8A8 GEMV path of grouped_gemm.h: groups of at
// most 8 rows (batch-1..8 decode projections, a decode step's experts),
// where the mma.sync kernels' 16-row tensor-core tiles waste their work and
// their tile pipeline caps the bytes in flight. Each block stages its (up
// to 8) activation rows in shared memory, then each warp streams 4 weight
// rows with 16-byte loads (two chunks per lane in flight per row) and
// accumulates dp4a dot products against every staged row; a warp reduction
// and the same epilogue rules as the mma.sync kernels (per-row x
// per-channel dequantization, bias, float32 accumulate or bf16 out, SiLU-
// and-multiply) finish. No tensor cores: at these sizes the weights'
// bandwidth is the whole cost.
//
// Grid (grouped_gemm.cu): m slots of kGemvRows rows (as FindGroupTile
// enumerates them) x n tiles of kGemvBlockCols output columns: 32 weight
// rows, or with SiLU 16 gate and the 16 matching up rows.
#ifndef WEFT_KERNELS_CUDA_INT8_GEMV_CUH_
#define WEFT_KERNELS_CUDA_INT8_GEMV_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/grouped_gemm.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

constexpr int kGemvRows = 8;
constexpr int kGemvThreads = 256;
constexpr int kGemvWarpRows = 4;  // weight rows per warp
constexpr int kGemvBlockWeightRows = kGemvWarpRows * kGemvThreads / kWarpSize;  // 32

__device__ __forceinline__ void Dp4a16(int32_t& acc, const uint4& w, const uint4& x) {
  acc = __dp4a(static_cast<int>(w.x), static_cast<int>(x.x), acc);
  acc = __dp4a(static_cast<int>(w.y), static_cast<int>(x.y), acc);
  acc = __dp4a(static_cast<int>(w.z), static_cast<int>(x.z), acc);
  acc = __dp4a(static_cast<int>(w.w), static_cast<int>(x.w), acc);
}

template <bool kSilu>
__global__ void __launch_bounds__(kGemvThreads) Int8GemvKernel(const GroupedGemmArgs p) {
  WaitForPredecessors();
  extern __shared__ uint4 x_smem[];  // [kGemvRows][k / 16]
  const int64_t slot = blockIdx.x / p.n_tiles;
  const int n_tile = static_cast<int>(blockIdx.x % p.n_tiles);
  int32_t expert, row_begin, rows;
  if (!FindGroupTile<kGemvRows, kGemvThreads>(p, slot, expert, row_begin, rows)) return;
  const int chunks = p.k / 16;
  auto x_row = [&](int r) -> int64_t {
    return p.a_rows != nullptr ? p.a_rows[row_begin + r] : row_begin + r;
  };
  for (int i = static_cast<int>(threadIdx.x); i < rows * chunks; i += kGemvThreads) {
    const int r = i / chunks, c = i % chunks;
    const auto* src =
        reinterpret_cast<const uint4*>(static_cast<const int8_t*>(p.x) + x_row(r) * p.lda);
    x_smem[r * chunks + c] = src[c];
  }
  __syncthreads();

  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  // The warp's weight rows: 4 consecutive rows, or (SiLU) the gate and up
  // rows of 2 consecutive output columns.
  int w_rows[kGemvWarpRows];
  bool ok[kGemvWarpRows];
#pragma unroll
  for (int i = 0; i < kGemvWarpRows; ++i) {
    if constexpr (kSilu) {
      const int col = n_tile * (kGemvBlockWeightRows / 2) + warp * 2 + i % 2;
      ok[i] = col < p.out_cols;
      w_rows[i] = i < 2 ? col : p.out_cols + col;
    } else {
      w_rows[i] = n_tile * kGemvBlockWeightRows + warp * kGemvWarpRows + i;
      ok[i] = w_rows[i] < p.n;
    }
  }
  const auto* w_expert = static_cast<const int8_t*>(p.w) + static_cast<int64_t>(expert) * p.n * p.k;
  const uint4* w_src[kGemvWarpRows];
#pragma unroll
  for (int i = 0; i < kGemvWarpRows; ++i) {
    w_src[i] = reinterpret_cast<const uint4*>(w_expert + int64_t{ok[i] ? w_rows[i] : 0} * p.k);
  }

  int32_t acc[kGemvWarpRows][kGemvRows] = {};
  auto consume = [&](const uint4(&w)[kGemvWarpRows], int c) {
#pragma unroll
    for (int r = 0; r < kGemvRows; ++r) {
      if (r < rows) {
        const uint4 x = x_smem[r * chunks + c];
#pragma unroll
        for (int i = 0; i < kGemvWarpRows; ++i) Dp4a16(acc[i][r], w[i], x);
      }
    }
  };
  const uint4 zero = make_uint4(0, 0, 0, 0);
  int c = lane;
  // Two chunks of every row in flight per lane.
  for (; c + kWarpSize < chunks; c += 2 * kWarpSize) {
    uint4 w0[kGemvWarpRows], w1[kGemvWarpRows];
#pragma unroll
    for (int i = 0; i < kGemvWarpRows; ++i) {
      w0[i] = ok[i] ? __ldg(w_src[i] + c) : zero;
      w1[i] = ok[i] ? __ldg(w_src[i] + c + kWarpSize) : zero;
    }
    consume(w0, c);
    consume(w1, c + kWarpSize);
  }
  if (c < chunks) {
    uint4 w0[kGemvWarpRows];
#pragma unroll
    for (int i = 0; i < kGemvWarpRows; ++i) w0[i] = ok[i] ? __ldg(w_src[i] + c) : zero;
    consume(w0, c);
  }
#pragma unroll
  for (int i = 0; i < kGemvWarpRows; ++i)
#pragma unroll
    for (int r = 0; r < kGemvRows; ++r)
#pragma unroll
      for (int o = kWarpSize / 2; o > 0; o /= 2)
        acc[i][r] += __shfl_xor_sync(0xffffffffu, acc[i][r], o);

  // Epilogue: lane (i, r) = (lane / 8, lane % 8) writes weight row i's
  // result for staged row r (with SiLU, lanes i = 0, 1 pair gate i with up
  // i + 2).
  const int i = lane / kGemvRows, r = lane % kGemvRows;
  if (r >= rows || !ok[i] || (kSilu && i >= 2)) return;
  int32_t a = 0, up = 0;
#pragma unroll
  for (int ii = 0; ii < kGemvWarpRows; ++ii) {
#pragma unroll
    for (int rr = 0; rr < kGemvRows; ++rr) {
      if (ii == i && rr == r) a = acc[ii][rr];
      if (kSilu && ii == i + 2 && rr == r) up = acc[ii][rr];
    }
  }
  const int64_t row = row_begin + r;
  const float x_scale = p.x_scales[x_row(r)];
  const float* w_scales = p.w_scales + static_cast<int64_t>(expert) * p.n;
  if constexpr (kSilu) {
    const int col = w_rows[i];
    const float g = static_cast<float>(a) * x_scale * w_scales[col];
    const float u = static_cast<float>(up) * x_scale * w_scales[p.out_cols + col];
    p.out[row * p.out_cols + col] = __float2bfloat16_rn(SiluF(g) * u);
  } else {
    const int col = w_rows[i];
    float v = static_cast<float>(a) * x_scale * w_scales[col];
    if (p.bias != nullptr) v += __bfloat162float(p.bias[col]);
    if (p.out_f32 != nullptr) {
      p.out_f32[row * p.out_cols + col] += v;
    } else {
      p.out[row * p.out_cols + col] = __float2bfloat16_rn(v);
    }
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_INT8_GEMV_CUH_
