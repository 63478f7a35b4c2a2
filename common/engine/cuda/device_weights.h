// Model weights on the GPU: float32 tensors from a WeightSource rounded to
// bf16 (round-to-nearest-even, as torch's .to(bfloat16)) and uploaded.
#ifndef WEFT_COMMON_ENGINE_CUDA_DEVICE_WEIGHTS_H_
#define WEFT_COMMON_ENGINE_CUDA_DEVICE_WEIGHTS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "common/engine/cuda/device_buffer.h"

namespace weft::engine::gpu {

// bf16 copy of `values` on the GPU.
absl::StatusOr<DeviceBuffer> UploadBf16(const std::vector<float>& values);

// bf16 bit patterns of `values` (round to nearest even; NaN stays NaN).
std::vector<uint16_t> ToBf16(const std::vector<float>& values);

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_DEVICE_WEIGHTS_H_
