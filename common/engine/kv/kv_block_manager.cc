#include "common/engine/kv/kv_block_manager.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace weft::engine {

KvBlockManager::KvBlockManager(int32_t num_blocks, int32_t block_size)
    : block_size_(block_size), allocator_(num_blocks) {
  WEFT_CHECK(block_size > 0) << "block_size " << block_size;
}

absl::Status KvBlockManager::AddSequence(SequenceId id) {
  if (!sequences_.try_emplace(id).second) {
    return absl::AlreadyExistsError(absl::StrCat("sequence ", id.value(), " exists"));
  }
  return absl::OkStatus();
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
  if (absl::Status s = allocator_.Allocate(*needed, &fresh); !s.ok()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("sequence ", id.value(), " +", n, " tokens: ", s.message()));
  }
  size_t next = 0;
  if (NeedsCopyOnWrite(seq)) {
    const BlockId shared = seq.blocks.back();
    const BlockId copy = fresh[next++];
    copies->push_back({shared, copy});
    WEFT_CHECK(allocator_.Release(shared).ok());
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
  for (BlockId block : copy.blocks) WEFT_CHECK(allocator_.AddRef(block).ok());
  sequences_.emplace(child, std::move(copy));
  return absl::OkStatus();
}

absl::Status KvBlockManager::Free(SequenceId id) {
  auto it = sequences_.find(id);
  if (it == sequences_.end()) {
    return absl::NotFoundError(absl::StrCat("sequence ", id.value(), " unknown"));
  }
  for (BlockId block : it->second.blocks) WEFT_CHECK(allocator_.Release(block).ok());
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
  for (int32_t i = 0; i < allocator_.num_blocks(); ++i) {
    if (holders[i] != allocator_.RefCount(BlockId(i))) {
      return absl::InternalError(absl::StrCat("block ", i, ": ", allocator_.RefCount(BlockId(i)),
                                              " references, ", holders[i], " holders"));
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::engine
