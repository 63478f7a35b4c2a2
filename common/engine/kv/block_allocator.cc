#include "common/engine/kv/block_allocator.h"

#include "absl/strings/str_cat.h"

namespace weft::engine {

BlockAllocator::BlockAllocator(int32_t num_blocks)
    : ref_counts_(num_blocks > 0 ? num_blocks : 0, 0) {
  free_.reserve(ref_counts_.size());
  // Hand out low ids first.
  for (int32_t i = num_blocks - 1; i >= 0; --i) free_.push_back(BlockId(i));
}

absl::Status BlockAllocator::Allocate(int32_t count, std::vector<BlockId>* out) {
  if (count < 0) return absl::InvalidArgumentError(absl::StrCat("allocate ", count, " blocks"));
  if (count > num_free()) {
    return absl::ResourceExhaustedError(absl::StrCat("KV pool: ", count, " blocks wanted, ",
                                                     num_free(), " of ", num_blocks(), " free"));
  }
  for (int32_t i = 0; i < count; ++i) {
    const BlockId block = free_.back();
    free_.pop_back();
    ref_counts_[block.value()] = 1;
    out->push_back(block);
  }
  return absl::OkStatus();
}

absl::StatusOr<BlockId> BlockAllocator::Allocate() {
  std::vector<BlockId> one;
  if (absl::Status s = Allocate(1, &one); !s.ok()) return s;
  return one.front();
}

absl::Status BlockAllocator::CheckHeld(BlockId block) const {
  if (block.value() < 0 || block.value() >= num_blocks()) {
    return absl::OutOfRangeError(
        absl::StrCat("block ", block.value(), " outside the pool of ", num_blocks()));
  }
  if (ref_counts_[block.value()] == 0) {
    return absl::FailedPreconditionError(absl::StrCat("block ", block.value(), " is free"));
  }
  return absl::OkStatus();
}

absl::Status BlockAllocator::AddRef(BlockId block) {
  if (absl::Status s = CheckHeld(block); !s.ok()) return s;
  ++ref_counts_[block.value()];
  return absl::OkStatus();
}

absl::Status BlockAllocator::Release(BlockId block) {
  if (absl::Status s = CheckHeld(block); !s.ok()) return s;
  if (--ref_counts_[block.value()] == 0) free_.push_back(block);
  return absl::OkStatus();
}

int32_t BlockAllocator::RefCount(BlockId block) const {
  if (block.value() < 0 || block.value() >= num_blocks()) return 0;
  return ref_counts_[block.value()];
}

absl::Status BlockAllocator::CheckConsistency() const {
  std::vector<bool> on_free_list(ref_counts_.size(), false);
  for (BlockId block : free_) {
    if (block.value() < 0 || block.value() >= num_blocks()) {
      return absl::InternalError(absl::StrCat("free list holds block ", block.value()));
    }
    if (on_free_list[block.value()]) {
      return absl::InternalError(absl::StrCat("block ", block.value(), " twice on the free list"));
    }
    if (ref_counts_[block.value()] != 0) {
      return absl::InternalError(absl::StrCat("block ", block.value(), " free with ",
                                              ref_counts_[block.value()], " references"));
    }
    on_free_list[block.value()] = true;
  }
  for (int32_t i = 0; i < num_blocks(); ++i) {
    if (ref_counts_[i] < 0) {
      return absl::InternalError(absl::StrCat("block ", i, " has negative references"));
    }
    if (ref_counts_[i] == 0 && !on_free_list[i]) {
      return absl::InternalError(absl::StrCat("block ", i, " leaked: no references, not free"));
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::engine
