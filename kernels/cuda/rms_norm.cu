#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/rms_norm.cuh"
#include "kernels/cuda/rms_norm.h"

namespace weft::kernels::gpu {
namespace {

constexpr int kBlockThreads = 256;
constexpr int64_t kMaxBlocks = std::numeric_limits<int32_t>::max();

bool Aligned(const void* p, uintptr_t bytes) { return reinterpret_cast<uintptr_t>(p) % bytes == 0; }

int RoundUp32(int64_t n) { return static_cast<int>((n + 31) / 32 * 32); }

// AddRmsNorm, a warp per row: each lane holds kItems float4 vectors.
template <int kItems>
cudaError_t LaunchAddRmsNormWarp(const AddRmsNormParams& p, cudaStream_t stream) {
  constexpr int kRowsPerBlock = kBlockThreads / device::kWarpSize;
  const int64_t blocks = (p.rows + kRowsPerBlock - 1) / kRowsPerBlock;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(
      device::AddRmsNormWarpKernel<kItems>, static_cast<unsigned>(blocks), kBlockThreads, 0, stream,
      p.residual, p.add, p.weight, p.out, p.rows, p.dim, p.eps, p.q, p.q_scales));
  return cudaGetLastError();
}

// AddRmsNorm, a block of `threads` per row: each thread holds kItems float4
// vectors.
template <int kItems>
cudaError_t LaunchAddRmsNormBlock(const AddRmsNormParams& p, int threads, cudaStream_t stream) {
  WEFT_RETURN_IF_LAUNCH_FAILED(
      LaunchKernel(device::AddRmsNormBlockKernel<kItems>, static_cast<unsigned>(p.rows), threads, 0,
                   stream, p.residual, p.add, p.weight, p.out, p.dim, p.eps, p.q, p.q_scales));
  return cudaGetLastError();
}

// RmsNormBf16, groups of kLanes lanes per row, kItems 16-byte chunks a lane.
template <int kLanes, int kItems>
cudaError_t LaunchRmsNormBf16Vec(const RmsNormBf16Params& p, int64_t rows, cudaStream_t stream) {
  constexpr int64_t kRowsPerBlock = kBlockThreads / kLanes;
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  if (blocks > kMaxBlocks) return cudaErrorInvalidValue;
  WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(
      device::RmsNormBf16VecKernel<kLanes, kItems>, static_cast<unsigned>(blocks), kBlockThreads, 0,
      stream, p.x, rows, p.heads, p.token_stride, p.dim, p.weight, p.eps));
  return cudaGetLastError();
}

}  // namespace

cudaError_t LaunchAddRmsNorm(const AddRmsNormParams& p, cudaStream_t stream) {
  if (p.rows < 0 || p.rows > kMaxBlocks || p.dim <= 0) return cudaErrorInvalidValue;
  if (p.rows == 0) return cudaSuccess;
  if (p.residual == nullptr || p.weight == nullptr || p.out == nullptr ||
      (p.q == nullptr) != (p.q_scales == nullptr)) {
    return cudaErrorInvalidValue;
  }
  const bool vec = p.dim % 4 == 0 && Aligned(p.residual, 16) &&
                   (p.add == nullptr || Aligned(p.add, 16)) && Aligned(p.weight, 8) &&
                   Aligned(p.out, 8) && (p.q == nullptr || Aligned(p.q, 4));
  const int32_t vecs = p.dim / 4;
  if (vec && vecs <= 8 * device::kWarpSize) {
    if (vecs <= 1 * device::kWarpSize) return LaunchAddRmsNormWarp<1>(p, stream);
    if (vecs <= 2 * device::kWarpSize) return LaunchAddRmsNormWarp<2>(p, stream);
    if (vecs <= 4 * device::kWarpSize) return LaunchAddRmsNormWarp<4>(p, stream);
    return LaunchAddRmsNormWarp<8>(p, stream);
  }
  if (vec && vecs <= 8 * 1024) {
    // The fewest vectors a thread that keep the block at <= 256 threads,
    // else 8 a thread and up to 1024 threads.
    if (vecs <= 2 * kBlockThreads) {
      return LaunchAddRmsNormBlock<2>(p, RoundUp32((vecs + 1) / 2), stream);
    }
    if (vecs <= 4 * kBlockThreads) {
      return LaunchAddRmsNormBlock<4>(p, RoundUp32((vecs + 3) / 4), stream);
    }
    return LaunchAddRmsNormBlock<8>(p, RoundUp32((vecs + 7) / 8), stream);
  }
  const int threads = std::clamp(RoundUp32(p.dim / 4), device::kWarpSize, 1024);
  WEFT_RETURN_IF_LAUNCH_FAILED(
      LaunchKernel(device::AddRmsNormScalarKernel, static_cast<unsigned>(p.rows), threads, 0,
                   stream, p.residual, p.add, p.weight, p.out, p.dim, p.eps, p.q, p.q_scales));
  return cudaGetLastError();
}

cudaError_t LaunchRmsNormBf16(const RmsNormBf16Params& p, cudaStream_t stream) {
  if (p.tokens < 0 || p.heads <= 0 || p.dim <= 0 || p.token_stride < int64_t{p.heads} * p.dim) {
    return cudaErrorInvalidValue;
  }
  if (p.tokens == 0) return cudaSuccess;
  if (p.x == nullptr || p.weight == nullptr) return cudaErrorInvalidValue;
  if (p.tokens > std::numeric_limits<int64_t>::max() / p.heads) return cudaErrorInvalidValue;
  const int64_t rows = p.tokens * p.heads;
  const bool vec =
      p.dim % 8 == 0 && p.token_stride % 8 == 0 && Aligned(p.x, 16) && Aligned(p.weight, 16);
  const int32_t chunks = p.dim / 8;
  if (vec && chunks <= 4) return LaunchRmsNormBf16Vec<4, 1>(p, rows, stream);
  if (vec && chunks <= 8) return LaunchRmsNormBf16Vec<8, 1>(p, rows, stream);
  if (vec && chunks <= 16) return LaunchRmsNormBf16Vec<16, 1>(p, rows, stream);
  if (vec && chunks <= 32) return LaunchRmsNormBf16Vec<32, 1>(p, rows, stream);
  if (vec && chunks <= 64) return LaunchRmsNormBf16Vec<32, 2>(p, rows, stream);
  if (vec && chunks <= 128) return LaunchRmsNormBf16Vec<32, 4>(p, rows, stream);
  if (vec && chunks <= 256) return LaunchRmsNormBf16Vec<32, 8>(p, rows, stream);
  constexpr int64_t kRowsPerBlock = kBlockThreads / device::kWarpSize;
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  if (blocks > kMaxBlocks) return cudaErrorInvalidValue;
  WEFT_RETURN_IF_LAUNCH_FAILED(
      LaunchKernel(device::RmsNormBf16ScalarKernel, static_cast<unsigned>(blocks), kBlockThreads, 0,
                   stream, p.x, rows, p.heads, p.token_stride, p.dim, p.weight, p.eps));
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
