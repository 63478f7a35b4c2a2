#include "common/kv_transfer/block_assembler.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/checksum/crc32c.h"
#include "common/kv_transfer/block_layout.h"
#include "common/status/status_macros.h"

namespace weft::kv_transfer {

absl::StatusOr<std::optional<BlockAssembler::Block>> BlockAssembler::Add(
    const weft::v1::KvBlockChunk& chunk) {
  absl::StatusOr<std::optional<Block>> result = AddChecked(chunk);
  if (result.ok()) {
    ++chunks_;
  } else {
    Abandon();
  }
  return result;
}

absl::StatusOr<std::optional<BlockAssembler::Block>> BlockAssembler::AddChecked(
    const weft::v1::KvBlockChunk& chunk) {
  const std::string where = absl::StrCat("chunk ", chunks_, " (block ", chunk.block_index());
  WEFT_ASSIGN_OR_RETURN(const BlockHash hash,
                        ParseBlockKey(chunk.key(), absl::StrCat(where, "): chunk.key")));
  const std::string where_key = absl::StrCat(where, ", key ", BlockHashHex(hash));

  if (!layout_.has_value()) {
    if (!chunk.has_layout()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where_key, "): the first chunk of a stream must carry the layout"));
    }
    WEFT_RETURN_IF_ERROR(ValidateLayout(chunk.layout(), max_block_bytes_,
                                        absl::StrCat(where_key, "): chunk.layout")));
    layout_ = chunk.layout();
  } else if (chunk.has_layout() && !SameLayout(*layout_, chunk.layout())) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_key, "): layout ", LayoutString(chunk.layout()),
                     " differs from the stream's layout ", LayoutString(*layout_)));
  }
  const uint64_t block_bytes = layout_->bytes_per_block();

  if (in_block_ && (hash != block_.hash || chunk.block_index() != block_.block_index)) {
    return absl::InvalidArgumentError(absl::StrCat(
        where_key, "): a new block began before the last one ended: ", DescribeBlockInProgress(),
        " (set last_chunk_of_block on each block's last chunk)"));
  }
  const uint64_t expected_offset = in_block_ ? block_.data.size() : 0;
  if (chunk.offset() != expected_offset) {
    return absl::InvalidArgumentError(
        absl::StrCat(where_key, "): offset ", chunk.offset(), ", expected ", expected_offset,
                     " (a block's chunks arrive in order, without gaps or overlaps)"));
  }
  if (chunk.payload().size() > block_bytes - expected_offset) {
    return absl::InvalidArgumentError(absl::StrCat(
        where_key, ", offset ", chunk.offset(), "): ", chunk.payload().size(),
        " payload bytes run past the block's end at ", block_bytes, " (layout.bytes_per_block)"));
  }
  const uint32_t crc = Crc32c(chunk.payload());
  if (crc != chunk.crc32c()) {
    return absl::DataLossError(
        absl::StrFormat("%s, offset %d): crc32c mismatch: the chunk says 0x%08x, its %d payload "
                        "bytes have 0x%08x",
                        where_key, chunk.offset(), chunk.crc32c(), chunk.payload().size(), crc));
  }
  if (chunk.last_chunk_of_block() && expected_offset + chunk.payload().size() != block_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(where_key, "): the block ended at ",
                                                   expected_offset + chunk.payload().size(),
                                                   " bytes; its layout says ", block_bytes));
  }

  if (!in_block_) {
    WEFT_ASSIGN_OR_RETURN(reservation_, budget_->Reserve(block_bytes));
    in_block_ = true;
    block_.hash = hash;
    block_.block_index = chunk.block_index();
    block_.data.clear();
    block_.data.reserve(block_bytes);
  }
  block_.data.append(chunk.payload());
  if (!chunk.last_chunk_of_block()) return std::nullopt;
  // Complete: the bytes move to the caller and the reservation ends.
  Block done = std::move(block_);
  block_ = Block();
  in_block_ = false;
  reservation_.Release();
  return std::optional<Block>(std::move(done));
}

std::string BlockAssembler::DescribeBlockInProgress() const {
  if (!in_block_) return "";
  return absl::StrCat("block ", block_.block_index, " (key ", BlockHashHex(block_.hash), ") at ",
                      block_.data.size(), " of ", layout_->bytes_per_block(), " bytes");
}

void BlockAssembler::Abandon() {
  in_block_ = false;
  block_ = Block();
  reservation_.Release();
}

}  // namespace weft::kv_transfer
