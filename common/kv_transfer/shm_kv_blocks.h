// The receiving side of the shared-memory KV transport: the blocks of one
// KvShmTransfer, mapped read-only from the sender's segment and checked —
// the segment name well-formed, the layout valid and equal to the
// receiver's, one key and one crc32c per block, the segment exactly
// num_blocks * bytes_per_block long, and every block matching its crc32c —
// before any of them is handed out, so that a bad transfer writes nothing.
#ifndef WEFT_COMMON_KV_TRANSFER_SHM_KV_BLOCKS_H_
#define WEFT_COMMON_KV_TRANSFER_SHM_KV_BLOCKS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/kv_transfer/block_key.h"
#include "common/kv_transfer/shm_object.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

class ShmKvBlocks {
 public:
  // Opens and checks `transfer` against the receiver's `layout`. Once the
  // segment name is well-formed, the name is unlinked before this returns,
  // whatever the outcome (the mapping stays valid), so the segment's memory
  // goes as soon as the sender and this object let go of it. Errors, naming
  // the field or block: InvalidArgument for a malformed transfer or another
  // layout; DataLoss for a segment that is missing, of the wrong size, or
  // holds a block that does not match its crc32c.
  static absl::StatusOr<ShmKvBlocks> Open(const weft::v1::KvShmTransfer& transfer,
                                          const weft::v1::KvBlockLayout& layout);

  uint32_t num_blocks() const { return static_cast<uint32_t>(keys_.size()); }
  // Block `i` (< num_blocks()), valid while this object lives.
  absl::string_view block(uint32_t i) const {
    return view_.bytes().substr(static_cast<size_t>(i) * block_bytes_, block_bytes_);
  }
  const BlockHash& key(uint32_t i) const { return keys_[i]; }

 private:
  ShmKvBlocks(ShmView view, uint64_t block_bytes, std::vector<BlockHash> keys)
      : view_(std::move(view)), block_bytes_(block_bytes), keys_(std::move(keys)) {}

  ShmView view_;
  uint64_t block_bytes_;
  std::vector<BlockHash> keys_;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_SHM_KV_BLOCKS_H_
