#include "common/kv_transfer/block_chunker.h"

#include <algorithm>

#include "common/checksum/crc32c.h"

namespace weft::kv_transfer {

bool ChunkBlock(absl::string_view block, uint32_t block_index, size_t chunk_bytes,
                const std::function<bool(weft::v1::KvBlockChunk&)>& emit) {
  size_t offset = 0;
  do {
    const size_t size = std::min(chunk_bytes, block.size() - offset);
    const absl::string_view payload = block.substr(offset, size);
    weft::v1::KvBlockChunk chunk;
    chunk.set_block_index(block_index);
    chunk.set_offset(offset);
    chunk.set_payload(payload.data(), payload.size());
    chunk.set_crc32c(Crc32c(payload));
    offset += size;
    chunk.set_last_chunk_of_block(offset == block.size());
    if (!emit(chunk)) return false;
  } while (offset < block.size());
  return true;
}

}  // namespace weft::kv_transfer
