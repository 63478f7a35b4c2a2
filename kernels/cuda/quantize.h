// Per-token INT8 quantization of activations on the GPU (the A side of the
// W8A8 GEMMs in grouped_gemm.h): symmetric and dynamic, each row with its
// own scale = max|x| / 127 (1 for an all-zero row), q = round-half-even(x /
// scale) clamped to [-127, 127] — the same rule as the CPU's
// QuantizeActivationsPerToken (kernels/cpu/int8_linear.h), bit for bit on the
// same float values.
#ifndef WEFT_KERNELS_CUDA_QUANTIZE_H_
#define WEFT_KERNELS_CUDA_QUANTIZE_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct QuantizeParams {
  const __nv_bfloat16* x = nullptr;  // row r at x + r * ldx
  int64_t ldx = 0;
  int64_t rows = 0;
  int32_t cols = 0;
  int8_t* q = nullptr;  // row r at q + r * ldq
  int64_t ldq = 0;
  float* scales = nullptr;  // [rows]
};

// cols >= 1, ldx and ldq >= cols; cudaErrorInvalidValue otherwise. rows 0
// is a no-op. Does not synchronize.
cudaError_t LaunchQuantizePerToken(const QuantizeParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_QUANTIZE_H_
