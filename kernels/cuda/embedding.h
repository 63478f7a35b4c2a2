// Token embedding and row gathers on the GPU.
#ifndef WEFT_KERNELS_CUDA_EMBEDDING_H_
#define WEFT_KERNELS_CUDA_EMBEDDING_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct EmbeddingParams {
  const __nv_bfloat16* table = nullptr;  // [vocab, hidden]
  int64_t vocab = 0;
  int32_t hidden = 0;
  const int32_t* ids = nullptr;  // [tokens], device
  int64_t tokens = 0;
  float* out = nullptr;  // [tokens, hidden], float32 (the residual stream)
};

// out[t] = table[ids[t]] widened to float32. Ids outside [0, vocab) give a
// zero row (callers validate ids on the host first). tokens == 0 is a no-op.
cudaError_t LaunchEmbedding(const EmbeddingParams& params, cudaStream_t stream);

struct GatherRowsParams {
  const float* src = nullptr;     // [*, cols]
  const int32_t* rows = nullptr;  // [num_rows], device: source row of each output row
  int64_t num_rows = 0;
  int32_t cols = 0;
  float* out = nullptr;  // [num_rows, cols]; must not alias src
};

// out[i] = src[rows[i]] (float32 rows, e.g. the positions that need logits).
// Each rows[i] must name a row of src (not checked on the device).
// num_rows == 0 is a no-op.
cudaError_t LaunchGatherRows(const GatherRowsParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_EMBEDDING_H_
