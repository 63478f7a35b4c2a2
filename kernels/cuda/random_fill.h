// Fills GPU buffers with seeded pseudo-random values (or a constant), for
// dummy-weights models of real shapes: tens of GB initialized in seconds on
// the GPU instead of minutes on the host.
#ifndef WEFT_KERNELS_CUDA_RANDOM_FILL_H_
#define WEFT_KERNELS_CUDA_RANDOM_FILL_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct RandomFillParams {
  // Exactly one of the two outputs is set.
  __nv_bfloat16* out_bf16 = nullptr;
  float* out_f32 = nullptr;
  int64_t count = 0;
  uint64_t seed = 0;
  // Values uniform in [-sqrt(3) * stddev, sqrt(3) * stddev] (mean 0, the
  // given standard deviation) when stddev > 0; else all equal `constant`.
  float stddev = 0.0f;
  float constant = 0.0f;
};

// Element i depends only on (seed, i): deterministic across launches.
cudaError_t LaunchRandomFill(const RandomFillParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_RANDOM_FILL_H_
