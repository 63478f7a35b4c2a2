// Attention over a paged bf16 KV cache on the GPU, for prefill (causal,
// chunked, attending to a cached prefix) and decode in one launch: every
// query token names its sequence's block table and how many cached tokens
// it sees (the semantics of kernels/cpu/paged_attention.h).
//
// The cache is addressed by slot = block * block_size + offset; K and V rows
// are located through strides, so one kernel serves MHA/GQA/MQA caches
// ([slot][kv_head][dim]) and MLA's latent cache in the weight-absorbed form
// (one KV head; K = [latent, rope part], V = the latent, a prefix of K).
// The query heads of one KV group are processed together, so each K/V row
// is read once per group; long contexts are split along the sequence into
// partitions whose partial softmax results are merged by a second kernel.
#ifndef WEFT_KERNELS_CUDA_PAGED_ATTENTION_H_
#define WEFT_KERNELS_CUDA_PAGED_ATTENTION_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace weft::kernels::gpu {

// One layer's cache memory (device pointers; elements, not bytes).
struct PagedKvCacheView {
  __nv_bfloat16* k = nullptr;
  __nv_bfloat16* v = nullptr;  // may point into k's rows (MLA)
  int64_t k_slot_stride = 0;
  int64_t k_head_stride = 0;
  int64_t v_slot_stride = 0;
  int64_t v_head_stride = 0;
  int32_t block_size = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;    // of queries and keys
  int32_t v_head_dim = 0;  // of values and outputs
};

struct PagedAttentionParams {
  const __nv_bfloat16* q = nullptr;  // token t, head h at q + t * q_token_stride + h * head_dim
  int64_t q_token_stride = 0;
  __nv_bfloat16* out = nullptr;  // [tokens, num_heads, v_head_dim], contiguous
  int64_t tokens = 0;
  int32_t num_heads = 0;  // a multiple of num_kv_heads; head h reads KV head h / group
  float scale = 1.0f;     // applied to q.k
  // Device arrays: per token, its row of block_tables and the number of
  // cached tokens it attends to (positions 0 .. context_len-1).
  const int32_t* sequence_of_token = nullptr;
  const int32_t* context_len = nullptr;
  const int32_t* block_tables = nullptr;  // [num_sequences, max_blocks_per_sequence]
  int32_t max_blocks_per_sequence = 0;
  // Host-side upper bound of context_len over the tokens (sizes the split).
  int32_t max_context_len = 0;
  // Scratch for the split-sequence partial results, at least
  // PagedAttentionWorkspaceBytes(...) bytes; may be null when that is 0.
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

// Scratch the launch needs for these sizes (0 when no split is needed).
size_t PagedAttentionWorkspaceBytes(int64_t tokens, int32_t num_heads, int32_t v_head_dim,
                                    int32_t max_context_len);

// Softmax(q K^T * scale) V per token and head, float32 accumulation, bf16
// output. Tokens with context_len 0 get zeros. Sizes: head_dim ==
// v_head_dim, a multiple of 32 up to 256, or a latent cache (V the first
// v_head_dim elements of the K rows: v == k with equal strides) with 576/512
// (DeepSeek's MLA) on the tuned kernel; other latent caches (one KV head,
// multiples of 8, head_dim up to 1024, v_head_dim < head_dim and up to 512)
// on a plain,
// untuned kernel (paged_attention_generic.cuh). Anything else is
// cudaErrorInvalidValue, as is a workspace smaller than needed.
cudaError_t LaunchPagedAttention(const PagedKvCacheView& cache, const PagedAttentionParams& params,
                                 cudaStream_t stream);

// Whether LaunchPagedAttention takes a latent cache (one KV head, V the
// first v_head_dim elements of K rows of head_dim), on either kernel.
bool SupportsLatentRows(int32_t head_dim, int32_t v_head_dim);

struct WriteKvParams {
  const __nv_bfloat16* k_new =
      nullptr;  // token t, kv head h at k_new + t * k_token_stride + h * head_dim
  int64_t k_token_stride = 0;
  const __nv_bfloat16* v_new = nullptr;  // likewise with v_head_dim; null when V lives in K (MLA)
  int64_t v_token_stride = 0;
  const int64_t* slots = nullptr;  // [tokens], device
  int64_t tokens = 0;
};

// Copies each token's new K (and V) rows into its cache slot. Slots are
// validated by the caller.
cudaError_t LaunchWriteKv(const PagedKvCacheView& cache, const WriteKvParams& params,
                          cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_PAGED_ATTENTION_H_
