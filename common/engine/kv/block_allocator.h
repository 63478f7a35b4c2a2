// Reference-counted allocation of the fixed-size KV blocks of one pool.
//
// A block is free or held by one or more owners (sequences sharing a prefix,
// the prefix cache); each owner holds one reference. A block returns to the
// free list when its last reference is released. Not thread-safe: one
// scheduler owns the allocator.
#ifndef WEFT_COMMON_ENGINE_KV_BLOCK_ALLOCATOR_H_
#define WEFT_COMMON_ENGINE_KV_BLOCK_ALLOCATOR_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/engine/kv/ids.h"

namespace weft::engine {

class BlockAllocator {
 public:
  // A pool of `num_blocks` blocks, all free. num_blocks >= 0.
  explicit BlockAllocator(int32_t num_blocks);

  // Takes `count` free blocks, each with one reference, appending them to
  // `out`. All or nothing: ResourceExhausted (and no change) when fewer than
  // `count` are free.
  absl::Status Allocate(int32_t count, std::vector<BlockId>* out);
  absl::StatusOr<BlockId> Allocate();

  // Adds a reference to a held block. FailedPrecondition for a free block,
  // OutOfRange for an id outside the pool.
  absl::Status AddRef(BlockId block);

  // Drops one reference; the block is free again when none is left. Errors
  // as AddRef.
  absl::Status Release(BlockId block);

  int32_t RefCount(BlockId block) const;  // 0 for free or out-of-range blocks
  int32_t num_blocks() const { return static_cast<int32_t>(ref_counts_.size()); }
  int32_t num_free() const { return static_cast<int32_t>(free_.size()); }
  int32_t num_used() const { return num_blocks() - num_free(); }

  // Internal consistency: the free list holds exactly the blocks with no
  // reference, each once. For tests and debug checks.
  absl::Status CheckConsistency() const;

 private:
  absl::Status CheckHeld(BlockId block) const;

  std::vector<int32_t> ref_counts_;  // by block id
  std::vector<BlockId> free_;        // LIFO: recently freed blocks are reused first
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_KV_BLOCK_ALLOCATOR_H_
