// The shape of a model's KV cache and the backend-neutral interface of the
// memory holding it. MHA/GQA caches store K and V per KV head; MLA caches
// store one latent row per slot (kv_lora_rank + rope dims), which serves as
// both K and V.
#ifndef WEFT_COMMON_ENGINE_MODEL_KV_MEMORY_H_
#define WEFT_COMMON_ENGINE_MODEL_KV_MEMORY_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace weft::engine {

// The element type a backend keeps KV in: float32 on the CPU backend, bf16
// on the CUDA backend. Serialized blocks (KV transfer, the kvcache pool)
// carry it, so instances of different backends refuse each other's blocks.
enum class KvElement { kFloat32, kBf16 };

struct KvLayout {
  int32_t num_layers = 0;
  int32_t num_kv_heads = 0;  // 1 for MLA
  int32_t head_dim = 0;      // K row per head (MLA: kv_lora_rank + rope dims)
  int32_t v_head_dim = 0;    // V row per head (MLA: kv_lora_rank)
  bool latent = false;       // MLA: V is the first v_head_dim elements of K
  KvElement element = KvElement::kFloat32;

  int64_t ElementBytes() const { return element == KvElement::kBf16 ? 2 : 4; }
  // Bytes of one token's KV across all layers.
  int64_t BytesPerToken() const {
    const int64_t per_layer = latent ? head_dim : int64_t{num_kv_heads} * (head_dim + v_head_dim);
    return per_layer * num_layers * ElementBytes();
  }
};

// The KV cache memory of one instance, whatever the backend: a pool of
// num_blocks blocks of block_size slots. The engine's bookkeeping
// (KvBlockManager) decides what goes where; the memory copies blocks for
// copy-on-write and serializes whole blocks for KV transfer between
// instances and the kvcache pool. Each backend's model (CausalLm) creates
// its own kind and reads/writes it in Forward.
class KvMemory {
 public:
  virtual ~KvMemory() = default;

  virtual const KvLayout& layout() const = 0;
  virtual int32_t num_blocks() const = 0;
  virtual int32_t block_size() const = 0;

  // Copies whole blocks (the executor's part of copy-on-write).
  virtual void CopyBlock(int32_t src, int32_t dst) = 0;

  // Size of one serialized block: for each layer, the block's K rows then
  // its V rows (none for latent caches), in the backend's element type.
  virtual int64_t BlockBytes() const = 0;
  // Serializes block `block` into `out` (resized to BlockBytes()).
  virtual void ReadBlock(int32_t block, std::string* out) const = 0;
  // Overwrites block `block` from `data`; InvalidArgument if its size is not
  // BlockBytes() or the block is outside the pool.
  virtual absl::Status WriteBlock(int32_t block, absl::string_view data) = 0;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_KV_MEMORY_H_
