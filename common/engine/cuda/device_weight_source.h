// Where the CUDA backend's weights come from, as device tensors by Hugging
// Face name: a host WeightSource (a checkpoint; values rounded to bf16 and
// uploaded), or seeded random values generated on the GPU itself (the
// dummy-weights mode for real shapes such as Qwen3-30B-A3B, whose tens of GB
// would take minutes to generate on the host).
#ifndef WEFT_COMMON_ENGINE_CUDA_DEVICE_WEIGHT_SOURCE_H_
#define WEFT_COMMON_ENGINE_CUDA_DEVICE_WEIGHT_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/cuda/device_linear_weight.h"
#include "common/engine/model/weight_source.h"

namespace weft::engine::gpu {

class DeviceWeightSource {
 public:
  virtual ~DeviceWeightSource() = default;

  // The tensor `name` of `shape` in bf16 (float32 for Float32). NotFound if
  // absent, InvalidArgument for another shape, ResourceExhausted when the
  // GPU has no room.
  virtual absl::StatusOr<DeviceBuffer> Bf16(const std::string& name,
                                            const std::vector<int64_t>& shape) const = 0;
  virtual absl::StatusOr<DeviceBuffer> Float32(const std::string& name,
                                               const std::vector<int64_t>& shape) const = 0;
  // Rows of several [rows[i], cols] tensors stacked in order, in bf16 (the
  // fused qkv and gate_up matrices, the experts of a layer).
  virtual absl::StatusOr<DeviceBuffer> StackedBf16(const std::vector<std::string>& names,
                                                   const std::vector<int64_t>& rows,
                                                   int64_t cols) const = 0;
  // The same stacked rows quantized to INT8, each row with its own scale
  // (the CPU backend's QuantizeWeightPerChannel rule).
  virtual absl::StatusOr<DeviceLinearWeight> StackedInt8(const std::vector<std::string>& names,
                                                         const std::vector<int64_t>& rows,
                                                         int64_t cols) const = 0;
};

// Reads a host WeightSource tensor by tensor (INT8: quantized on the host
// from the float32 values, exactly as the CPU backend does).
class UploadedWeights final : public DeviceWeightSource {
 public:
  explicit UploadedWeights(const WeightSource& source) : source_(source) {}
  absl::StatusOr<DeviceBuffer> Bf16(const std::string& name,
                                    const std::vector<int64_t>& shape) const override;
  absl::StatusOr<DeviceBuffer> Float32(const std::string& name,
                                       const std::vector<int64_t>& shape) const override;
  absl::StatusOr<DeviceBuffer> StackedBf16(const std::vector<std::string>& names,
                                           const std::vector<int64_t>& rows,
                                           int64_t cols) const override;
  absl::StatusOr<DeviceLinearWeight> StackedInt8(const std::vector<std::string>& names,
                                                 const std::vector<int64_t>& rows,
                                                 int64_t cols) const override;

 private:
  const WeightSource& source_;
};

// Random weights made on the GPU, with RandomWeights' scale rules (norm
// weights 1, biases 0, DeepSeek's correction bias of stddev 0.01,
// embeddings of stddev 1, other matrices of stddev 1/sqrt(in_features)),
// uniformly distributed; deterministic in (seed, name) but not the same
// values as RandomWeights. INT8: the bf16 values quantized on the GPU.
class DeviceRandomWeights final : public DeviceWeightSource {
 public:
  explicit DeviceRandomWeights(uint64_t seed) : seed_(seed) {}
  absl::StatusOr<DeviceBuffer> Bf16(const std::string& name,
                                    const std::vector<int64_t>& shape) const override;
  absl::StatusOr<DeviceBuffer> Float32(const std::string& name,
                                       const std::vector<int64_t>& shape) const override;
  absl::StatusOr<DeviceBuffer> StackedBf16(const std::vector<std::string>& names,
                                           const std::vector<int64_t>& rows,
                                           int64_t cols) const override;
  absl::StatusOr<DeviceLinearWeight> StackedInt8(const std::vector<std::string>& names,
                                                 const std::vector<int64_t>& rows,
                                                 int64_t cols) const override;

 private:
  uint64_t seed_;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_DEVICE_WEIGHT_SOURCE_H_
