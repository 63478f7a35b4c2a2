// Device code of the vector add (see vector_add.h for the host contract).
#ifndef WEFT_KERNELS_CUDA_VECTOR_ADD_CUH_
#define WEFT_KERNELS_CUDA_VECTOR_ADD_CUH_

#include <cstdint>

namespace weft::kernels::device {

// Grid-stride loop, so any grid size covers any n. No __restrict__: `out`
// may alias `a` or `b` (vector_add.h).
__global__ void VectorAddKernel(const float* a, const float* b, float* out, int64_t n) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += stride) {
    out[i] = a[i] + b[i];
  }
}

}  // namespace weft::kernels::device

#endif  // WEFT_KERNELS_CUDA_VECTOR_ADD_CUH_
