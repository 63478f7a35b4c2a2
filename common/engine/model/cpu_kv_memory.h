// The KV cache memory of the CPU backend: per layer, float32 K and V rows
// for every slot of the pool (num_blocks * block_size).
#ifndef WEFT_COMMON_ENGINE_MODEL_CPU_KV_MEMORY_H_
#define WEFT_COMMON_ENGINE_MODEL_CPU_KV_MEMORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/engine/model/kv_memory.h"
#include "kernels/cpu/paged_attention.h"

namespace weft::engine {

class CpuKvMemory final : public KvMemory {
 public:
  // Preconditions (checked): num_blocks >= 0, block_size > 0; the services
  // validate these in their configs.
  CpuKvMemory(const KvLayout& layout, int32_t num_blocks, int32_t block_size);

  const KvLayout& layout() const override { return layout_; }
  int32_t num_blocks() const override { return num_blocks_; }
  int32_t block_size() const override { return block_size_; }

  // The paged view of one layer, for kernels::cpu::PagedAttention / WriteKv.
  kernels::cpu::PagedKvCache Layer(int32_t layer);

  void CopyBlock(int32_t src, int32_t dst) override;
  int64_t BlockBytes() const override;
  void ReadBlock(int32_t block, std::string* out) const override;
  absl::Status WriteBlock(int32_t block, absl::string_view data) override;

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

#endif  // WEFT_COMMON_ENGINE_MODEL_CPU_KV_MEMORY_H_
