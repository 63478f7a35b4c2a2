// The identity of a stored block within a model: the 16-byte chained hash of
// KvBlockKey (common/engine/kv/block_hash.h computes it).
#ifndef WEFT_COMMON_KV_TRANSFER_BLOCK_KEY_H_
#define WEFT_COMMON_KV_TRANSFER_BLOCK_KEY_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

inline constexpr size_t kBlockHashBytes = 16;

using BlockHash = std::array<uint8_t, kBlockHashBytes>;

// The hash of `key`; InvalidArgument, naming `field` ("keys[3]"), unless it is
// exactly kBlockHashBytes long.
absl::StatusOr<BlockHash> ParseBlockKey(const weft::v1::KvBlockKey& key, absl::string_view field);

// 32 lowercase hex digits, for messages.
std::string BlockHashHex(const BlockHash& hash);

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_BLOCK_KEY_H_
