// The KV cache memory of the CUDA backend: per layer, bf16 K and V rows for
// every slot of the pool (num_blocks * block_size) in GPU memory, laid out
// [slot][kv_head][dim]; MLA's latent caches hold K rows only (V is their
// prefix). Blocks serialize as bf16 (BlockBytes is half the CPU backend's),
// so KV moves only between instances of the same backend.
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_KV_MEMORY_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_KV_MEMORY_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/model/kv_memory.h"
#include "kernels/cuda/paged_attention.h"

namespace weft::engine::gpu {

class CudaKvMemory final : public KvMemory {
 public:
  // ResourceExhausted when the GPU cannot hold the pool; InvalidArgument
  // unless num_blocks >= 0 and block_size > 0.
  static absl::StatusOr<std::unique_ptr<CudaKvMemory>> Create(const KvLayout& layout,
                                                              int32_t num_blocks,
                                                              int32_t block_size);

  const KvLayout& layout() const override { return layout_; }
  int32_t num_blocks() const override { return num_blocks_; }
  int32_t block_size() const override { return block_size_; }

  // Unique to this pool within the process, never reused (unlike its
  // address): what decode graphs, which hold the pool's device pointers,
  // are keyed on.
  uint64_t id() const { return id_; }

  // The paged view of one layer, for the attention kernels.
  kernels::gpu::PagedKvCacheView Layer(int32_t layer) const;

  // Synchronous copies (the engine calls these between forward steps, which
  // complete before Forward returns).
  void CopyBlock(int32_t src, int32_t dst) override;
  int64_t BlockBytes() const override;
  void ReadBlock(int32_t block, std::string* out) const override;
  absl::Status WriteBlock(int32_t block, absl::string_view data) override;

 private:
  CudaKvMemory(const KvLayout& layout, int32_t num_blocks, int32_t block_size);

  // Elements of one slot's K (V) rows across KV heads.
  int64_t KSlot() const { return int64_t{layout_.num_kv_heads} * layout_.head_dim; }
  int64_t VSlot() const {
    return layout_.latent ? 0 : int64_t{layout_.num_kv_heads} * layout_.v_head_dim;
  }
  // Elements of one layer (K then V for every slot).
  int64_t LayerElements() const { return (KSlot() + VSlot()) * num_blocks_ * block_size_; }
  char* LayerK(int32_t layer) const;
  char* LayerV(int32_t layer) const;

  KvLayout layout_;
  int32_t num_blocks_;
  int32_t block_size_;
  uint64_t id_;
  DeviceBuffer memory_;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_KV_MEMORY_H_
