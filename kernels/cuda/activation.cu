#include <algorithm>
#include <cstdint>
#include <limits>

#include "kernels/cuda/activation.cuh"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/launch.cuh"

namespace weft::kernels::gpu {
namespace {

constexpr int kThreads = 256;
// Grid-stride kernels: enough blocks to fill an H200 (132 SMs) several
// times over, no more.
constexpr int64_t kMaxBlocks = 132 * 16;

bool Aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

unsigned BlocksFor(int64_t work) {
  return static_cast<unsigned>(std::min<int64_t>((work + kThreads - 1) / kThreads, kMaxBlocks));
}

}  // namespace

cudaError_t LaunchSiluAndMul(const SiluAndMulParams& p, cudaStream_t stream) {
  if (p.rows < 0 || p.inter <= 0) return cudaErrorInvalidValue;
  if (p.rows > std::numeric_limits<int64_t>::max() / (2 * int64_t{p.inter})) {
    return cudaErrorInvalidValue;
  }
  if (p.rows == 0) return cudaSuccess;
  if (p.gate_up == nullptr || p.out == nullptr) return cudaErrorInvalidValue;
  if (p.inter % 8 == 0 && Aligned16(p.gate_up) && Aligned16(p.out)) {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::SiluAndMulVec8Kernel,
                                              BlocksFor(p.rows * (p.inter / 8)), kThreads, 0,
                                              stream, p.gate_up, p.out, p.rows, p.inter));
  } else {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::SiluAndMulScalarKernel,
                                              BlocksFor(p.rows * p.inter), kThreads, 0, stream,
                                              p.gate_up, p.out, p.rows, p.inter));
  }
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
