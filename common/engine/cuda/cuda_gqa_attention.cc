#include "common/engine/cuda/cuda_gqa_attention.h"

#include <cmath>

#include "common/engine/cuda/cuda_attention_step.h"
#include "common/engine/cuda/cuda_linear.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/status/status_macros.h"
#include "kernels/cuda/rms_norm.h"
#include "kernels/cuda/rope.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

size_t CudaGqaAttention::ScratchBytes(const StepShape& s) const {
  const int64_t attn_width = int64_t{shape_.num_heads} * shape_.head_dim;
  return ScratchArena::Bytes(s.tokens * QkvWidth(), sizeof(__nv_bfloat16)) +
         ScratchArena::Bytes(s.tokens * attn_width, sizeof(__nv_bfloat16)) +
         QuantizeScratchBytes(s.tokens, attn_width, w_.o.int8()) +
         StepAttentionScratchBytes(s, shape_.num_heads, shape_.head_dim);
}

absl::Status CudaGqaAttention::Forward(const CudaStep& step, const CudaActivations& h,
                                       const k::PagedKvCacheView& kv, float* residual) const {
  const int64_t t = step.shape.tokens;
  const int32_t d = shape_.head_dim;
  const int64_t width = QkvWidth();
  const int64_t attn_width = int64_t{shape_.num_heads} * d;
  const size_t mark = step.scratch->Mark();
  auto* qkv = step.scratch->Take<__nv_bfloat16>(t * width);
  auto* attn = step.scratch->Take<__nv_bfloat16>(t * attn_width);

  LinearOutput qkv_out;
  qkv_out.bf16 = qkv;
  WEFT_RETURN_IF_ERROR(RunLinear(step, h, t, w_.qkv, w_.qkv_bias, qkv_out, "qkv projection"));

  if (w_.q_norm.data() != nullptr) {
    k::RmsNormBf16Params norm;
    norm.x = qkv;
    norm.tokens = t;
    norm.heads = shape_.num_heads;
    norm.token_stride = width;
    norm.dim = d;
    norm.weight = w_.q_norm.as<__nv_bfloat16>();
    norm.eps = shape_.rms_norm_eps;
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchRmsNormBf16(norm, step.stream), "q norm");
    norm.x = qkv + int64_t{shape_.num_heads} * d;
    norm.heads = shape_.num_kv_heads;
    norm.weight = w_.k_norm.as<__nv_bfloat16>();
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchRmsNormBf16(norm, step.stream), "k norm");
  }

  k::RopeParams rope;
  rope.x = qkv;  // q heads then k heads: one launch rotates both
  rope.positions = step.positions;
  rope.tokens = t;
  rope.heads = shape_.num_heads + shape_.num_kv_heads;
  rope.token_stride = width;
  rope.head_stride = d;
  rope.rotary_dim = d;
  rope.inv_freq = w_.inv_freq;
  rope.attention_scaling = shape_.attention_scaling;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchRope(rope, step.stream), "rope");

  k::WriteKvParams write;
  write.k_new = qkv + int64_t{shape_.num_heads} * d;
  write.k_token_stride = width;
  write.v_new = qkv + int64_t{shape_.num_heads + shape_.num_kv_heads} * d;
  write.v_token_stride = width;
  write.slots = step.slots;
  write.tokens = t;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchWriteKv(kv, write, step.stream), "KV write");

  AttentionQueries queries;
  queries.q = qkv;
  queries.token_stride = width;
  queries.num_heads = shape_.num_heads;
  queries.v_head_dim = d;
  queries.scale = 1.0f / std::sqrt(static_cast<float>(d));
  WEFT_RETURN_IF_ERROR(StepAttention(step, kv, queries, attn, "paged attention"));

  WEFT_ASSIGN_OR_RETURN(const CudaActivations o_in,
                        QuantizeRows(step, attn, t, attn_width, w_.o.int8()));
  LinearOutput o_out;
  o_out.accumulate = residual;
  WEFT_RETURN_IF_ERROR(RunLinear(step, o_in, t, w_.o, w_.o_bias, o_out, "o projection"));
  step.scratch->Release(mark);
  return absl::OkStatus();
}

}  // namespace weft::engine::gpu
