// Mixture-of-experts routing on the GPU (the semantics of
// kernels/cpu/moe_routing.h, ties toward the lower expert index): which
// experts each token goes to, with which weights, from float32 router logits.
#ifndef WEFT_KERNELS_CUDA_MOE_ROUTING_H_
#define WEFT_KERNELS_CUDA_MOE_ROUTING_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct MoeRoutingParams {
  const float* logits = nullptr;  // [tokens, num_experts]
  int64_t tokens = 0;
  int32_t num_experts = 0;  // <= 512
  int32_t top_k = 0;        // <= 32
  bool normalize = false;
  // DeepSeek-V3 (sigmoid scores, bias-corrected, group-limited) when
  // correction_bias != null; Qwen3-MoE/Mixtral softmax otherwise.
  const float* correction_bias = nullptr;  // [num_experts]
  int32_t n_group = 1;
  int32_t topk_group = 1;
  float routed_scaling_factor = 1.0f;
  int32_t* ids = nullptr;    // [tokens, top_k], descending score
  float* weights = nullptr;  // [tokens, top_k]
};

// One warp per token. cudaErrorInvalidValue for 0 or > 512 experts, top_k
// outside [1, min(32, num_experts)], null pointers (tokens > 0), or with a
// bias: n_group not dividing num_experts or topk_group outside
// [1, n_group]. tokens == 0 is a no-op. Does not synchronize.
cudaError_t LaunchMoeRouting(const MoeRoutingParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_MOE_ROUTING_H_
