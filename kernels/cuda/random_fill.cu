#include <algorithm>

#include "kernels/cuda/random_fill.h"

namespace weft::kernels::gpu {
namespace device {

// SplitMix64 finalizer: a good 64-bit mix of (seed, index).
__device__ __forceinline__ uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

__global__ void RandomFillKernel(RandomFillParams p) {
  const float half_width = 1.7320508f * p.stddev;
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < p.count;
       i += int64_t{gridDim.x} * blockDim.x) {
    float v = p.constant;
    if (p.stddev > 0.0f) {
      const uint64_t r = Mix(p.seed ^ Mix(static_cast<uint64_t>(i)));
      const float u = static_cast<float>(r >> 40) * (1.0f / 16777216.0f);  // [0, 1)
      v = (2.0f * u - 1.0f) * half_width;
    }
    if (p.out_bf16 != nullptr) {
      p.out_bf16[i] = __float2bfloat16_rn(v);
    } else {
      p.out_f32[i] = v;
    }
  }
}

}  // namespace device

cudaError_t LaunchRandomFill(const RandomFillParams& params, cudaStream_t stream) {
  if (params.count < 0 || (params.out_bf16 == nullptr) == (params.out_f32 == nullptr)) {
    return cudaErrorInvalidValue;
  }
  if (params.count == 0) return cudaSuccess;
  constexpr int kThreads = 256;
  const int64_t blocks = std::min<int64_t>((params.count + kThreads - 1) / kThreads, 132 * 16);
  device::RandomFillKernel<<<static_cast<int>(blocks), kThreads, 0, stream>>>(params);
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
