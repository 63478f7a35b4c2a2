#include "common/engine/model/cpu_kv_memory.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace weft::engine {

CpuKvMemory::CpuKvMemory(const KvLayout& layout, int32_t num_blocks, int32_t block_size)
    : layout_(layout),
      num_blocks_(num_blocks),
      block_size_(block_size),
      k_slot_floats_(int64_t{layout.num_kv_heads} * layout.head_dim),
      v_slot_floats_(layout.latent ? 0 : int64_t{layout.num_kv_heads} * layout.v_head_dim) {
  WEFT_CHECK(num_blocks >= 0 && block_size > 0) << num_blocks << " blocks of " << block_size;
  const int64_t slots = int64_t{num_blocks} * block_size;
  k_.assign(layout.num_layers, std::vector<float>(slots * k_slot_floats_, 0.0f));
  if (!layout.latent)
    v_.assign(layout.num_layers, std::vector<float>(slots * v_slot_floats_, 0.0f));
}

kernels::cpu::PagedKvCache CpuKvMemory::Layer(int32_t layer) {
  kernels::cpu::PagedKvCache c;
  c.k = k_[layer].data();
  c.k_slot_stride = k_slot_floats_;
  c.k_head_stride = layout_.head_dim;
  if (layout_.latent) {
    c.v = c.k;
    c.v_slot_stride = k_slot_floats_;
    c.v_head_stride = 0;
  } else {
    c.v = v_[layer].data();
    c.v_slot_stride = v_slot_floats_;
    c.v_head_stride = layout_.v_head_dim;
  }
  c.block_size = block_size_;
  c.num_kv_heads = layout_.num_kv_heads;
  c.head_dim = layout_.head_dim;
  c.v_head_dim = layout_.v_head_dim;
  return c;
}

void CpuKvMemory::CopyBlock(int32_t src, int32_t dst) {
  for (int32_t l = 0; l < layout_.num_layers; ++l) {
    const int64_t kb = int64_t{block_size_} * k_slot_floats_;
    std::copy_n(k_[l].begin() + src * kb, kb, k_[l].begin() + dst * kb);
    if (!layout_.latent) {
      const int64_t vb = int64_t{block_size_} * v_slot_floats_;
      std::copy_n(v_[l].begin() + src * vb, vb, v_[l].begin() + dst * vb);
    }
  }
}

int64_t CpuKvMemory::BlockBytes() const {
  return int64_t{layout_.num_layers} * block_size_ * (k_slot_floats_ + v_slot_floats_) *
         static_cast<int64_t>(sizeof(float));
}

void CpuKvMemory::ReadBlock(int32_t block, std::string* out) const {
  WEFT_CHECK(block >= 0 && block < num_blocks_) << "block " << block;
  out->resize(BlockBytes());
  char* dst = out->data();
  const int64_t kb = int64_t{block_size_} * k_slot_floats_;
  const int64_t vb = int64_t{block_size_} * v_slot_floats_;
  for (int32_t l = 0; l < layout_.num_layers; ++l) {
    std::memcpy(dst, k_[l].data() + block * kb, kb * sizeof(float));
    dst += kb * sizeof(float);
    if (vb > 0) {
      std::memcpy(dst, v_[l].data() + block * vb, vb * sizeof(float));
      dst += vb * sizeof(float);
    }
  }
}

absl::Status CpuKvMemory::WriteBlock(int32_t block, absl::string_view data) {
  if (block < 0 || block >= num_blocks_) {
    return absl::InvalidArgumentError(
        absl::StrCat("block ", block, " outside the pool of ", num_blocks_));
  }
  if (static_cast<int64_t>(data.size()) != BlockBytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("block data of ", data.size(), " bytes, expected ", BlockBytes()));
  }
  const char* src = data.data();
  const int64_t kb = int64_t{block_size_} * k_slot_floats_;
  const int64_t vb = int64_t{block_size_} * v_slot_floats_;
  for (int32_t l = 0; l < layout_.num_layers; ++l) {
    std::memcpy(k_[l].data() + block * kb, src, kb * sizeof(float));
    src += kb * sizeof(float);
    if (vb > 0) {
      std::memcpy(v_[l].data() + block * vb, src, vb * sizeof(float));
      src += vb * sizeof(float);
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::engine
