// CUDA and cuBLAS results as absl::Status: the engine's boundary between the
// kernels' raw status codes and the rest of weft.
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_STATUS_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_STATUS_H_

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::engine::gpu {

// OK for cudaSuccess; otherwise Internal (ResourceExhausted for
// cudaErrorMemoryAllocation, InvalidArgument for cudaErrorInvalidValue)
// naming `what` and CUDA's error string.
absl::Status CudaStatus(cudaError_t error, absl::string_view what);
absl::Status CublasStatus(cublasStatus_t status, absl::string_view what);

}  // namespace weft::engine::gpu

// Returns from the enclosing function if the CUDA call fails.
#define WEFT_CUDA_RETURN_IF_ERROR(expr, what)                                             \
  do {                                                                                    \
    if (absl::Status weft_cuda_status_ = ::weft::engine::gpu::CudaStatus((expr), (what)); \
        !weft_cuda_status_.ok()) {                                                        \
      return weft_cuda_status_;                                                           \
    }                                                                                     \
  } while (0)

#define WEFT_CUBLAS_RETURN_IF_ERROR(expr, what)                                             \
  do {                                                                                      \
    if (absl::Status weft_cuda_status_ = ::weft::engine::gpu::CublasStatus((expr), (what)); \
        !weft_cuda_status_.ok()) {                                                          \
      return weft_cuda_status_;                                                             \
    }                                                                                       \
  } while (0)

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_STATUS_H_
