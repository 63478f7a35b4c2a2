// The wire description (KvBlockLayout) of an engine's KV blocks (checks on
// it: block_layout.h).
#ifndef WEFT_COMMON_KV_TRANSFER_KV_LAYOUT_PROTO_H_
#define WEFT_COMMON_KV_TRANSFER_KV_LAYOUT_PROTO_H_

#include <cstdint>
#include <string>

#include "common/engine/model/kv_memory.h"
#include "proto/kv_transfer.pb.h"

namespace weft::kv_transfer {

// The layout of float32 blocks of `block_size` tokens of `layout` (the CPU
// backend's KvMemory::ReadBlock format).
weft::v1::KvBlockLayout LayoutProto(const engine::KvLayout& layout, int32_t block_size);

}  // namespace weft::kv_transfer

#endif  // WEFT_COMMON_KV_TRANSFER_KV_LAYOUT_PROTO_H_
