// The bookkeeping of the paged KV cache: which blocks hold each sequence's
// tokens (its block table), with blocks shared between sequences after a
// fork and copied on write when a sequence appends to a block it shares, and
// a prefix cache: full, computed blocks registered under their content hash
// stay in the pool after their sequences end, so a later sequence with the
// same prefix attaches them instead of recomputing; blocks only the cache
// holds are evicted, least recently used first, when the pool runs short.
//
// Plain data in and out: operations return what the executor must do (block
// copies) and never touch KV memory themselves, so schedulers can be tested
// without a model. Every operation is all-or-nothing: on error nothing
// changed. Not thread-safe: one scheduler owns it.
#ifndef WEFT_COMMON_ENGINE_KV_KV_BLOCK_MANAGER_H_
#define WEFT_COMMON_ENGINE_KV_KV_BLOCK_MANAGER_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/engine/kv/block_allocator.h"
#include "common/engine/kv/block_hash.h"
#include "common/engine/kv/ids.h"
#include "common/engine/kv/prefix_cache.h"

namespace weft::engine {

// The executor copies the KV of `src` into `dst` (whole blocks) before the
// step that writes into `dst`.
struct BlockCopy {
  BlockId src;
  BlockId dst;
  friend bool operator==(const BlockCopy&, const BlockCopy&) = default;
};

class KvBlockManager {
 public:
  // `num_blocks` blocks of `block_size` tokens each (block_size > 0).
  KvBlockManager(int32_t num_blocks, int32_t block_size);

  int32_t block_size() const { return block_size_; }
  // Blocks a sequence can take now: free ones plus cached ones nobody uses
  // (evicted on demand).
  int32_t num_free_blocks() const { return allocator_.num_free() + cache_.num_evictable(); }
  int32_t num_cached_blocks() const { return cache_.num_cached(); }
  bool IsCached(const BlockHash& hash) const { return cache_.Contains(hash); }
  const PrefixCacheStats& prefix_cache_stats() const { return cache_.stats(); }
  int32_t num_blocks() const { return allocator_.num_blocks(); }
  int32_t num_sequences() const { return static_cast<int32_t>(sequences_.size()); }

  // Registers an empty sequence. AlreadyExists if `id` is known.
  absl::Status AddSequence(SequenceId id);

  // Registers a sequence whose first tokens are the full blocks hashed in
  // `prefix` (in order), attaching the longest leading run of them that the
  // prefix cache holds. Returns the number of blocks attached: the sequence
  // starts with that many blocks' tokens already computed. AlreadyExists if
  // `id` is known.
  absl::StatusOr<int32_t> AddSequenceWithPrefix(SequenceId id, absl::Span<const BlockHash> prefix);

  // Makes room for a block whose KV comes from elsewhere (the kvcache pool)
  // under `hash`, held by the prefix cache alone (evictable) until a
  // sequence attaches it; the caller fills it. Returns the block and whether
  // it is new (false: `hash` was cached already, nothing to fill).
  // ResourceExhausted when no block is free or evictable.
  absl::StatusOr<std::pair<BlockId, bool>> AddCachedBlock(const BlockHash& hash);

  // Registers block `index` of `id` (full, its KV computed) in the prefix
  // cache under `hash`. Returns whether it was added; false when the hash or
  // the block is cached already. NotFound for an unknown sequence,
  // InvalidArgument for a block that is not full.
  absl::StatusOr<bool> CacheBlock(SequenceId id, int32_t index, const BlockHash& hash);

  // Blocks that Append(id, n) would take from the pool now (new blocks plus
  // a copy of a shared last block), for admission decisions.
  absl::StatusOr<int32_t> BlocksNeeded(SequenceId id, int32_t n) const;

  // Makes room for `n` more tokens at the end of `id`. If the sequence's last,
  // partly filled block is shared, it is first replaced by a private copy,
  // reported in `copies`. ResourceExhausted if the pool is short (nothing
  // changes); NotFound for an unknown sequence.
  absl::Status Append(SequenceId id, int32_t n, std::vector<BlockCopy>* copies);

  // Creates `child` sharing every block of `parent` (same tokens). Takes no
  // free block.
  absl::Status Fork(SequenceId parent, SequenceId child);

  // Drops the sequence and its references; blocks nobody else holds are free
  // again. Used for finished and for aborted sequences alike. NotFound for an
  // unknown sequence.
  absl::Status Free(SequenceId id);

  // The blocks holding the sequence's tokens, in order; valid until the next
  // mutation.
  absl::StatusOr<absl::Span<const BlockId>> BlockTable(SequenceId id) const;
  absl::StatusOr<int32_t> NumTokens(SequenceId id) const;

  // Every block's reference count equals the number of block tables holding
  // it plus one if it is cached, exactly the cached blocks held by nothing
  // else are evictable, and the allocator is consistent. For tests and debug checks.
  absl::Status CheckInvariants() const;

 private:
  struct Sequence {
    std::vector<BlockId> blocks;
    int32_t num_tokens = 0;
  };

  int32_t BlocksFor(int32_t tokens) const { return (tokens + block_size_ - 1) / block_size_; }
  // Whether appending to `seq` writes into a shared, partly filled block.
  bool NeedsCopyOnWrite(const Sequence& seq) const;
  // Allocation evicting cached blocks as needed; all or nothing.
  absl::Status AllocateBlocks(int32_t count, std::vector<BlockId>* out);
  // Reference changes that keep the cache's evictable set in step.
  void AddRef(BlockId block);
  void Release(BlockId block);

  const int32_t block_size_;
  BlockAllocator allocator_;
  PrefixCache cache_;
  absl::flat_hash_map<SequenceId, Sequence> sequences_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_KV_KV_BLOCK_MANAGER_H_
