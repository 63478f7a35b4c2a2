// The feed-forward halves of decoder layers on the CUDA backend: the dense
// SiLU-gated MLP, and the routed MoE block (Qwen3-MoE softmax top-k or
// DeepSeek-V3's grouped sigmoid routing, plus shared experts) run as
// route -> group by expert -> grouped GEMMs (SiLU-and-multiply fused) ->
// weighted combine into the residual, without a host synchronization.
// Projections (not the router) in bf16 or INT8 W8A8.
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_FEED_FORWARD_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_FEED_FORWARD_H_

#include <cstdint>
#include <optional>

#include "common/engine/cuda/cuda_layers.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/cuda/device_linear_weight.h"

namespace weft::engine::gpu {

struct CudaMlpWeights {
  DeviceLinearWeight gate_up;  // [2 * inter, hidden]: gate rows, then up rows
  DeviceLinearWeight down;     // [hidden, inter]
  int64_t hidden = 0;
  int64_t inter = 0;
};

class CudaDenseMlp final : public CudaFeedForwardLayer {
 public:
  explicit CudaDenseMlp(CudaMlpWeights weights) : w_(std::move(weights)) {}
  size_t ScratchBytes(const StepShape& shape) const override;
  absl::Status Forward(const CudaStep& step, const CudaActivations& h,
                       float* residual) const override;

 private:
  CudaMlpWeights w_;
};

struct CudaMoeRouting {
  int32_t top_k = 0;
  bool normalize = false;
  // DeepSeek-V3 grouped sigmoid routing when present (float32 [experts]).
  std::optional<DeviceBuffer> correction_bias;
  int32_t n_group = 1;
  int32_t topk_group = 1;
  float routed_scaling_factor = 1.0f;
};

struct CudaMoeWeights {
  DeviceBuffer router;         // bf16 [experts, hidden]
  DeviceLinearWeight gate_up;  // [experts, 2 * inter, hidden]
  DeviceLinearWeight down;     // [experts, hidden, inter]
  int32_t num_experts = 0;
  int64_t hidden = 0;
  int64_t inter = 0;
  std::optional<CudaMlpWeights> shared;
};

class CudaMoeBlock final : public CudaFeedForwardLayer {
 public:
  CudaMoeBlock(CudaMoeWeights weights, CudaMoeRouting routing);
  size_t ScratchBytes(const StepShape& shape) const override;
  absl::Status Forward(const CudaStep& step, const CudaActivations& h,
                       float* residual) const override;

 private:
  CudaMoeWeights w_;
  CudaMoeRouting routing_;
  std::optional<CudaDenseMlp> shared_;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_FEED_FORWARD_H_
