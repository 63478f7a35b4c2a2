// A linear layer's weight on the GPU, in the precision the model was loaded
// with: bf16, or INT8 W8A8 (symmetric per-output-channel scales; the
// activations are quantized per token at run time). Stacked matrices (fused
// q/k/v and gate/up rows, a layer's experts) are one weight of
// [groups, n, k] with groups * n scales.
#ifndef WEFT_COMMON_ENGINE_CUDA_DEVICE_LINEAR_WEIGHT_H_
#define WEFT_COMMON_ENGINE_CUDA_DEVICE_LINEAR_WEIGHT_H_

#include <cstdint>

#include "common/engine/cuda/device_buffer.h"

namespace weft::engine::gpu {

struct DeviceLinearWeight {
  DeviceBuffer values;  // bf16, or int8 when `scales` is set; row-major [rows, k]
  DeviceBuffer scales;  // float32 [rows]: row j ~= values[j, :] * scales[j]; empty for bf16
  int64_t rows = 0;     // all stacked output rows
  int64_t k = 0;        // input features

  bool int8() const { return scales.data() != nullptr; }
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_DEVICE_LINEAR_WEIGHT_H_
