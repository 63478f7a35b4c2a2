#include "common/engine/cuda/scratch_arena.h"

#include <utility>

#include "common/logging/log.h"

namespace weft::engine::gpu {

absl::Status ScratchArena::Reserve(size_t bytes) {
  used_ = 0;
  if (bytes <= buffer_.bytes()) return absl::OkStatus();
  buffer_ = DeviceBuffer();  // free first: the old and new need not both fit
  absl::StatusOr<DeviceBuffer> grown = DeviceBuffer::Allocate(bytes + bytes / 4);
  if (!grown.ok()) return grown.status();
  buffer_ = *std::move(grown);
  return absl::OkStatus();
}

void* ScratchArena::TakeBytes(size_t bytes) {
  WEFT_CHECK(used_ + bytes <= buffer_.bytes());
  void* p = buffer_.as<char>() + used_;
  used_ += bytes;
  return p;
}

}  // namespace weft::engine::gpu
