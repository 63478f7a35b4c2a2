// The projections of the CUDA backend's layers, in either weight precision:
// bf16 weights run on cuBLAS, except decode-sized projections into the
// residual (weft's split-K kernels, grouped_gemm.h dense mode); INT8 W8A8
// weights on weft's INT8 kernels with the activations' per-token INT8 copy
// and the per-token x per-channel dequantization in the epilogue. A layer
// reads its input as CudaActivations: the bf16 rows, plus their INT8
// quantization when the decoder made one (fused into its RMSNorm) or the
// layer quantized them itself (QuantizeRows).
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_LINEAR_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_LINEAR_H_

#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "common/engine/cuda/cuda_layers.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/cuda/device_linear_weight.h"
#include "kernels/cuda/grouped_gemm.h"

namespace weft::engine::gpu {

// Where a projection's [rows, n] result goes: written as bf16, or added to
// float32 rows (the residual stream).
struct LinearOutput {
  __nv_bfloat16* bf16 = nullptr;
  float* accumulate = nullptr;
};

// The operands of weft's GEMM kernels for `rows` rows of x times w, whose
// rows are `groups` stacked [n, k] matrices (1: a dense projection; a
// layer's experts, then the caller sets the expert offsets): w's precision
// picks the bf16 or the INT8 operands (x.q, scales).
kernels::gpu::GroupedGemmParams LinearGemmParams(const DeviceLinearWeight& w, int32_t groups,
                                                 const CudaActivations& x, int64_t rows);

// out = x W^T (+ bias, bf16 [n], or an empty buffer), for `rows` rows of x
// (rows k = w.k apart). INT8 weights need x.q; InvalidArgument otherwise,
// Internal when the GEMM fails to launch.
absl::Status RunLinear(const CudaStep& step, const CudaActivations& x, int64_t rows,
                       const DeviceLinearWeight& w, const DeviceBuffer& bias, LinearOutput out,
                       const char* what);

// The gated MLP's first projection and activation: w holds 2 * inter rows
// (gate, then up); act [rows, inter] = silu(x gate^T) * (x up^T). INT8:
// one kernel with the activation fused into its epilogue; bf16: cuBLAS
// then the activation kernel (scratch: GatedUpScratchBytes).
absl::Status RunGatedUp(const CudaStep& step, const CudaActivations& x, int64_t rows,
                        const DeviceLinearWeight& w, __nv_bfloat16* act);
size_t GatedUpScratchBytes(int64_t rows, const DeviceLinearWeight& w);

// x with its INT8 copy taken from the scratch arena when `int8` (the input
// of an INT8 projection whose producer did not quantize it): [rows, cols]
// bf16 rows quantized per token. Without `int8`, just x.
absl::StatusOr<CudaActivations> QuantizeRows(const CudaStep& step, const __nv_bfloat16* x,
                                             int64_t rows, int64_t cols, bool int8);
size_t QuantizeScratchBytes(int64_t rows, int64_t cols, bool int8);

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_LINEAR_H_
