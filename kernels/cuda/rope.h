// Rotary position embeddings on the GPU, in place on bf16 rows, with the
// same numerics as kernels/cpu/rope.h: angles position * inv_freq in
// float32, cos/sin times the attention scaling, rotated in float32.
#ifndef WEFT_KERNELS_CUDA_ROPE_H_
#define WEFT_KERNELS_CUDA_ROPE_H_

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cstdint>

namespace weft::kernels::gpu {

struct RopeParams {
  __nv_bfloat16* x = nullptr;
  const int32_t* positions = nullptr;  // [tokens], device
  int64_t tokens = 0;
  int32_t heads = 0;                // heads rotated per token
  int64_t token_stride = 0;         // elements between tokens
  int32_t head_stride = 0;          // elements between heads
  int32_t offset = 0;               // first rotated element within a head
  int32_t rotary_dim = 0;           // even
  const float* inv_freq = nullptr;  // [rotary_dim / 2], device (RopeTable::inv_freq)
  float attention_scaling = 1.0f;   // RopeTable::attention_scaling
  // false: pairs (i, i + d/2) ("rotate_half"); true: pairs (2i, 2i+1), written
  // de-interleaved (even results first, then odd), as kernels/cpu's
  // RopeLayout::kInterleaved.
  bool interleaved = false;
};

// Rotates, for each token t and head h < heads, the rotary_dim elements at
// x + t * token_stride + h * head_stride + offset, with position
// positions[t]. Requires 0 < rotary_dim <= 1024, offset + rotary_dim <=
// head_stride and heads * head_stride <= token_stride (the rotated runs do
// not overlap); returns cudaErrorInvalidValue otherwise. tokens == 0 is a
// no-op.
cudaError_t LaunchRope(const RopeParams& params, cudaStream_t stream);

}  // namespace weft::kernels::gpu

#endif  // WEFT_KERNELS_CUDA_ROPE_H_
