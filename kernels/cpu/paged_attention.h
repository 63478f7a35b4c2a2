// Attention over a paged KV cache on the CPU, for prefill (many query tokens
// of a sequence, causal), chunked prefill and decode alike: every query
// token names its sequence's block table and how many cached tokens it sees.
//
// The cache is addressed by slot = block * block_size + offset; K and V rows
// are located through strides, so one kernel serves MHA/GQA/MQA caches
// ([slot][kv_head][dim]) and MLA's latent cache in the weight-absorbed form
// (one "head"; K = [latent, rope part], V = the latent, a prefix of K).
#ifndef WEFT_KERNELS_CPU_PAGED_ATTENTION_H_
#define WEFT_KERNELS_CPU_PAGED_ATTENTION_H_

#include <cstdint>

namespace weft::kernels::cpu {

// The cache memory of one layer: read by PagedAttention, written by WriteKv.
struct PagedKvCache {
  float* k = nullptr;
  float* v = nullptr;
  int64_t k_slot_stride = 0;  // floats from one slot to the next
  int64_t k_head_stride = 0;  // floats from one KV head to the next
  int64_t v_slot_stride = 0;
  int64_t v_head_stride = 0;
  int32_t block_size = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;    // of queries and keys
  int32_t v_head_dim = 0;  // of values and outputs
};

struct PagedAttentionParams {
  const float* q = nullptr;  // [tokens, num_heads, head_dim]
  float* out = nullptr;      // [tokens, num_heads, v_head_dim]
  int64_t tokens = 0;
  int32_t num_heads = 0;  // a multiple of num_kv_heads; head h reads KV head h / group
  float scale = 1.0f;     // applied to q.k
  // Per token: row of `block_tables` to use, and the number of cached tokens
  // it attends to (positions 0 .. context_len-1, its own included).
  const int32_t* sequence_of_token = nullptr;
  const int32_t* context_len = nullptr;
  const int32_t* block_tables = nullptr;  // [num_sequences, max_blocks_per_sequence]
  int32_t max_blocks_per_sequence = 0;
};

// Softmax(q K^T * scale) V per token and head, with float64 accumulation of
// the softmax denominator. Tokens with context_len 0 get zeros.
void PagedAttention(const PagedKvCache& cache, const PagedAttentionParams& params);

// Writes `tokens` rows of new keys and values into their slots. k_new:
// [tokens, num_kv_heads, head_dim], v_new: [tokens, num_kv_heads, v_head_dim]
// (v_new may be null when V lives inside K, as for MLA).
void WriteKv(const PagedKvCache& cache, const float* k_new, const float* v_new,
             const int64_t* slots, int64_t tokens);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_PAGED_ATTENTION_H_
