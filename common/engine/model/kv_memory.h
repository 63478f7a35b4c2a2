// The KV cache memory of the CPU backend: per layer, K and V rows for every
// slot of the pool (num_blocks * block_size). MHA/GQA caches store K and V
// per KV head; MLA caches store one latent row per slot (kv_lora_rank +
// rope dims), which serves as both K and V.
#ifndef WEFT_COMMON_ENGINE_MODEL_KV_MEMORY_H_
#define WEFT_COMMON_ENGINE_MODEL_KV_MEMORY_H_

#include <cstdint>
#include <vector>

#include "kernels/cpu/paged_attention.h"

namespace weft::engine {

struct KvLayout {
  int32_t num_layers = 0;
  int32_t num_kv_heads = 0;  // 1 for MLA
  int32_t head_dim = 0;      // K row per head (MLA: kv_lora_rank + rope dims)
  int32_t v_head_dim = 0;    // V row per head (MLA: kv_lora_rank)
  bool latent = false;       // MLA: V is the first v_head_dim floats of K

  // Bytes of one token's KV across all layers, in float32.
  int64_t BytesPerToken() const {
    const int64_t per_layer = latent ? head_dim : int64_t{num_kv_heads} * (head_dim + v_head_dim);
    return per_layer * num_layers * static_cast<int64_t>(sizeof(float));
  }
};

class CpuKvMemory {
 public:
  // Preconditions (checked): num_blocks >= 0, block_size > 0; the services
  // validate these in their configs.
  CpuKvMemory(const KvLayout& layout, int32_t num_blocks, int32_t block_size);

  const KvLayout& layout() const { return layout_; }
  int32_t num_blocks() const { return num_blocks_; }
  int32_t block_size() const { return block_size_; }

  // The paged view of one layer, for kernels::cpu::PagedAttention / WriteKv.
  kernels::cpu::PagedKvCache Layer(int32_t layer);

  // Copies whole blocks (the executor's part of copy-on-write).
  void CopyBlock(int32_t src, int32_t dst);

 private:
  KvLayout layout_;
  int32_t num_blocks_;
  int32_t block_size_;
  int64_t k_slot_floats_;
  int64_t v_slot_floats_;
  std::vector<std::vector<float>> k_;  // by layer
  std::vector<std::vector<float>> v_;  // by layer; empty for latent caches
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_KV_MEMORY_H_
