// Device code of activation.h: out = silu(gate) * up, as kernels/cpu's
// SiluAndMul: g / (1 + exp(-g)) * u in float32 (expf, IEEE division),
// rounded to bf16 once.
#ifndef WEFT_KERNELS_CUDA_ACTIVATION_CUH_
#define WEFT_KERNELS_CUDA_ACTIVATION_CUH_

#include <cuda_bf16.h>

#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu::device {

__device__ __forceinline__ float SiluMul(float g, float u) { return g / (1.0f + expf(-g)) * u; }

// Grid-stride over rows * (inter / 8) chunks of 8 outputs: 16-byte loads
// of gate and up, a 16-byte store. Requires inter % 8 == 0 and 16-byte
// aligned gate_up and out.
__global__ void SiluAndMulVec8Kernel(const __nv_bfloat16* __restrict__ gate_up,
                                     __nv_bfloat16* __restrict__ out, int64_t rows, int32_t inter) {
  WaitForPredecessors();
  const int32_t chunks_per_row = inter / 8;
  const int64_t total = rows * chunks_per_row;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / chunks_per_row;
    const int64_t c = i % chunks_per_row;
    const Bf16x8* row = reinterpret_cast<const Bf16x8*>(gate_up + r * 2 * inter);
    float g[8], u[8];
    Unpack(row[c], g);
    Unpack(row[chunks_per_row + c], u);
#pragma unroll
    for (int j = 0; j < 8; ++j) g[j] = SiluMul(g[j], u[j]);
    reinterpret_cast<Bf16x8*>(out + r * inter)[c] = Pack(g);
  }
}

// Any inter and alignment: grid-stride over rows * inter outputs.
__global__ void SiluAndMulScalarKernel(const __nv_bfloat16* __restrict__ gate_up,
                                       __nv_bfloat16* __restrict__ out, int64_t rows,
                                       int32_t inter) {
  WaitForPredecessors();
  const int64_t total = rows * inter;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < total;
       i += int64_t{gridDim.x} * blockDim.x) {
    const int64_t r = i / inter;
    const int64_t c = i % inter;
    const __nv_bfloat16* row = gate_up + r * 2 * inter;
    out[i] =
        __float2bfloat16_rn(SiluMul(__bfloat162float(row[c]), __bfloat162float(row[inter + c])));
  }
}

}  // namespace weft::kernels::gpu::device

#endif  // WEFT_KERNELS_CUDA_ACTIVATION_CUH_
