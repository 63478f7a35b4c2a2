// The prefix cache's index: which KV block holds the block with a given
// content hash (block_hash.h), and which cached blocks nobody but the cache
// uses any more, in least-recently-used order, so they can be evicted when
// the pool runs short.
//
// The index holds no references itself: KvBlockManager takes one allocator
// reference per cached block and tells the index when a block's only holder
// becomes the cache (MarkEvictable) or a sequence takes it again (MarkInUse).
// Only full blocks whose KV is computed are cached; they are never written
// again, so sharing them is safe. Not thread-safe: one scheduler owns it.
#ifndef WEFT_COMMON_ENGINE_KV_PREFIX_CACHE_H_
#define WEFT_COMMON_ENGINE_KV_PREFIX_CACHE_H_

#include <cstdint>
#include <list>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "common/engine/kv/block_hash.h"
#include "common/engine/kv/ids.h"

namespace weft::engine {

// Counters for metrics (monotone over the cache's life).
struct PrefixCacheStats {
  int64_t queried_blocks = 0;  // full prompt blocks looked up
  int64_t hit_blocks = 0;      // of those, found cached
  int64_t inserted_blocks = 0;
  int64_t evicted_blocks = 0;
};

class PrefixCache {
 public:
  // For a pool of `num_blocks` blocks.
  explicit PrefixCache(int32_t num_blocks);

  // The cached block holding `hash`, if any; refreshes the entry's recency.
  std::optional<BlockId> Lookup(const BlockHash& hash);
  // Counts a prompt lookup: `queried` full blocks, of which `hit` were cached.
  void RecordLookup(int32_t queried, int32_t hit) {
    stats_.queried_blocks += queried;
    stats_.hit_blocks += hit;
  }

  // Whether `hash` is cached, without counting or refreshing.
  bool Contains(const BlockHash& hash) const { return by_hash_.contains(hash); }
  // Whether `block` is cached (under some hash).
  bool IsCached(BlockId block) const;

  // Caches `block` under `hash`. Returns false (and changes nothing) when the
  // hash is already cached (another block computed the same content) or the
  // block is already cached under another hash. A new entry is in use.
  bool Insert(const BlockHash& hash, BlockId block);

  // The cache is the block's only holder now: it may be evicted, least
  // recently used first. No-op for a block that is not cached.
  void MarkEvictable(BlockId block);
  // A sequence holds the block again: it may not be evicted.
  void MarkInUse(BlockId block);

  // Removes the least recently used evictable entry and returns its block
  // (the caller drops the cache's reference), or nullopt if none.
  std::optional<BlockId> EvictOne();

  int32_t num_cached() const { return static_cast<int32_t>(by_hash_.size()); }
  int32_t num_evictable() const { return static_cast<int32_t>(evictable_.size()); }
  const PrefixCacheStats& stats() const { return stats_; }

 private:
  struct Entry {
    BlockHash hash;
    bool cached = false;
    bool evictable = false;
    std::list<BlockId>::iterator lru;  // into evictable_ when evictable
  };

  absl::flat_hash_map<BlockHash, BlockId> by_hash_;
  std::vector<Entry> by_block_;  // indexed by block id
  // Evictable blocks, least recently used at the front.
  std::list<BlockId> evictable_;
  PrefixCacheStats stats_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_KV_PREFIX_CACHE_H_
