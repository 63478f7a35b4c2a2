// An owned allocation of GPU memory (cudaMalloc / cudaFree), move-only.
#ifndef WEFT_COMMON_ENGINE_CUDA_DEVICE_BUFFER_H_
#define WEFT_COMMON_ENGINE_CUDA_DEVICE_BUFFER_H_

#include <cstddef>
#include <vector>

#include "absl/status/statusor.h"

namespace weft::engine::gpu {

class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // `bytes` of device memory on the current device (none for 0);
  // ResourceExhausted when the GPU has no room.
  static absl::StatusOr<DeviceBuffer> Allocate(size_t bytes);
  // A copy of `values` on the device.
  template <typename T>
  static absl::StatusOr<DeviceBuffer> From(const std::vector<T>& values) {
    return FromHost(values.data(), values.size() * sizeof(T));
  }
  static absl::StatusOr<DeviceBuffer> FromHost(const void* data, size_t bytes);

  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer();

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

#endif  // WEFT_COMMON_ENGINE_CUDA_DEVICE_BUFFER_H_
