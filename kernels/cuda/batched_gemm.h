// Batches of small bf16 GEMMs through cuBLAS's strided-batched GEMM: one
// launch for y[b] = x[b] op(W[b]) over b < batch, every operand addressed
// by its base, leading dimension and batch stride (elements), row-major as
// the rest of weft. MLA's per-head absorption (q_nope W_UK[h]) and expansion
// (latent W_UV[h]^T) are such batches over the heads, read straight out of
// the interleaved [tokens, heads, dim] activations and the kv_b_proj weight.
#ifndef WEFT_KERNELS_CUDA_BATCHED_GEMM_H_
#define WEFT_KERNELS_CUDA_BATCHED_GEMM_H_

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct BatchedGemmParams {
  const __nv_bfloat16* x = nullptr;  // x[b]: [m, k], rows ldx apart, at x + b * x_batch_stride
  int64_t ldx = 0;
  int64_t x_batch_stride = 0;
  // w[b] at w + b * w_batch_stride: [n, k] rows ldw apart when w_rows_are_n
  // (y = x W^T, a checkpoint's [out, in] layout), else [k, n] (y = x W).
  const __nv_bfloat16* w = nullptr;
  int64_t ldw = 0;
  int64_t w_batch_stride = 0;
  bool w_rows_are_n = true;
  __nv_bfloat16* y = nullptr;  // y[b]: [m, n], rows ldy apart, at y + b * y_batch_stride
  int64_t ldy = 0;
  int64_t y_batch_stride = 0;
  int64_t m = 0;
  int64_t n = 0;
  int64_t k = 0;
  int64_t batch = 0;
};

// Enqueues the batch on `stream` (the handle is bound to it unless it is
// already, as LaunchGemm),
// float32 accumulation, bf16 output. m == 0 or batch == 0 is a no-op.
// CUBLAS_STATUS_INVALID_VALUE for inconsistent sizes (negative m or batch,
// n or k <= 0, a leading dimension below its row length, any size above
// INT_MAX, a negative batch stride) or null pointers;
// CUBLAS_STATUS_NOT_INITIALIZED if cuBLAS cannot be opened. The y matrices
// must not overlap each other, x or w.
cublasStatus_t LaunchBatchedGemm(cublasHandle_t handle, const BatchedGemmParams& params,
                                 cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_BATCHED_GEMM_H_
