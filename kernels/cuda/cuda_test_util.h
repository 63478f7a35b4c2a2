// Assertions for GPU tests: evaluate a CUDA or NCCL call once and fail the
// test with the library's error string.
#ifndef WEFT_KERNELS_CUDA_CUDA_TEST_UTIL_H_
#define WEFT_KERNELS_CUDA_CUDA_TEST_UTIL_H_

#include <cuda_runtime_api.h>

#include "gtest/gtest.h"

#define ASSERT_CUDA_OK(expr)                                  \
  do {                                                        \
    const cudaError_t err_ = (expr);                          \
    ASSERT_EQ(err_, cudaSuccess) << cudaGetErrorString(err_); \
  } while (0)

#endif  // WEFT_KERNELS_CUDA_CUDA_TEST_UTIL_H_
