// Host launcher for the element-wise vector add: the smallest CUDA operator,
// used to prove the CUDA build (nvcc for sm_90a, static runtime) end to end.
#ifndef WEFT_KERNELS_CUDA_VECTOR_ADD_H_
#define WEFT_KERNELS_CUDA_VECTOR_ADD_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels {

struct VectorAddParams {
  const float* a = nullptr;  // device pointer, `n` elements
  const float* b = nullptr;  // device pointer, `n` elements
  float* out = nullptr;      // device pointer, `n` elements; may alias a or b
  int64_t n = 0;
};

// Enqueues out[i] = a[i] + b[i] on `stream`. Returns cudaErrorInvalidValue for
// null pointers or a negative size, otherwise the launch status. n == 0 is a
// no-op. Does not synchronize.
cudaError_t LaunchVectorAdd(const VectorAddParams& params, cudaStream_t stream);

}  // namespace weft::kernels

#endif  // WEFT_KERNELS_CUDA_VECTOR_ADD_H_
