// Checks on KvBlockLayout, the byte layout every stored block of a model
// shares.
#ifndef WEFT_COMMON_KV_TRANSFER_BLOCK_LAYOUT_H_
#define WEFT_COMMON_KV_TRANSFER_BLOCK_LAYOUT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

// InvalidArgument, naming `field` and each bad part, unless `layout` has
// non-zero num_layers, block_size_tokens, num_kv_heads, head_dim and
// bytes_per_block, a dtype, and bytes_per_block <= max_block_bytes. The
// store treats the layout as opaque otherwise: blocks are byte strings.
absl::Status ValidateLayout(const weft::v1::KvBlockLayout& layout, uint64_t max_block_bytes,
                            absl::string_view field);

bool SameLayout(const weft::v1::KvBlockLayout& a, const weft::v1::KvBlockLayout& b);

// "{num_layers: 2 block_size_tokens: 16 ...}", for messages.
std::string LayoutString(const weft::v1::KvBlockLayout& layout);

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_BLOCK_LAYOUT_H_
