#include "common/engine/kv/prefix_cache.h"

#include "common/logging/log.h"

namespace weft::engine {

PrefixCache::PrefixCache(int32_t num_blocks) : by_block_(num_blocks) {}

bool PrefixCache::IsCached(BlockId block) const {
  const int32_t i = block.value();
  return i >= 0 && i < static_cast<int32_t>(by_block_.size()) && by_block_[i].cached;
}

std::optional<BlockId> PrefixCache::Lookup(const BlockHash& hash) {
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  Entry& e = by_block_[it->second.value()];
  if (e.evictable) {  // most recently used now
    evictable_.splice(evictable_.end(), evictable_, e.lru);
  }
  return it->second;
}

bool PrefixCache::Insert(const BlockHash& hash, BlockId block) {
  WEFT_CHECK(block.value() >= 0 && block.value() < static_cast<int32_t>(by_block_.size()))
      << "block " << block.value();
  Entry& e = by_block_[block.value()];
  if (e.cached || by_hash_.contains(hash)) return false;
  by_hash_.emplace(hash, block);
  e = Entry{.hash = hash, .cached = true};
  ++stats_.inserted_blocks;
  return true;
}

void PrefixCache::MarkEvictable(BlockId block) {
  if (!IsCached(block)) return;
  Entry& e = by_block_[block.value()];
  if (e.evictable) return;
  e.evictable = true;
  e.lru = evictable_.insert(evictable_.end(), block);
}

void PrefixCache::MarkInUse(BlockId block) {
  if (!IsCached(block)) return;
  Entry& e = by_block_[block.value()];
  if (!e.evictable) return;
  evictable_.erase(e.lru);
  e.evictable = false;
}

std::optional<BlockId> PrefixCache::EvictOne() {
  if (evictable_.empty()) return std::nullopt;
  const BlockId block = evictable_.front();
  evictable_.pop_front();
  Entry& e = by_block_[block.value()];
  by_hash_.erase(e.hash);
  e = Entry{};
  ++stats_.evicted_blocks;
  return block;
}

}  // namespace weft::engine
