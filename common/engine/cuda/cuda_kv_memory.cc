#include "common/engine/cuda/cuda_kv_memory.h"

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/logging/log.h"

namespace weft::engine::gpu {
namespace {
constexpr int64_t kElement = sizeof(__nv_bfloat16);
}  // namespace

absl::StatusOr<std::unique_ptr<CudaKvMemory>> CudaKvMemory::Create(const KvLayout& layout,
                                                                   int32_t num_blocks,
                                                                   int32_t block_size) {
  if (num_blocks < 0 || block_size <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV memory of ", num_blocks, " blocks of size ", block_size));
  }
  if (layout.element != KvElement::kBf16) {
    return absl::InvalidArgumentError("the CUDA KV memory holds bf16 (KvLayout.element)");
  }
  std::unique_ptr<CudaKvMemory> kv(new CudaKvMemory(layout, num_blocks, block_size));
  const int64_t bytes = kv->LayerElements() * layout.num_layers * kElement;
  absl::StatusOr<DeviceBuffer> memory = DeviceBuffer::Allocate(static_cast<size_t>(bytes));
  if (!memory.ok()) {
    return absl::ResourceExhaustedError(
        absl::StrCat("KV cache of ", num_blocks, " blocks (", bytes,
                     " bytes) on the GPU: ", memory.status().message()));
  }
  kv->memory_ = *std::move(memory);
  return kv;
}

CudaKvMemory::CudaKvMemory(const KvLayout& layout, int32_t num_blocks, int32_t block_size)
    : layout_(layout), num_blocks_(num_blocks), block_size_(block_size) {
  static std::atomic<uint64_t> next_id{1};
  id_ = next_id.fetch_add(1, std::memory_order_relaxed);
}

char* CudaKvMemory::LayerK(int32_t layer) const {
  return memory_.as<char>() + int64_t{layer} * LayerElements() * kElement;
}

char* CudaKvMemory::LayerV(int32_t layer) const {
  return LayerK(layer) + KSlot() * num_blocks_ * block_size_ * kElement;
}

kernels::gpu::PagedKvCacheView CudaKvMemory::Layer(int32_t layer) const {
  kernels::gpu::PagedKvCacheView view;
  view.k = reinterpret_cast<__nv_bfloat16*>(LayerK(layer));
  view.k_slot_stride = KSlot();
  view.k_head_stride = layout_.head_dim;
  if (layout_.latent) {
    view.v = view.k;  // V is the first v_head_dim elements of each K row
    view.v_slot_stride = view.k_slot_stride;
    view.v_head_stride = view.k_head_stride;
  } else {
    view.v = reinterpret_cast<__nv_bfloat16*>(LayerV(layer));
    view.v_slot_stride = VSlot();
    view.v_head_stride = layout_.v_head_dim;
  }
  view.block_size = block_size_;
  view.num_kv_heads = layout_.num_kv_heads;
  view.head_dim = layout_.head_dim;
  view.v_head_dim = layout_.v_head_dim;
  return view;
}

void CudaKvMemory::CopyBlock(int32_t src, int32_t dst) {
  WEFT_CHECK(src >= 0 && src < num_blocks_ && dst >= 0 && dst < num_blocks_);
  const int64_t k_bytes = KSlot() * block_size_ * kElement;
  const int64_t v_bytes = VSlot() * block_size_ * kElement;
  for (int32_t l = 0; l < layout_.num_layers; ++l) {
    WEFT_CHECK(cudaMemcpy(LayerK(l) + dst * k_bytes, LayerK(l) + src * k_bytes, k_bytes,
                          cudaMemcpyDeviceToDevice) == cudaSuccess);
    if (v_bytes > 0) {
      WEFT_CHECK(cudaMemcpy(LayerV(l) + dst * v_bytes, LayerV(l) + src * v_bytes, v_bytes,
                            cudaMemcpyDeviceToDevice) == cudaSuccess);
    }
  }
}

int64_t CudaKvMemory::BlockBytes() const {
  return (KSlot() + VSlot()) * block_size_ * kElement * layout_.num_layers;
}

void CudaKvMemory::ReadBlock(int32_t block, std::string* out) const {
  WEFT_CHECK(block >= 0 && block < num_blocks_);
  out->resize(static_cast<size_t>(BlockBytes()));
  const int64_t k_bytes = KSlot() * block_size_ * kElement;
  const int64_t v_bytes = VSlot() * block_size_ * kElement;
  char* dst = out->data();
  for (int32_t l = 0; l < layout_.num_layers; ++l) {
    WEFT_CHECK(cudaMemcpy(dst, LayerK(l) + block * k_bytes, k_bytes, cudaMemcpyDeviceToHost) ==
               cudaSuccess);
    dst += k_bytes;
    if (v_bytes > 0) {
      WEFT_CHECK(cudaMemcpy(dst, LayerV(l) + block * v_bytes, v_bytes, cudaMemcpyDeviceToHost) ==
                 cudaSuccess);
      dst += v_bytes;
    }
  }
}

absl::Status CudaKvMemory::WriteBlock(int32_t block, absl::string_view data) {
  if (block < 0 || block >= num_blocks_) {
    return absl::InvalidArgumentError(absl::StrCat("KV block ", block, " outside the pool"));
  }
  if (static_cast<int64_t>(data.size()) != BlockBytes()) {
    return absl::InvalidArgumentError(
        absl::StrCat("KV block of ", data.size(), " bytes, expected ", BlockBytes()));
  }
  const int64_t k_bytes = KSlot() * block_size_ * kElement;
  const int64_t v_bytes = VSlot() * block_size_ * kElement;
  const char* src = data.data();
  for (int32_t l = 0; l < layout_.num_layers; ++l) {
    WEFT_CUDA_RETURN_IF_ERROR(
        cudaMemcpy(LayerK(l) + block * k_bytes, src, k_bytes, cudaMemcpyHostToDevice),
        "KV block upload");
    src += k_bytes;
    if (v_bytes > 0) {
      WEFT_CUDA_RETURN_IF_ERROR(
          cudaMemcpy(LayerV(l) + block * v_bytes, src, v_bytes, cudaMemcpyHostToDevice),
          "KV block upload");
      src += v_bytes;
    }
  }
  return absl::OkStatus();
}

}  // namespace weft::engine::gpu
