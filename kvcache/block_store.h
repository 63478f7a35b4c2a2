// The pooled block store of weft-kvcache: KV blocks in host memory under a
// byte budget, keyed by (model, 16-byte chained block hash).
//
// - Put stores a block, evicting least recently used blocks to make room. A
//   block already stored is only refreshed (its bytes are kept: equal hashes
//   mean equal content). Every block of a model has the model's layout, fixed
//   by the first block put and kept while any block of the model is stored.
// - LookupPrefix counts how many leading keys are stored.
// - PinPrefix holds the leading stored blocks for a reader: a pinned block is
//   never evicted, so a transfer in progress always completes. Pins end when
//   the returned PinnedBlocks is released or destroyed.
//
// Recency: a look-up or an unpin touches a chain's blocks deepest first, so
// that its first blocks are the most recent and a chain is evicted from its
// tail (a head evicted first would strand the rest of the chain).
//
// Salt isolation is the callers': keys are chained from a per-tenant root
// (common/engine/kv/block_hash.h). The store only ever answers for keys it
// holds. Thread-safe.
#ifndef WEFT_KVCACHE_BLOCK_STORE_H_
#define WEFT_KVCACHE_BLOCK_STORE_H_

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "common/base/mutex.h"
#include "common/kv_transfer/block_key.h"
#include "kvcache/kvcache_metrics.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kvcache {

using ::weft::kv_transfer::BlockHash;

class BlockStore {
 public:
  struct Stats {
    uint64_t capacity_bytes = 0;
    uint64_t used_bytes = 0;
    uint64_t blocks = 0;
    uint64_t pinned_blocks = 0;  // distinct blocks with at least one pin
    uint64_t pinned_bytes = 0;
    uint64_t models = 0;  // models with at least one block stored
    uint64_t evictions_total = 0;
    uint64_t prefix_query_blocks_total = 0;
    uint64_t prefix_hit_blocks_total = 0;
    uint64_t put_blocks_total = 0;
    uint64_t put_bytes_total = 0;
  };

  // Blocks held for reading. Movable; releases its pins when destroyed.
  class PinnedBlocks {
   public:
    PinnedBlocks() = default;
    PinnedBlocks(PinnedBlocks&& other) noexcept { *this = std::move(other); }
    PinnedBlocks& operator=(PinnedBlocks&& other) noexcept;
    ~PinnedBlocks() { Release(); }

    size_t size() const { return hashes_.size(); }
    bool empty() const { return hashes_.empty(); }
    // The layout of the model's blocks; meaningful when !empty().
    const weft::v1::KvBlockLayout& layout() const { return layout_; }
    const BlockHash& hash(size_t i) const { return hashes_[i]; }
    // Valid until Release() or destruction.
    absl::string_view data(size_t i) const { return *data_[i]; }

    // Unpins every block now; idempotent.
    void Release();

   private:
    friend class BlockStore;
    BlockStore* store_ = nullptr;
    uint64_t model_id_ = 0;
    weft::v1::KvBlockLayout layout_;
    std::vector<BlockHash> hashes_;
    std::vector<std::shared_ptr<const std::string>> data_;
  };

  // `metrics`, if not null, outlives the store and mirrors its state.
  explicit BlockStore(uint64_t capacity_bytes, KvCacheMetrics* metrics = nullptr);
  // Every PinnedBlocks must have been released.
  ~BlockStore();
  BlockStore(const BlockStore&) = delete;
  BlockStore& operator=(const BlockStore&) = delete;

  uint64_t capacity_bytes() const { return capacity_; }

  // FailedPrecondition if blocks of `model` with another layout are stored.
  absl::Status CheckLayout(absl::string_view model, const weft::v1::KvBlockLayout& layout) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Stores `data` as the block `hash` of `model`; returns whether it was new
  // (false: it was stored already and is now the most recent). Errors, with
  // nothing stored and nothing evicted:
  //   InvalidArgument     empty model, or data.size() != layout.bytes_per_block
  //   FailedPrecondition  the model's stored blocks have another layout
  //   ResourceExhausted   the block is larger than the capacity, or does not
  //                       fit beside the pinned blocks
  absl::StatusOr<bool> Put(absl::string_view model, const weft::v1::KvBlockLayout& layout,
                           const BlockHash& hash, std::string data) ABSL_LOCKS_EXCLUDED(mu_);

  // How many leading `keys` of `model` are stored; counts them as prefix
  // queries and hits, and touches the hits.
  size_t LookupPrefix(absl::string_view model, absl::Span<const BlockHash> keys)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Pins the leading stored `keys` of `model` (as many as LookupPrefix would
  // count; a key may repeat) and returns them. Not counted as a query.
  PinnedBlocks PinPrefix(absl::string_view model, absl::Span<const BlockHash> keys)
      ABSL_LOCKS_EXCLUDED(mu_);

  // Whether the block is stored; touches nothing.
  bool Contains(absl::string_view model, const BlockHash& hash) const ABSL_LOCKS_EXCLUDED(mu_);

  Stats GetStats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Key {
    uint64_t model_id = 0;
    BlockHash hash{};

    friend bool operator==(const Key&, const Key&) = default;
    template <typename H>
    friend H AbslHashValue(H h, const Key& key) {
      return H::combine(std::move(h), key.model_id, key.hash);
    }
  };

  struct Entry {
    std::shared_ptr<const std::string> data;
    uint32_t pins = 0;
    // Position in lru_; valid only while pins == 0 (pinned blocks are not
    // in lru_, so eviction never meets them).
    std::list<Key>::iterator lru;
  };

  struct Model {
    std::string name;
    weft::v1::KvBlockLayout layout;
    uint64_t blocks = 0;
  };

  void Unpin(uint64_t model_id, absl::Span<const BlockHash> hashes) ABSL_LOCKS_EXCLUDED(mu_);

  // The id of `model`, or 0 if it has no blocks stored.
  uint64_t FindModelLocked(absl::string_view model) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Makes `it` the most recent; no-op for pinned blocks.
  void TouchLocked(Entry& entry) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Evicts the least recently used unpinned block; one must exist.
  void EvictOneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Mirrors the gauges into the metrics.
  void PublishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const uint64_t capacity_;
  KvCacheMetrics* const metrics_;

  mutable Mutex mu_;
  absl::flat_hash_map<std::string, uint64_t> model_ids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, Model> models_ ABSL_GUARDED_BY(mu_);
  uint64_t next_model_id_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<Key, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // Unpinned blocks, most recently used first.
  std::list<Key> lru_ ABSL_GUARDED_BY(mu_);
  uint64_t used_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pinned_blocks_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t pinned_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t evictions_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t prefix_query_blocks_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t prefix_hit_blocks_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t put_blocks_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t put_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace weft::kvcache

#endif  // WEFT_KVCACHE_BLOCK_STORE_H_
