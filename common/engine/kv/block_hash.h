// Content hashes of KV blocks: the identity of a block in prefix caching and
// in the kvcache pool. A block's hash chains the hash of everything before it
// (model, tenant salt, all earlier tokens) with its own tokens, so equal
// hashes mean equal prefixes, and one tenant's cache never serves another's.
// SHA-256 truncated to 128 bits, over a versioned, length-prefixed encoding:
// stable across processes, machines and releases of the same format.
#ifndef WEFT_COMMON_ENGINE_KV_BLOCK_HASH_H_
#define WEFT_COMMON_ENGINE_KV_BLOCK_HASH_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace weft::engine {

struct BlockHash {
  std::array<uint8_t, 16> bytes{};

  friend bool operator==(const BlockHash&, const BlockHash&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const BlockHash& hash) {
    return H::combine(std::move(h), hash.bytes);
  }
  std::string ToHex() const;
};

// The hash every chain starts from: model identity and tenant salt.
BlockHash RootBlockHash(absl::string_view model, absl::string_view tenant_salt);

// The hash of a block holding `tokens`, following the block (or root) `parent`.
BlockHash ChainBlockHash(const BlockHash& parent, absl::Span<const int32_t> tokens);

// Hashes of the full blocks of `tokens` (a trailing partial block has none).
std::vector<BlockHash> HashFullBlocks(const BlockHash& root, absl::Span<const int32_t> tokens,
                                      int32_t block_size);

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_KV_BLOCK_HASH_H_
