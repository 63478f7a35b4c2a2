#include <cstdint>

#include "kernels/cuda/device_math.cuh"
#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/quantize.h"

namespace weft::kernels::gpu {
namespace device {
namespace {

constexpr int kThreads = 256;

// One block per row: the row's max |x| (block reduction), then each
// element divided by the scale and rounded.
__global__ void __launch_bounds__(kThreads)
    QuantizeKernel(const __nv_bfloat16* __restrict__ x, int64_t ldx, int32_t cols,
                   int8_t* __restrict__ q, int64_t ldq, float* __restrict__ scales) {
  WaitForPredecessors();
  __shared__ float warp_max[kThreads / kWarpSize];
  const int64_t row = blockIdx.x;
  const __nv_bfloat16* in = x + row * ldx;
  float m = 0.0f;
  for (int32_t i = threadIdx.x; i < cols; i += kThreads)
    m = fmaxf(m, fabsf(__bfloat162float(in[i])));
  m = WarpMax(m);
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  if (lane == 0) warp_max[warp] = m;
  __syncthreads();
  m = 0.0f;
#pragma unroll
  for (int w = 0; w < kThreads / kWarpSize; ++w) m = fmaxf(m, warp_max[w]);
  const float scale = Int8Scale(m);
  const float inv = __fdiv_rn(1.0f, scale);
  if (threadIdx.x == 0) scales[row] = scale;
  int8_t* out = q + row * ldq;
  for (int32_t i = threadIdx.x; i < cols; i += kThreads) {
    out[i] = QuantizeInt8(__bfloat162float(in[i]), inv);
  }
}

}  // namespace
}  // namespace device

cudaError_t LaunchQuantizePerToken(const QuantizeParams& p, cudaStream_t stream) {
  if (p.rows < 0 || p.cols <= 0 || p.ldx < p.cols || p.ldq < p.cols || p.rows > INT32_MAX) {
    return cudaErrorInvalidValue;
  }
  if (p.rows == 0) return cudaSuccess;
  if (p.x == nullptr || p.q == nullptr || p.scales == nullptr) return cudaErrorInvalidValue;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::QuantizeKernel, static_cast<unsigned>(p.rows),
                                            device::kThreads, 0, stream, p.x, p.ldx, p.cols, p.q,
                                            p.ldq, p.scales));
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
