#include "kernels/cuda/launch.cuh"
#include "kernels/cuda/moe_routing.cuh"
#include "kernels/cuda/moe_routing.h"

namespace weft::kernels::gpu {
namespace {

// Launches `Kernel<kSlots>` with the fewest register slots that hold
// num_experts (32 experts per slot).
template <template <int> class Dispatch, typename... Args>
cudaError_t BySlots(int num_experts, Args&&... args) {
  if (num_experts <= 4 * device::kWarpSize) return Dispatch<4>::Run(args...);
  if (num_experts <= 8 * device::kWarpSize) return Dispatch<8>::Run(args...);
  return Dispatch<16>::Run(args...);
}

unsigned Blocks(int64_t tokens) {
  return static_cast<unsigned>((tokens + device::kRoutingWarps - 1) / device::kRoutingWarps);
}

template <int kSlots>
struct SoftmaxLaunch {
  static cudaError_t Run(const MoeRoutingParams& p, cudaStream_t stream) {
    WEFT_RETURN_IF_LAUNCH_FAILED(LaunchKernel(device::SoftmaxTopKKernel<kSlots>, Blocks(p.tokens),
                                              device::kRoutingWarps * device::kWarpSize, 0, stream,
                                              p.logits, p.tokens, p.num_experts, p.top_k,
                                              p.normalize, p.ids, p.weights));
    return cudaGetLastError();
  }
};

template <int kSlots>
struct GroupedSigmoidLaunch {
  static cudaError_t Run(const MoeRoutingParams& p, cudaStream_t stream) {
    WEFT_RETURN_IF_LAUNCH_FAILED(
        LaunchKernel(device::GroupedSigmoidTopKKernel<kSlots>, Blocks(p.tokens),
                     device::kRoutingWarps * device::kWarpSize, 0, stream, p.logits,
                     p.correction_bias, p.tokens, p.num_experts, p.n_group, p.topk_group, p.top_k,
                     p.normalize, p.routed_scaling_factor, p.ids, p.weights));
    return cudaGetLastError();
  }
};

}  // namespace

cudaError_t LaunchMoeRouting(const MoeRoutingParams& p, cudaStream_t stream) {
  if (p.tokens < 0 || p.num_experts <= 0 || p.num_experts > device::kRoutingMaxExperts ||
      p.top_k <= 0 || p.top_k > device::kRoutingMaxTopK || p.top_k > p.num_experts) {
    return cudaErrorInvalidValue;
  }
  if (p.correction_bias != nullptr && (p.n_group <= 0 || p.num_experts % p.n_group != 0 ||
                                       p.topk_group <= 0 || p.topk_group > p.n_group)) {
    return cudaErrorInvalidValue;
  }
  if (p.tokens == 0) return cudaSuccess;
  if (p.logits == nullptr || p.ids == nullptr || p.weights == nullptr) {
    return cudaErrorInvalidValue;
  }
  if (p.tokens > int64_t{device::kRoutingWarps} * 0x7fffffff) return cudaErrorInvalidValue;
  if (p.correction_bias != nullptr) {
    return BySlots<GroupedSigmoidLaunch>(p.num_experts, p, stream);
  }
  return BySlots<SoftmaxLaunch>(p.num_experts, p, stream);
}

}  // namespace weft::kernels::gpu
