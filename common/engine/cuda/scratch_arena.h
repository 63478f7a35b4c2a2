// Per-step scratch memory on the GPU: one growable allocation handed out by
// a bump pointer. A step asks for its total first (Reserve), then layers
// take their buffers and give them all back at once (Reset). Not
// thread-safe: one arena per model, used under its step lock.
#ifndef WEFT_COMMON_ENGINE_CUDA_SCRATCH_ARENA_H_
#define WEFT_COMMON_ENGINE_CUDA_SCRATCH_ARENA_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "common/engine/cuda/device_buffer.h"

namespace weft::engine::gpu {

class ScratchArena {
 public:
  // Alignment of every buffer Take returns.
  static constexpr size_t kAlignment = 256;

  // The bytes `count` elements of `element` bytes occupy in the arena.
  static size_t Bytes(int64_t count, size_t element) {
    const size_t raw = static_cast<size_t>(count) * element;
    return (raw + kAlignment - 1) / kAlignment * kAlignment;
  }

  // Makes room for `bytes` (growing, never shrinking; the old contents are
  // dropped, so call it only between steps) and resets. ResourceExhausted
  // when the GPU has no room.
  absl::Status Reserve(size_t bytes);
  void Reset() { used_ = 0; }
  // Bytes reserved: Reserve of up to this many keeps every address.
  size_t capacity() const { return buffer_.bytes(); }
  // Where Reset returns to: a mark taken before a layer's buffers.
  size_t Mark() const { return used_; }
  void Release(size_t mark) { used_ = mark; }

  // `count` elements of T, 256-byte aligned. The caller reserved enough:
  // running out is a bug (checked).
  template <typename T>
  T* Take(int64_t count) {
    return static_cast<T*>(TakeBytes(Bytes(count, sizeof(T))));
  }

 private:
  void* TakeBytes(size_t bytes);

  DeviceBuffer buffer_;
  size_t used_ = 0;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_SCRATCH_ARENA_H_
