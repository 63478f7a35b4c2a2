#include <algorithm>

#include "kernels/cuda/vector_add.cuh"
#include "kernels/cuda/vector_add.h"

namespace weft::kernels {

cudaError_t LaunchVectorAdd(const VectorAddParams& params, cudaStream_t stream) {
  if (params.n < 0) return cudaErrorInvalidValue;
  if (params.n == 0) return cudaSuccess;
  if (params.a == nullptr || params.b == nullptr || params.out == nullptr) {
    return cudaErrorInvalidValue;
  }
  int device = 0;
  int sms = 0;
  if (cudaError_t e = cudaGetDevice(&device); e != cudaSuccess) return e;
  if (cudaError_t e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
      e != cudaSuccess) {
    return e;
  }
  constexpr int kThreads = 256;
  constexpr int kBlocksPerSm = 32;  // enough resident warps to saturate HBM
  const int64_t blocks_needed = (params.n + kThreads - 1) / kThreads;
  const int blocks =
      static_cast<int>(std::min<int64_t>(blocks_needed, int64_t{sms} * kBlocksPerSm));
  device::VectorAddKernel<<<blocks, kThreads, 0, stream>>>(params.a, params.b, params.out,
                                                           params.n);
  return cudaGetLastError();
}

}  // namespace weft::kernels
