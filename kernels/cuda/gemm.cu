#include <cublas_v2.h>
#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cuda/cublas_library.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu {
namespace device {

// y[r, c] += bias[c] over the m x n output (rows ldy apart): x of the grid
// strides over columns, y over rows, so each thread loads its bias value
// once. A bf16 output is widened, added in float32 and rounded again.
template <typename T>
__global__ void AddBiasKernel(T* __restrict__ y, int64_t ldy, int64_t m, int64_t n,
                              const __nv_bfloat16* __restrict__ bias) {
  WaitForPredecessors();
  for (int64_t c = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; c < n;
       c += int64_t{gridDim.x} * blockDim.x) {
    const float b = __bfloat162float(bias[c]);
    for (int64_t r = blockIdx.y; r < m; r += gridDim.y) {
      T* out = y + r * ldy + c;
      if constexpr (sizeof(T) == sizeof(float)) {
        *out += b;
      } else {
        *out = __float2bfloat16_rn(__bfloat162float(*out) + b);
      }
    }
  }
}

}  // namespace device

namespace {

constexpr int kBiasThreads = 256;
constexpr int64_t kBiasMaxColumnBlocks = 64;
// Bias blocks in all: a few waves over an H200's 132 SMs.
constexpr int64_t kBiasMaxBlocks = 132 * 8;
constexpr int64_t kIntMax = std::numeric_limits<int>::max();

template <typename T>
cublasStatus_t AddBias(T* y, const GemmParams& p, cudaStream_t stream) {
  const int64_t column_blocks =
      std::min<int64_t>((p.n + kBiasThreads - 1) / kBiasThreads, kBiasMaxColumnBlocks);
  const int64_t row_blocks =
      std::clamp<int64_t>(kBiasMaxBlocks / column_blocks, 1, std::min<int64_t>(p.m, 65535));
  const dim3 grid(static_cast<unsigned>(column_blocks), static_cast<unsigned>(row_blocks));
  const cudaError_t e = LaunchKernel(device::AddBiasKernel<T>, grid, kBiasThreads, 0, stream, y,
                                     p.ldy, p.m, p.n, p.bias);
  return e == cudaSuccess ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}

}  // namespace

cublasStatus_t LaunchGemm(cublasHandle_t handle, const GemmParams& p, cudaStream_t stream) {
  // cuBLAS takes int sizes and leading dimensions.
  if (p.m < 0 || p.n <= 0 || p.k <= 0 || p.m > kIntMax || p.n > kIntMax || p.k > kIntMax ||
      p.ldx < p.k || p.ldx > kIntMax || p.ldy < p.n || p.ldy > kIntMax ||
      (p.output != GemmOutput::kBf16 && p.output != GemmOutput::kFloat32) ||
      (p.beta != 0.0f && p.output != GemmOutput::kFloat32)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (p.m == 0) return CUBLAS_STATUS_SUCCESS;
  if (handle == nullptr || p.x == nullptr || p.w == nullptr || p.y == nullptr) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  const CublasLibrary* blas = nullptr;
  if (const cublasStatus_t s = CublasOnStream(handle, stream, &blas); s != CUBLAS_STATUS_SUCCESS) {
    return s;
  }
  // cuBLAS is column-major. Row-major y [m, n] (rows ldy apart) is the
  // column-major y^T [n, m] with leading dimension ldy; likewise x is x^T
  // [k, m] (ldx) and W [n, k] row-major is W^T [k, n] (ld k). So
  // y^T = op(W^T) x^T with op = transpose: C = A^T B, A = W^T, B = x^T.
  const float alpha = 1.0f;
  const float beta = p.beta;
  const cudaDataType_t out_type = p.output == GemmOutput::kFloat32 ? CUDA_R_32F : CUDA_R_16BF;
  const cublasStatus_t s =
      blas->gemm_ex(handle, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(p.n), static_cast<int>(p.m),
                    static_cast<int>(p.k), &alpha, p.w, CUDA_R_16BF, static_cast<int>(p.k), p.x,
                    CUDA_R_16BF, static_cast<int>(p.ldx), &beta, p.y, out_type,
                    static_cast<int>(p.ldy), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
  if (s != CUBLAS_STATUS_SUCCESS || p.bias == nullptr) return s;
  if (p.output == GemmOutput::kFloat32) return AddBias(static_cast<float*>(p.y), p, stream);
  return AddBias(static_cast<__nv_bfloat16*>(p.y), p, stream);
}

}  // namespace weft::kernels::gpu
