// An owned allocation of page-locked host memory (cudaMallocHost /
// cudaFreeHost), move-only: the staging area asynchronous host-to-device
// copies read from, which pageable memory cannot be.
#ifndef WEFT_COMMON_ENGINE_CUDA_PINNED_BUFFER_H_
#define WEFT_COMMON_ENGINE_CUDA_PINNED_BUFFER_H_

#include <cstddef>

#include "absl/status/statusor.h"

namespace weft::engine::gpu {

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  // `bytes` of pinned host memory (none for 0); ResourceExhausted when the
  // driver cannot lock that much.
  static absl::StatusOr<PinnedBuffer> Allocate(size_t bytes);

  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  ~PinnedBuffer();

  void* data() const { return data_; }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  size_t bytes() const { return bytes_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_PINNED_BUFFER_H_
