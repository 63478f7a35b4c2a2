#include "kernels/cuda/batched_gemm.h"

#include <limits>

#include "kernels/cuda/cublas_library.h"

namespace weft::kernels::gpu {

cublasStatus_t LaunchBatchedGemm(cublasHandle_t handle, const BatchedGemmParams& p,
                                 cudaStream_t stream) {
  constexpr int64_t kIntMax = std::numeric_limits<int>::max();
  const int64_t w_row = p.w_rows_are_n ? p.k : p.n;  // elements of one row of w
  if (p.m < 0 || p.batch < 0 || p.n <= 0 || p.k <= 0 || p.m > kIntMax || p.n > kIntMax ||
      p.k > kIntMax || p.batch > kIntMax || p.ldx < p.k || p.ldx > kIntMax || p.ldw < w_row ||
      p.ldw > kIntMax || p.ldy < p.n || p.ldy > kIntMax || p.x_batch_stride < 0 ||
      p.w_batch_stride < 0 || p.y_batch_stride < 0) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (p.m == 0 || p.batch == 0) return CUBLAS_STATUS_SUCCESS;
  if (handle == nullptr || p.x == nullptr || p.w == nullptr || p.y == nullptr) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  const CublasLibrary* blas = nullptr;
  if (const cublasStatus_t s = CublasOnStream(handle, stream, &blas); s != CUBLAS_STATUS_SUCCESS) {
    return s;
  }
  // Column-major, row-major y [m, n] is y^T [n, m] (ld ldy) and x is x^T
  // [k, m] (ld ldx), so y^T = A x^T with A = op(w's column-major view):
  // w [n, k] row-major is W^T [k, n] in column-major (A = its transpose);
  // w [k, n] row-major is [n, k] in column-major (A as it is).
  const cublasOperation_t op_w = p.w_rows_are_n ? CUBLAS_OP_T : CUBLAS_OP_N;
  const float alpha = 1.0f;
  const float beta = 0.0f;
  return blas->gemm_strided_batched_ex(
      handle, op_w, CUBLAS_OP_N, static_cast<int>(p.n), static_cast<int>(p.m),
      static_cast<int>(p.k), &alpha, p.w, CUDA_R_16BF, static_cast<int>(p.ldw), p.w_batch_stride,
      p.x, CUDA_R_16BF, static_cast<int>(p.ldx), p.x_batch_stride, &beta, p.y, CUDA_R_16BF,
      static_cast<int>(p.ldy), p.y_batch_stride, static_cast<int>(p.batch), CUBLAS_COMPUTE_32F,
      CUBLAS_GEMM_DEFAULT);
}

}  // namespace weft::kernels::gpu
