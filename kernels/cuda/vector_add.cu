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
  constexpr int kThreads = 256;
  const int64_t blocks_needed = (params.n + kThreads - 1) / kThreads;
  const int blocks = static_cast<int>(std::min<int64_t>(blocks_needed, 132 * 32));
  device::VectorAddKernel<<<blocks, kThreads, 0, stream>>>(params.a, params.b, params.out,
                                                           params.n);
  return cudaGetLastError();
}

}  // namespace weft::kernels
