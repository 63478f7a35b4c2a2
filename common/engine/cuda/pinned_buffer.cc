#include "common/engine/cuda/pinned_buffer.h"

#include <cuda_runtime_api.h>

#include "absl/strings/str_cat.h"
#include "common/engine/cuda/cuda_status.h"

namespace weft::engine::gpu {

absl::StatusOr<PinnedBuffer> PinnedBuffer::Allocate(size_t bytes) {
  PinnedBuffer buffer;
  if (bytes == 0) return buffer;
  void* data = nullptr;
  WEFT_CUDA_RETURN_IF_ERROR(cudaMallocHost(&data, bytes),
                            absl::StrCat("cudaMallocHost of ", bytes, " bytes"));
  buffer.data_.reset(data);
  buffer.bytes_ = bytes;
  return buffer;
}

void PinnedBuffer::FreeHost::operator()(void* p) const { cudaFreeHost(p); }

}  // namespace weft::engine::gpu
