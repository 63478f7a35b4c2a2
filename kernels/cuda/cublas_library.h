// cuBLAS opened at run time (dlopen) instead of linked. Linked, its libraries
// are loaded at start-up and glibc sets aside their thread-local storage
// (about 110 KiB, most of it cuBLASLt's) at the top of every thread's stack;
// a thread created with a smaller stack then fails to start, and civetweb,
// the HTTP server of the metrics endpoint, starts its threads with 100 KiB
// stacks (measured: "Cannot create threads" in weft-prefill-cuda on the GPU
// machine). Opened later, that storage is allocated per thread on use.
#ifndef WEFT_KERNELS_CUDA_CUBLAS_LIBRARY_H_
#define WEFT_KERNELS_CUDA_CUBLAS_LIBRARY_H_

#include <cublas_v2.h>

#include <string>

namespace weft::kernels::gpu {

// The cuBLAS functions weft calls.
struct CublasLibrary {
  decltype(&cublasCreate) create = nullptr;
  decltype(&cublasDestroy) destroy = nullptr;
  decltype(&cublasSetStream) set_stream = nullptr;
  decltype(&cublasGetStream) get_stream = nullptr;
  decltype(&cublasSetWorkspace) set_workspace = nullptr;
  // The C entry point (C++ sees a second, inline overload taking a
  // cudaDataType compute type).
  cublasStatus_t (*gemm_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t, int, int, int,
                            const void*, const void*, cudaDataType, int, const void*, cudaDataType,
                            int, const void*, void*, cudaDataType, int, cublasComputeType_t,
                            cublasGemmAlgo_t) = nullptr;
  cublasStatus_t (*gemm_strided_batched_ex)(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                                            int, int, int, const void*, const void*, cudaDataType,
                                            int, long long, const void*, cudaDataType, int,
                                            long long, const void*, void*, cudaDataType, int,
                                            long long, int, cublasComputeType_t,
                                            cublasGemmAlgo_t) = nullptr;
  decltype(&cublasGetStatusName) status_name = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

// libcublas.so.<the major version compiled against>, opened on the first
// call (thread-safe) from the loader's search path (LD_LIBRARY_PATH, then
// the system's). Null if it cannot be opened or lacks one of the functions;
// CublasOpenError() then says which and why.
const CublasLibrary* Cublas();
const std::string& CublasOpenError();

// The library, for a call on `handle` enqueued on `stream`: *blas is set
// and `handle` bound to `stream` unless it is bound to it already.
// cublasSetStream resets the handle's workspace to cuBLAS's default pool,
// so a handle given its own workspace (cublasSetWorkspace, after binding
// its stream) keeps it only if the stream is not set again on every call.
// CUBLAS_STATUS_NOT_INITIALIZED if cuBLAS cannot be opened.
cublasStatus_t CublasOnStream(cublasHandle_t handle, cudaStream_t stream,
                              const CublasLibrary** blas);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_CUBLAS_LIBRARY_H_
