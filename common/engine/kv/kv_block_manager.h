// The bookkeeping of the paged KV cache: which blocks hold each sequence's
// tokens (its block table), with blocks shared between sequences after a
// fork and copied on write when a sequence appends to a block it shares.
//
// Plain data in and out: operations return what the executor must do (block
// copies) and never touch KV memory themselves, so schedulers can be tested
// without a model. Every operation is all-or-nothing: on error nothing
// changed. Not thread-safe: one scheduler owns it.
#ifndef WEFT_COMMON_ENGINE_KV_KV_BLOCK_MANAGER_H_
#define WEFT_COMMON_ENGINE_KV_KV_BLOCK_MANAGER_H_

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/engine/kv/block_allocator.h"
#include "common/engine/kv/ids.h"

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
  int32_t num_free_blocks() const { return allocator_.num_free(); }
  int32_t num_blocks() const { return allocator_.num_blocks(); }
  int32_t num_sequences() const { return static_cast<int32_t>(sequences_.size()); }

  // Registers an empty sequence. AlreadyExists if `id` is known.
  absl::Status AddSequence(SequenceId id);

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
  // it, and the allocator is consistent. For tests and debug checks.
  absl::Status CheckInvariants() const;

 private:
  struct Sequence {
    std::vector<BlockId> blocks;
    int32_t num_tokens = 0;
  };

  int32_t BlocksFor(int32_t tokens) const { return (tokens + block_size_ - 1) / block_size_; }
  // Whether appending to `seq` writes into a shared, partly filled block.
  bool NeedsCopyOnWrite(const Sequence& seq) const;

  const int32_t block_size_;
  BlockAllocator allocator_;
  absl::flat_hash_map<SequenceId, Sequence> sequences_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_KV_KV_BLOCK_MANAGER_H_
