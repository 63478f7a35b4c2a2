// The CUDA backend's decoder-layer parts and what a step hands them: the
// batch's device arrays, the stream and cuBLAS handle, and the scratch arena.
// Each part adds its output into the float32 residual stream (the residual
// add is fused into its last GEMM or combine), so the decoder only norms.
#ifndef WEFT_COMMON_ENGINE_CUDA_CUDA_LAYERS_H_
#define WEFT_COMMON_ENGINE_CUDA_CUDA_LAYERS_H_

#include <cublas_v2.h>
#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "common/engine/cuda/scratch_arena.h"
#include "kernels/cuda/paged_attention.h"

namespace weft::engine::gpu {

// The sizes a step's scratch needs are computed from.
struct StepShape {
  int64_t tokens = 0;
  int32_t max_context_len = 0;  // over the step's tokens
};

// A step's batch on the device (the ForwardBatch's arrays) and its sizes.
struct DeviceBatch {
  StepShape shape;
  const int32_t* token_ids = nullptr;
  const int32_t* positions = nullptr;
  const int32_t* sequence_of_token = nullptr;
  const int32_t* context_len = nullptr;
  const int64_t* slots = nullptr;
  const int32_t* block_tables = nullptr;  // [sequences, max_blocks_per_sequence]
  int32_t max_blocks_per_sequence = 0;
  const int32_t* logit_rows = nullptr;  // tokens whose logits the step computes
  int64_t num_logit_rows = 0;
};

struct CudaStep {
  StepShape shape;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  // Device copies of the ForwardBatch's per-token arrays and block tables.
  const int32_t* positions = nullptr;
  const int32_t* sequence_of_token = nullptr;
  const int32_t* context_len = nullptr;
  const int64_t* slots = nullptr;
  const int32_t* block_tables = nullptr;
  int32_t max_blocks_per_sequence = 0;
  ScratchArena* scratch = nullptr;
};

// A layer's input rows: bf16 [tokens, hidden], and their per-token INT8
// quantization (q [tokens, hidden], q_scales [tokens]) when the model's
// projections are INT8 W8A8 (null otherwise).
struct CudaActivations {
  const __nv_bfloat16* bf16 = nullptr;
  const int8_t* q = nullptr;
  const float* q_scales = nullptr;
};

class CudaAttentionLayer {
 public:
  virtual ~CudaAttentionLayer() = default;
  // Scratch bytes Forward takes for `shape`.
  virtual size_t ScratchBytes(const StepShape& shape) const = 0;
  // h: the normalized input. Writes the tokens' KV into `kv` at their
  // slots, attends, and adds the output projection into `residual`
  // ([tokens, hidden] float32). Enqueues on step.stream only.
  virtual absl::Status Forward(const CudaStep& step, const CudaActivations& h,
                               const kernels::gpu::PagedKvCacheView& kv, float* residual) const = 0;
};

class CudaFeedForwardLayer {
 public:
  virtual ~CudaFeedForwardLayer() = default;
  virtual size_t ScratchBytes(const StepShape& shape) const = 0;
  // h: the normalized input; adds the block's output into `residual`.
  virtual absl::Status Forward(const CudaStep& step, const CudaActivations& h,
                               float* residual) const = 0;
};

}  // namespace weft::engine::gpu

#endif  // WEFT_COMMON_ENGINE_CUDA_CUDA_LAYERS_H_
