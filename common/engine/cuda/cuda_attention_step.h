// Paged attention as a layer runs it in a step: the step's batch arrays
// (block tables, context lengths, sequence of each token) as the kernel's
// parameters, and the split-sequence workspace taken from the step's
// scratch arena. Shared by the GQA and MLA layers.
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_ATTENTION_STEP_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_ATTENTION_STEP_H_

#include <cuda_bf16.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "common/engine/cuda/cuda_layers.h"
#include "kernels/cuda/paged_attention.h"

namespace weft::engine::gpu {

// The queries of a step's tokens: token t, head h at q + t * token_stride +
// h * (the cache's head_dim); outputs [tokens, num_heads, v_head_dim].
struct AttentionQueries {
  const __nv_bfloat16* q = nullptr;
  int64_t token_stride = 0;
  int32_t num_heads = 0;
  int32_t v_head_dim = 0;
  float scale = 1.0f;
};

// Scratch bytes StepAttention takes for a step of `shape`.
size_t StepAttentionScratchBytes(const StepShape& shape, int32_t num_heads, int32_t v_head_dim);

// Softmax(q K^T * scale) V over the step's paged cache `kv` into `out`;
// The launch's error as a status naming `what` (CudaStatus).
absl::Status StepAttention(const CudaStep& step, const kernels::gpu::PagedKvCacheView& kv,
                           const AttentionQueries& queries, __nv_bfloat16* out, const char* what);

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_ATTENTION_STEP_H_
