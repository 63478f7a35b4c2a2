// Reassembles whole KV blocks from the chunks of one PutBlocks stream and
// checks them: the first chunk carries the layout, which does not change; a
// block's chunks are contiguous, in offset order, each with a matching
// crc32c, and add up to exactly layout.bytes_per_block, the last one marked
// last_chunk_of_block. Only a block that passed every check comes out.
//
// A block in progress holds a reservation of bytes_per_block from the shared
// BufferBudget, released when the block completes, on Abandon(), or when the
// assembler is destroyed. Not thread-safe (one stream's reactions are
// serial).
#ifndef WEFT_COMMON_KV_TRANSFER_BLOCK_ASSEMBLER_H_
#define WEFT_COMMON_KV_TRANSFER_BLOCK_ASSEMBLER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/kv_transfer/block_key.h"
#include "common/kv_transfer/buffer_budget.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

class BlockAssembler {
 public:
  struct Block {
    BlockHash hash{};
    uint32_t block_index = 0;
    std::string data;
  };

  // `budget` outlives the assembler. Layouts with bytes_per_block above
  // `max_block_bytes` are refused.
  BlockAssembler(BufferBudget* budget, uint64_t max_block_bytes)
      : budget_(budget), max_block_bytes_(max_block_bytes) {}

  // Takes the stream's next chunk; returns the block it completes, if any.
  // Errors name the chunk, block and offset: InvalidArgument for a malformed
  // or misplaced chunk, DataLoss for a crc32c mismatch, ResourceExhausted if
  // the buffer budget cannot hold a new block. After an error the stream must
  // end: the block in progress is dropped.
  absl::StatusOr<std::optional<Block>> Add(const weft::v1::KvBlockChunk& chunk);

  // The stream's layout; set once the first chunk was accepted.
  const std::optional<weft::v1::KvBlockLayout>& layout() const { return layout_; }

  // Whether a block is partly received.
  bool in_block() const { return in_block_; }
  // "block 3 (key 00ff...) at 4096 of 8192 bytes"; empty if !in_block().
  std::string DescribeBlockInProgress() const;

  // Drops the block in progress and its reservation.
  void Abandon();

 private:
  absl::StatusOr<std::optional<Block>> AddChecked(const weft::v1::KvBlockChunk& chunk);

  BufferBudget* const budget_;
  const uint64_t max_block_bytes_;
  uint64_t chunks_ = 0;  // accepted so far
  std::optional<weft::v1::KvBlockLayout> layout_;
  bool in_block_ = false;
  Block block_;
  BufferBudget::Reservation reservation_;
};

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_BLOCK_ASSEMBLER_H_
