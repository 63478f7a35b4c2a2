#include "common/kv_transfer/kv_layout_proto.h"

namespace weft::kv_transfer {

weft::v1::KvBlockLayout LayoutProto(const engine::KvLayout& layout, int32_t block_size) {
  weft::v1::KvBlockLayout out;
  out.set_num_layers(static_cast<uint32_t>(layout.num_layers));
  out.set_block_size_tokens(static_cast<uint32_t>(block_size));
  out.set_num_kv_heads(static_cast<uint32_t>(layout.num_kv_heads));
  out.set_head_dim(static_cast<uint32_t>(layout.head_dim));
  out.set_value_head_dim(layout.latent ? 0u : static_cast<uint32_t>(layout.v_head_dim));
  out.set_dtype(layout.element == engine::KvElement::kBf16 ? weft::v1::KV_DTYPE_BF16
                                                           : weft::v1::KV_DTYPE_FP32);
  out.set_bytes_per_block(static_cast<uint64_t>(layout.BytesPerToken()) * block_size);
  return out;
}

}  // namespace weft::kv_transfer
