#include "common/engine/cuda/cuda_status.h"

#include "absl/strings/str_cat.h"
#include "kernels/cuda/cublas_library.h"

namespace weft::engine::gpu {

absl::Status CudaStatus(cudaError_t error, absl::string_view what) {
  if (error == cudaSuccess) return absl::OkStatus();
  // The runtime also records a failure as the thread's "last error", which
  // the next kernel launch's cudaGetLastError would report as its own (a
  // failed cudaMalloc would fail the next step). The failure is reported
  // here, so clear it; sticky errors stay in the context regardless.
  (void)cudaGetLastError();
  const std::string message =
      absl::StrCat(what, ": ", cudaGetErrorName(error), " (", cudaGetErrorString(error), ")");
  switch (error) {
    case cudaErrorMemoryAllocation:
      return absl::ResourceExhaustedError(message);
    case cudaErrorInvalidValue:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status CublasStatus(cublasStatus_t status, absl::string_view what) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  const kernels::gpu::CublasLibrary* blas = kernels::gpu::Cublas();
  const std::string message = blas != nullptr
                                  ? absl::StrCat(what, ": ", blas->status_name(status), " (",
                                                 blas->status_string(status), ")")
                                  : absl::StrCat(what, ": cuBLAS status ", static_cast<int>(status),
                                                 " (", kernels::gpu::CublasOpenError(), ")");
  switch (status) {
    case CUBLAS_STATUS_ALLOC_FAILED:
      return absl::ResourceExhaustedError(message);
    case CUBLAS_STATUS_INVALID_VALUE:
      return absl::InvalidArgumentError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace weft::engine::gpu
