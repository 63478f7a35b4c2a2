// GPU test (tag "gpu"): cuBLAS and cuBLASLt link and run. An SGEMM of odd
// sizes against a double-precision host reference, and a cuBLASLt handle.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "gtest/gtest.h"
#include "kernels/cuda/cuda_test_util.h"

namespace weft {
namespace {

#define ASSERT_CUBLAS_OK(expr)                                                            \
  do {                                                                                    \
    const cublasStatus_t st_ = (expr);                                                    \
    ASSERT_EQ(st_, CUBLAS_STATUS_SUCCESS) << #expr << ": " << cublasGetStatusString(st_); \
  } while (0)

TEST(Cublas, SgemmMatchesHostReference) {
  constexpr int kM = 67, kN = 45, kK = 33;  // column-major C[m,n] = A[m,k] B[k,n]
  std::vector<float> a(kM * kK), b(kK * kN), c(kM * kN, 0.0f);
  for (int i = 0; i < kM * kK; ++i) a[i] = static_cast<float>((i * 37) % 17) / 8.0f - 1.0f;
  for (int i = 0; i < kK * kN; ++i) b[i] = static_cast<float>((i * 53) % 19) / 9.0f - 1.0f;
  float *da, *db, *dc;
  ASSERT_CUDA_OK(cudaMalloc(&da, a.size() * sizeof(float)));
  ASSERT_CUDA_OK(cudaMalloc(&db, b.size() * sizeof(float)));
  ASSERT_CUDA_OK(cudaMalloc(&dc, c.size() * sizeof(float)));
  ASSERT_CUDA_OK(cudaMemcpy(da, a.data(), a.size() * sizeof(float), cudaMemcpyHostToDevice));
  ASSERT_CUDA_OK(cudaMemcpy(db, b.data(), b.size() * sizeof(float), cudaMemcpyHostToDevice));
  cublasHandle_t handle;
  ASSERT_CUBLAS_OK(cublasCreate(&handle));
  // Exact fp32 arithmetic: no TF32 for the comparison.
  ASSERT_CUBLAS_OK(cublasSetMathMode(handle, CUBLAS_PEDANTIC_MATH));
  const float alpha = 1.0f, beta = 0.0f;
  ASSERT_CUBLAS_OK(cublasSgemm(handle, CUBLAS_OP_N, CUBLAS_OP_N, kM, kN, kK, &alpha, da, kM, db, kK,
                               &beta, dc, kM));
  ASSERT_CUDA_OK(cudaMemcpy(c.data(), dc, c.size() * sizeof(float), cudaMemcpyDeviceToHost));
  double err = 0.0, ref_norm = 0.0;
  for (int j = 0; j < kN; ++j) {
    for (int i = 0; i < kM; ++i) {
      double ref = 0.0;
      for (int k = 0; k < kK; ++k) ref += double{a[k * kM + i]} * double{b[j * kK + k]};
      err += (c[j * kM + i] - ref) * (c[j * kM + i] - ref);
      ref_norm += ref * ref;
    }
  }
  EXPECT_LT(std::sqrt(err / ref_norm), 1e-6);
  int version = 0;
  ASSERT_CUBLAS_OK(cublasGetVersion(handle, &version));
  std::printf("cuBLAS %d\n", version);
  ASSERT_CUBLAS_OK(cublasDestroy(handle));
  cudaFree(da);
  cudaFree(db);
  cudaFree(dc);
}

TEST(CublasLt, HandleAndVersion) {
  cublasLtHandle_t lt;
  ASSERT_CUBLAS_OK(cublasLtCreate(&lt));
  std::printf("cuBLASLt %zu\n", cublasLtGetVersion());
  EXPECT_GT(cublasLtGetVersion(), 0u);
  ASSERT_CUBLAS_OK(cublasLtDestroy(lt));
}

}  // namespace
}  // namespace weft
