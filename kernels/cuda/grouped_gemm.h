// Grouped expert GEMMs on the GPU (bf16 tensor cores, float32 accumulation):
// for every expert e, the rows [off[e], off[e+1]) of the grouped batch times
// expert e's weight. Group sizes are read on the device (from
// LaunchMoePermute), so no host synchronization happens inside a step. The
// first GEMM of an expert MLP fuses SiLU-and-multiply into its epilogue.
// Operands are bf16, or int8 (W8A8: symmetric per-row activation scales and
// per-output-channel weight scales applied in the epilogue, int32
// accumulation). Without expert offsets it is a dense GEMM of max_rows rows
// (decode-sized: the mma.sync kernels stream the weights once).
#ifndef WEFT_KERNELS_CUDA_GROUPED_GEMM_H_
#define WEFT_KERNELS_CUDA_GROUPED_GEMM_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

// Which kernel runs. kAuto picks by shape (grouped_gemm.cu); tests and
// benchmarks pin the others to check and compare them. kMmaSync: mma.sync
// kernels with the m tile chosen by max_rows / num_experts; kWgmma: the
// sm_90a wgmma kernel with 128 x 256 tiles (for prefill-sized groups).
// kAuto runs INT8 groups of up to 8 rows (on average) on a dp4a GEMV
// kernel (int8_gemv.cuh).
enum class GroupedGemmPath { kAuto, kMmaSync, kWgmma };

// Element type of x and w. kInt8 runs on the mma.sync kernels only.
enum class GemmOperands { kBf16, kInt8 };

struct GroupedGemmParams {
  // A: grouped row r reads x + (a_rows ? a_rows[r] : r) * lda, k elements.
  const void* x = nullptr;
  int64_t lda = 0;
  const int32_t* a_rows = nullptr;  // [total_rows] device, or null
  // Weights: [num_experts, n, k] row-major (expert e at w + e * n * k).
  const void* w = nullptr;
  // [num_experts + 1], device; null: one group of max_rows rows (dense,
  // num_experts 1).
  const int32_t* expert_offsets = nullptr;
  int32_t num_experts = 0;
  int64_t max_rows = 0;  // host upper bound of off[num_experts] (tokens * top_k)
  int32_t n = 0;
  int32_t k = 0;
  // false: out[r] = x_r W_e^T, [rows, n].
  // true: n = 2 * inter with gate rows then up rows; out[r] = silu(gate) * up,
  // [rows, inter] (the gated MLP's first GEMM and activation in one kernel).
  bool silu_and_mul = false;
  __nv_bfloat16* out = nullptr;  // row r at out + r * (silu_and_mul ? n / 2 : n)
  GroupedGemmPath path = GroupedGemmPath::kAuto;
  GemmOperands operands = GemmOperands::kBf16;
  // kInt8: result = acc * x_scales[x row] * w_scales[e * n + weight row]
  // (x row as read: a_rows[r] or r). Float32, device.
  const float* x_scales = nullptr;
  const float* w_scales = nullptr;
  // Optional, not with silu_and_mul: bf16 [n] added to the result; and
  // out_f32 (8-byte aligned): the result is added to out_f32[r * n + col]
  // instead of written to `out` (a residual stream). Both run on the
  // mma.sync kernels.
  const __nv_bfloat16* bias = nullptr;
  float* out_f32 = nullptr;
};

// k and lda must make 16-byte rows (multiples of 8 bf16 or 16 int8
// elements), lda >= k; n a multiple of 2 (of 2 * 8 with silu_and_mul); x
// and w 16-byte aligned, out 4-byte aligned; num_experts >= 1 (1 when
// dense). cudaErrorInvalidValue otherwise. Rows past max_rows (a broken bound) are not computed.
// max_rows == 0 is a no-op. Does not synchronize.
cudaError_t LaunchGroupedGemm(const GroupedGemmParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_GROUPED_GEMM_H_
