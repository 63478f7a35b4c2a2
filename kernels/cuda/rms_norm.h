// RMSNorm on the GPU: the decoder's pre-norms fused with the residual add,
// and an in-place norm over strided bf16 rows (Qwen3's per-head q/k norms,
// MLA's latent and q_a norms). Float32 statistics, as transformers.
#ifndef WEFT_KERNELS_CUDA_RMS_NORM_H_
#define WEFT_KERNELS_CUDA_RMS_NORM_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct AddRmsNormParams {
  float* residual = nullptr;              // [rows, dim], float32, updated in place when add != null
  const float* add = nullptr;             // [rows, dim] or null: residual += add first
  const __nv_bfloat16* weight = nullptr;  // [dim]
  __nv_bfloat16* out = nullptr;           // [rows, dim]
  int64_t rows = 0;
  int32_t dim = 0;
  float eps = 1e-6f;
  // Optional (both or neither): the normalized row also quantized to INT8
  // for the W8A8 GEMMs that read it, per token (quantize.h's rule, applied
  // to the float32 products before their bf16 rounding): q [rows, dim],
  // q_scales [rows].
  int8_t* q = nullptr;
  float* q_scales = nullptr;
};

// residual += add (if any); out = bf16(residual * rsqrt(mean(residual^2) + eps)
// * weight), the product taken in float32. rows == 0 is a no-op. add, if
// any, must not overlap residual. cudaErrorInvalidValue for null pointers
// or only one of q and q_scales.
cudaError_t LaunchAddRmsNorm(const AddRmsNormParams& params, cudaStream_t stream);

struct RmsNormBf16Params {
  __nv_bfloat16* x = nullptr;  // normalized in place
  int64_t tokens = 0;
  int32_t heads = 1;                      // consecutive rows of `dim` per token
  int64_t token_stride = 0;               // elements from one token's first row to the next
  int32_t dim = 0;                        // elements per row (heads are `dim` apart)
  const __nv_bfloat16* weight = nullptr;  // [dim]
  float eps = 1e-6f;
};

// Each of the tokens x heads rows of `dim` elements at
// x + t * token_stride + h * dim is replaced by its RMSNorm times weight
// (statistics and product in float32, rounded to bf16 once).
cudaError_t LaunchRmsNormBf16(const RmsNormBf16Params& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_RMS_NORM_H_
