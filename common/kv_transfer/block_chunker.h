// Cuts one serialized KV block into the checksummed chunks of the wire
// format (KvBlockChunk): contiguous, in offset order, each with its
// crc32c, the last marked last_chunk_of_block. BlockAssembler undoes it.
#ifndef WEFT_COMMON_KV_TRANSFER_BLOCK_CHUNKER_H_
#define WEFT_COMMON_KV_TRANSFER_BLOCK_CHUNKER_H_

#include <cstddef>
#include <cstdint>
#include <functional>

#include "absl/strings/string_view.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

// Calls `emit` with each chunk of `block` (chunk_bytes > 0) in order; the
// chunk carries `block_index` and the payload's offset; request and
// reservation fields are left to the caller. Returns false as soon as
// `emit` does (the transfer broke).
bool ChunkBlock(absl::string_view block, uint32_t block_index, size_t chunk_bytes,
                const std::function<bool(weft::v1::KvBlockChunk&)>& emit);

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_BLOCK_CHUNKER_H_
