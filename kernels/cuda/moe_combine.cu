#include <algorithm>
#include <cstdint>

#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/moe_combine.cuh"
#include "kernels/cuda/moe_combine.h"

namespace weft::kernels::gpu {

cudaError_t LaunchMoeCombine(const MoeCombineParams& p, cudaStream_t stream) {
  if (p.tokens < 0 || p.top_k <= 0 || p.hidden <= 0) return cudaErrorInvalidValue;
  if (p.tokens == 0) return cudaSuccess;
  if (p.expert_out == nullptr || p.pair_row == nullptr || p.weights == nullptr ||
      p.residual == nullptr || p.tokens > 0x7fffffff) {
    return cudaErrorInvalidValue;
  }
  const auto blocks = static_cast<unsigned>(p.tokens);
  const bool aligned = reinterpret_cast<uintptr_t>(p.expert_out) % 16 == 0 &&
                       reinterpret_cast<uintptr_t>(p.residual) % 16 == 0;
  if (p.hidden % 8 == 0 && aligned && p.top_k <= device::kCombineMaxTopK) {
    const int vectors = p.hidden / 8;
    const int threads = std::min(256, (vectors + 31) / 32 * 32);
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::MoeCombineVec8Kernel, blocks, threads, 0,
                                              stream, p.expert_out, p.pair_row, p.weights, p.top_k,
                                              p.hidden, p.residual));
  } else {
    const int threads = std::min(256, (p.hidden + 31) / 32 * 32);
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::MoeCombineScalarKernel, blocks, threads, 0,
                                              stream, p.expert_out, p.pair_row, p.weights, p.top_k,
                                              p.hidden, p.residual));
  }
  return cudaGetLastError();
}

}  // namespace weft::kernels::gpu
