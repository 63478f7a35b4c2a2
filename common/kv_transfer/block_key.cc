#include "common/kv_transfer/block_key.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace weft::kv_transfer {

absl::StatusOr<BlockHash> ParseBlockKey(const weft::v1::KvBlockKey& key, absl::string_view field) {
  if (key.hash().size() != kBlockHashBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".hash is ", key.hash().size(),
                                                   " bytes; a block hash is ", kBlockHashBytes));
  }
  BlockHash hash;
  std::memcpy(hash.data(), key.hash().data(), kBlockHashBytes);
  return hash;
}

std::string BlockHashHex(const BlockHash& hash) {
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
}

}  // namespace weft::kv_transfer
