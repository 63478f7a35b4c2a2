#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/rope.cuh"
#include "kernels/cuda/rope.h"

namespace weft::kernels::gpu {
namespace {

constexpr int64_t kMaxGridX = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxGridY = 65535;

int NextPowerOfTwo(int32_t n) {
  int p = 1;
  while (p < n) p *= 2;
  return p;
}

// Rotates with chunks of kPairs pairs, at most kItems chunks a lane.
template <int kPairs, int kItems>
cudaError_t LaunchRopeKernel(const RopeParams& p, cudaStream_t stream) {
  const int32_t half = p.rotary_dim / 2;
  const int32_t chunks = half / kPairs;
  const int lanes_per_row = std::min(device::kWarpSize, NextPowerOfTwo(chunks));
  // Enough threads for every head of a token, at most kRopeMaxThreads.
  const int64_t wanted = int64_t{p.heads} * lanes_per_row;
  const int threads = static_cast<int>(
      std::clamp<int64_t>((wanted + 31) / 32 * 32, device::kWarpSize, device::kRopeMaxThreads));
  const int rows_per_block = threads / lanes_per_row;
  const int64_t head_blocks = (p.heads + rows_per_block - 1) / rows_per_block;
  if (head_blocks > kMaxGridY) return cudaErrorInvalidValue;
  const dim3 grid(static_cast<unsigned>(p.tokens), static_cast<unsigned>(head_blocks));
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::RopeKernel<kPairs, kItems>, grid, threads, 0,
                                            stream, p.x, p.positions, p.heads, p.token_stride,
                                            p.head_stride, p.offset, half, lanes_per_row,
                                            p.inv_freq, p.attention_scaling, p.interleaved));
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchRope(const RopeParams& p, cudaStream_t stream) {
  if (p.tokens < 0 || p.tokens > kMaxGridX || p.heads <= 0 || p.rotary_dim <= 0 ||
      p.rotary_dim % 2 != 0 || p.rotary_dim > 2 * device::kRopeMaxHalf || p.offset < 0 ||
      int64_t{p.offset} + p.rotary_dim > p.head_stride ||
      p.token_stride < int64_t{p.heads} * p.head_stride) {
    return cudaErrorInvalidValue;
  }
  if (p.tokens == 0) return cudaSuccess;
  if (p.x == nullptr || p.positions == nullptr || p.inv_freq == nullptr) {
    return cudaErrorInvalidValue;
  }
  const int32_t half = p.rotary_dim / 2;
  // 16-byte vectors when every rotated run starts on a 16-byte boundary.
  const bool vec = half % 8 == 0 && reinterpret_cast<uintptr_t>(p.x) % 16 == 0 &&
                   p.token_stride % 8 == 0 && p.head_stride % 8 == 0 && p.offset % 8 == 0;
  if (vec) {
    // half / 8 <= 64 chunks: at most 2 a lane.
    if (half / 8 <= device::kWarpSize) return LaunchRopeKernel<8, 1>(p, stream);
    return LaunchRopeKernel<8, 2>(p, stream);
  }
  // One pair a chunk; half <= 512: at most 16 a lane.
  if (half <= device::kWarpSize) return LaunchRopeKernel<1, 1>(p, stream);
  if (half <= 4 * device::kWarpSize) return LaunchRopeKernel<1, 4>(p, stream);
  return LaunchRopeKernel<1, 16>(p, stream);
}

}  // namespace weft::kernels::gpu
