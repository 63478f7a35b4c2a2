// The weighted combine of a routed MoE batch on the GPU: each token's top_k
// expert outputs, weighted by its routing weights, summed in float32 and
// added to the residual stream.
#ifndef WEFT_KERNELS_CUDA_MOE_COMBINE_H_
#define WEFT_KERNELS_CUDA_MOE_COMBINE_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct MoeCombineParams {
  const __nv_bfloat16* expert_out = nullptr;  // [tokens * top_k, hidden], grouped rows
  const int32_t* pair_row = nullptr;          // [tokens * top_k] (LaunchMoePermute)
  const float* weights = nullptr;             // [tokens, top_k]
  int64_t tokens = 0;
  int32_t top_k = 0;
  int32_t hidden = 0;
  float* residual = nullptr;  // [tokens, hidden]: residual[t] += sum_j w[t,j] * out[pair_row[t,j]]
};

// One block per token (16-byte loads when hidden % 8 == 0 and the buffers
// are 16-byte aligned). A negative pair_row entry is skipped.
// cudaErrorInvalidValue for null pointers, top_k or hidden <= 0, negative
// tokens; tokens == 0 is a no-op. Does not synchronize.
cudaError_t LaunchMoeCombine(const MoeCombineParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_MOE_COMBINE_H_
