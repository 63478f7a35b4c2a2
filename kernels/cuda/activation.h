// SiLU-and-multiply on the GPU (the gated MLP's activation).
#ifndef WEFT_KERNELS_CUDA_ACTIVATION_H_
#define WEFT_KERNELS_CUDA_ACTIVATION_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct SiluAndMulParams {
  const __nv_bfloat16* gate_up = nullptr;  // [rows, 2 * inter]: gate, then up
  __nv_bfloat16* out = nullptr;            // [rows, inter]
  int64_t rows = 0;
  int32_t inter = 0;
};

// out = silu(gate) * up, computed in float32, rounded once.
cudaError_t LaunchSiluAndMul(const SiluAndMulParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_ACTIVATION_H_
