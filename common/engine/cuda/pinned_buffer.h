// An owned allocation of page-locked host memory (cudaMallocHost /
// cudaFreeHost), move-only: the staging area asynchronous host-to-device
// copies read from, which pageable memory cannot be.
#ifndef WEFT_COMMON_ENGINE_CUDA_PINNED_BUFFER_H_
#define WEFT_COMMON_ENGINE_CUDA_PINNED_BUFFER_H_

#include <cstddef>
#include <memory>

#include "absl/status/statusor.h"

namespace weft::engine::gpu {

class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  // `bytes` of pinned host memory (none for 0); ResourceExhausted when the
  // driver cannot lock that much.
  static absl::StatusOr<PinnedBuffer> Allocate(size_t bytes);

  void* data() const { return data_.get(); }
  template <typename T>
  T* as() const {
    return static_cast<T*>(data_.get());
  }
  size_t bytes() const { return data_ != nullptr ? bytes_ : 0; }

 private:
  struct FreeHost {
    void operator()(void* p) const;
  };
  std::unique_ptr<void, FreeHost> data_;  // move-only through unique_ptr
  size_t bytes_ = 0;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_PINNED_BUFFER_H_
