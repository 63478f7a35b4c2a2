#include "common/engine/kv/kv_block_manager.h"

#include <limits>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace weft::engine {

KvBlockManager::KvBlockManager(int32_t num_blocks, int32_t block_size)
    : block_size_(block_size), allocator_(num_blocks), cache_(num_blocks) {
  WEFT_CHECK(block_size > 0) << "block_size " << block_size;
}

absl::Status KvBlockManager::AddSequence(SequenceId id) {
  if (!sequences_.try_emplace(id).second) {
    return absl::AlreadyExistsError(absl::StrCat("sequence ", id.value(), " exists"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int32_t> KvBlockManager::AddSequenceWithPrefix(SequenceId id,
                                                              absl::Span<const BlockHash> prefix) {
  if (sequences_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("sequence ", id.value(), " exists"));
  }
  Sequence seq;
  for (const BlockHash& hash : prefix) {
    const std::optional<BlockId> block = cache_.Lookup(hash);
    if (!block.has_value()) break;
    AddRef(*block);
    seq.blocks.push_back(*block);
  }
  const int32_t attached = static_cast<int32_t>(seq.blocks.size());
  cache_.RecordLookup(static_cast<int32_t>(prefix.size()), attached);
  seq.num_tokens = attached * block_size_;
  sequences_.emplace(id, std::move(seq));
  return attached;
}

absl::StatusOr<std::pair<BlockId, bool>> KvBlockManager::AddCachedBlock(const BlockHash& hash) {
  if (const std::optional<BlockId> cached = cache_.Lookup(hash)) {
    return std::make_pair(*cached, false);
  }
  std::vector<BlockId> fresh;
  if (absl::Status s = AllocateBlocks(1, &fresh); !s.ok()) return s;
  const BlockId block = fresh[0];
  WEFT_CHECK(cache_.Insert(hash, block));  // the allocation's reference is the cache's
  cache_.MarkEvictable(block);
  return std::make_pair(block, true);
}

absl::StatusOr<bool> KvBlockManager::CacheBlock(SequenceId id, int32_t index,
                                                const BlockHash& hash) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  if (index < 0 || index >= it->second.num_tokens / block_size_) {
    return absl::InvalidArgumentError(
        absl::StrCat("sequence ", id.value(), ": block ", index, " is not full"));
  }
  const BlockId block = it->second.blocks[index];
  if (!cache_.Insert(hash, block)) return false;
  WEFT_CHECK(allocator_.AddRef(block).ok());  // the cache's reference
  return true;
}

void KvBlockManager::AddRef(BlockId block) {
  if (allocator_.RefCount(block) == 1) cache_.MarkInUse(block);
  WEFT_CHECK(allocator_.AddRef(block).ok()) << "block " << block.value();
}

void KvBlockManager::Release(BlockId block) {
  WEFT_CHECK(allocator_.Release(block).ok()) << "block " << block.value();
  if (allocator_.RefCount(block) == 1) cache_.MarkEvictable(block);
}

absl::Status KvBlockManager::AllocateBlocks(int32_t count, std::vector<BlockId>* out) {
  if (count > num_free_blocks()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("need ", count, " blocks, ", num_free_blocks(), " available"));
  }
  while (allocator_.num_free() < count) {
    const std::optional<BlockId> evicted = cache_.EvictOne();
    WEFT_CHECK(evicted.has_value());
    WEFT_CHECK(allocator_.Release(*evicted).ok());  // the cache's reference: now free
  }
  return allocator_.Allocate(count, out);
}

bool KvBlockManager::NeedsCopyOnWrite(const Sequence& seq) const {
  return seq.num_tokens % block_size_ != 0 && !seq.blocks.empty() &&
         allocator_.RefCount(seq.blocks.back()) > 1;
}

absl::StatusOr<int32_t> KvBlockManager::BlocksNeeded(SequenceId id, int32_t n) const {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  if (n < 0) return absl::InvalidArgumentError(absl::StrCat("append ", n, " tokens"));
  const Sequence& seq = it->second;
  if (int64_t{seq.num_tokens} + n > std::numeric_limits<int32_t>::max() - block_size_) {
    return absl::InvalidArgumentError(
        absl::StrCat("sequence ", id.value(), ": ", n, " more tokens overflow its length"));
  }
  const int32_t new_blocks = BlocksFor(seq.num_tokens + n) - BlocksFor(seq.num_tokens);
  const int32_t copy = (n > 0 && NeedsCopyOnWrite(seq)) ? 1 : 0;
  return new_blocks + copy;
}

absl::Status KvBlockManager::Append(SequenceId id, int32_t n, std::vector<BlockCopy>* copies) {
  absl::StatusOr<int32_t> needed = BlocksNeeded(id, n);
  if (!needed.ok()) return needed.status();
  if (n == 0) return absl::OkStatus();
  Sequence& seq = sequences_.at(id);
  std::vector<BlockId> fresh;
  if (absl::Status s = AllocateBlocks(*needed, &fresh); !s.ok()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("sequence ", id.value(), " +", n, " tokens: ", s.message()));
  }
  size_t next = 0;
  if (NeedsCopyOnWrite(seq)) {
    const BlockId shared = seq.blocks.back();
    const BlockId copy = fresh[next++];
    copies->push_back({shared, copy});
    Release(shared);
    seq.blocks.back() = copy;
  }
  for (; next < fresh.size(); ++next) seq.blocks.push_back(fresh[next]);
  seq.num_tokens += n;
  return absl::OkStatus();
}

absl::Status KvBlockManager::Fork(SequenceId parent, SequenceId child) {
  auto it = sequences_.find(parent);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", parent.value(), " unknown"));
  }
  if (sequences_.contains(child)) {
    return absl::AlreadyExistsError(absl::StrCat("sequence ", child.value(), " exists"));
  }
  Sequence copy = it->second;  // `it` may be invalidated by the insertion below
  for (BlockId block : copy.blocks) AddRef(block);
  sequences_.emplace(child, std::move(copy));
  return absl::OkStatus();
}

absl::Status KvBlockManager::Free(SequenceId id) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  // Last block first: cached blocks become evictable tail first, so a
  // prefix's later blocks are evicted before the earlier ones they need.
  const std::vector<BlockId>& blocks = it->second.blocks;
  for (auto b = blocks.rbegin(); b != blocks.rend(); ++b) Release(*b);
  sequences_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<absl::Span<const BlockId>> KvBlockManager::BlockTable(SequenceId id) const {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  return absl::Span<const BlockId>(it->second.blocks);
}

absl::StatusOr<int32_t> KvBlockManager::NumTokens(SequenceId id) const {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  return it->second.num_tokens;
}

absl::Status KvBlockManager::CheckInvariants() const {
  if (absl::Status s = allocator_.CheckConsistency(); !s.ok()) return s;
  std::vector<int32_t> holders(allocator_.num_blocks(), 0);
  for (const auto& [id, seq] : sequences_) {
    if (static_cast<int32_t>(seq.blocks.size()) != BlocksFor(seq.num_tokens)) {
      return absl::InternalError(absl::StrCat("sequence ", id.value(), ": ", seq.blocks.size(),
                                              " blocks for ", seq.num_tokens, " tokens"));
    }
    for (BlockId block : seq.blocks) ++holders[block.value()];
  }
  int32_t evictable = 0;
  for (int32_t i = 0; i < allocator_.num_blocks(); ++i) {
    const bool cached = cache_.IsCached(BlockId(i));
    if (holders[i] + (cached ? 1 : 0) != allocator_.RefCount(BlockId(i))) {
      return absl::InternalError(absl::StrCat("block ", i, ": ", allocator_.RefCount(BlockId(i)),
                                              " references, ", holders[i], " holders",
                                              cached ? " and the prefix cache" : ""));
    }
    if (cached && holders[i] == 0) ++evictable;
  }
  if (evictable != cache_.num_evictable()) {
    return absl::InternalError(absl::StrCat(evictable, " cached blocks held by no sequence, ",
                                            cache_.num_evictable(), " evictable"));
  }
  return absl::OkStatus();
}

}  // namespace weft::engine
