// Dense bf16 GEMMs on the GPU through cuBLAS (the measured-fastest choice
// for the dense projections until our own kernels beat it): y = x W^T with
// W stored [n, k] row-major as in checkpoints, float32 accumulation, output
// in bf16 or float32, optionally accumulated into y (beta = 1: the residual
// add of o_proj and down_proj fused into the GEMM).
#ifndef WEFT_KERNELS_CUDA_GEMM_H_
#define WEFT_KERNELS_CUDA_GEMM_H_

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

enum class GemmOutput { kBf16, kFloat32 };

struct GemmParams {
  const __nv_bfloat16* x = nullptr;  // [m, k], rows ldx apart (ldx >= k)
  int64_t ldx = 0;
  const __nv_bfloat16* w = nullptr;  // [n, k] row-major
  void* y = nullptr;                 // [m, n], rows ldy apart (ldy >= n)
  int64_t ldy = 0;
  GemmOutput output = GemmOutput::kBf16;
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  float beta = 0.0f;                    // y = x W^T + beta * y (beta != 0 only for float32 output)
  const __nv_bfloat16* bias = nullptr;  // [n] or null: added to every row
};

// Enqueues the GEMM on `stream` (the handle is bound to it unless it is
// already: CublasOnStream keeps a workspace given to a bound handle).
// m == 0 is a no-op. Returns CUBLAS_STATUS_INVALID_VALUE for inconsistent
// sizes (m < 0, n or k <= 0, ldx < k, ldy < n, any of them above INT_MAX,
// beta != 0 with a bf16 output) or null pointers; a failed bias launch is
// CUBLAS_STATUS_EXECUTION_FAILED; CUBLAS_STATUS_NOT_INITIALIZED if cuBLAS
// cannot be opened (cublas_library.h). y must not overlap x or w. With a bias
// and a bf16 output, the product is rounded to bf16 before the bias add.
cublasStatus_t LaunchGemm(cublasHandle_t handle, const GemmParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_GEMM_H_
