#include "common/engine/cuda/cuda_attention_step.h"

#include "common/engine/cuda/cuda_status.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

size_t StepAttentionScratchBytes(const StepShape& shape, int32_t num_heads, int32_t v_head_dim) {
  return ScratchArena::Bytes(static_cast<int64_t>(k::PagedAttentionWorkspaceBytes(
                                 shape.tokens, num_heads, v_head_dim, shape.max_context_len)),
                             1);
}

absl::Status StepAttention(const CudaStep& step, const k::PagedKvCacheView& kv,
                           const AttentionQueries& queries, __nv_bfloat16* out, const char* what) {
  const int64_t t = step.shape.tokens;
  const size_t workspace_bytes = k::PagedAttentionWorkspaceBytes(
      t, queries.num_heads, queries.v_head_dim, step.shape.max_context_len);
  k::PagedAttentionParams p;
  p.q = queries.q;
  p.q_token_stride = queries.token_stride;
  p.out = out;
  p.tokens = t;
  p.num_heads = queries.num_heads;
  p.scale = queries.scale;
  p.sequence_of_token = step.sequence_of_token;
  p.context_len = step.context_len;
  p.block_tables = step.block_tables;
  p.max_blocks_per_sequence = step.max_blocks_per_sequence;
  p.max_context_len = step.shape.max_context_len;
  p.workspace = step.scratch->Take<char>(static_cast<int64_t>(workspace_bytes));
  p.workspace_bytes = workspace_bytes;
  return CudaStatus(k::LaunchPagedAttention(kv, p, step.stream), what);
}

}  // namespace weft::engine::gpu
