// Grouped-query attention on the CUDA backend (Llama, Qwen3, Qwen3-MoE): one
// fused q/k/v projection, Qwen3's per-head q/k RMSNorm, RoPE on q and k in
// one launch, the KV write, paged attention and o_proj with the residual add
// fused into its GEMM. Projections in bf16 or INT8 W8A8 (the attention
// output is quantized for an INT8 o_proj).
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_GQA_ATTENTION_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_GQA_ATTENTION_H_

#include "common/engine/cuda/cuda_layers.h"
#include "common/engine/cuda/device_buffer.h"
#include "common/engine/cuda/device_linear_weight.h"

namespace weft::engine::gpu {

struct CudaGqaShape {
  int64_t hidden = 0;
  int32_t num_heads = 0;
  int32_t num_kv_heads = 0;
  int32_t head_dim = 0;
  float rms_norm_eps = 1e-6f;
  float attention_scaling = 1.0f;  // the RoPE table's cos/sin factor
};

// Device weights, bf16 unless noted.
struct CudaGqaWeights {
  DeviceLinearWeight qkv;           // [(heads + 2 * kv_heads) * d, hidden]: q rows, k rows, v rows
  DeviceLinearWeight o;             // [hidden, heads * d]
  DeviceBuffer qkv_bias, o_bias;    // empty unless attention_bias
  DeviceBuffer q_norm, k_norm;      // [d] each, or empty
  const float* inv_freq = nullptr;  // [d / 2] float32, owned by the model
};

class CudaGqaAttention final : public CudaAttentionLayer {
 public:
  CudaGqaAttention(CudaGqaShape shape, CudaGqaWeights weights)
      : shape_(shape), w_(std::move(weights)) {}

  size_t ScratchBytes(const StepShape& shape) const override;
  absl::Status Forward(const CudaStep& step, const CudaActivations& h,
                       const kernels::gpu::PagedKvCacheView& kv, float* residual) const override;

 private:
  int64_t QkvWidth() const {
    return int64_t{shape_.num_heads + 2 * shape_.num_kv_heads} * shape_.head_dim;
  }

  CudaGqaShape shape_;
  CudaGqaWeights w_;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_GQA_ATTENTION_H_
