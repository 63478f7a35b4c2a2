#include "common/engine/cuda/cuda_mla_attention.h"

#include "common/engine/cuda/cuda_attention_step.h"
#include "common/engine/cuda/cuda_linear.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/status/status_macros.h"
#include "kernels/cuda/batched_gemm.h"
#include "kernels/cuda/rms_norm.h"
#include "kernels/cuda/rope.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

namespace {
constexpr int64_t kBf16 = sizeof(__nv_bfloat16);
}  // namespace

size_t CudaMlaAttention::ScratchBytes(const StepShape& st) const {
  const int64_t t = st.tokens, heads = s_.num_heads;
  const int64_t row = s_.latent_row();
  size_t bytes = ScratchArena::Bytes(t * heads * s_.qk_head_dim(), kBf16) +  // q
                 ScratchArena::Bytes(t * row, kBf16) +                       // new latent rows
                 ScratchArena::Bytes(t * heads * row, kBf16) +               // absorbed q
                 ScratchArena::Bytes(t * heads * s_.kv_lora_rank, kBf16) +   // latent outputs
                 ScratchArena::Bytes(t * heads * s_.v_head_dim, kBf16) +     // attention outputs
                 QuantizeScratchBytes(t, heads * s_.v_head_dim, w_.o.int8()) +
                 StepAttentionScratchBytes(st, s_.num_heads, s_.kv_lora_rank);
  if (s_.q_lora_rank > 0) {
    bytes += ScratchArena::Bytes(t * s_.q_lora_rank, kBf16) +
             QuantizeScratchBytes(t, s_.q_lora_rank, w_.q_b.int8());
  }
  return bytes;
}

absl::Status CudaMlaAttention::Queries(const CudaStep& step, const CudaActivations& h,
                                       __nv_bfloat16* q) const {
  const int64_t t = step.shape.tokens;
  LinearOutput q_out;
  q_out.bf16 = q;
  if (s_.q_lora_rank == 0) {
    WEFT_RETURN_IF_ERROR(RunLinear(step, h, t, w_.q, DeviceBuffer(), q_out, "q projection"));
  } else {
    auto* qa = step.scratch->Take<__nv_bfloat16>(t * s_.q_lora_rank);
    LinearOutput qa_out;
    qa_out.bf16 = qa;
    WEFT_RETURN_IF_ERROR(RunLinear(step, h, t, w_.q_a, w_.q_a_bias, qa_out, "q_a projection"));
    k::RmsNormBf16Params norm;
    norm.x = qa;
    norm.tokens = t;
    norm.heads = 1;
    norm.token_stride = s_.q_lora_rank;
    norm.dim = s_.q_lora_rank;
    norm.weight = w_.q_a_norm.as<__nv_bfloat16>();
    norm.eps = s_.rms_norm_eps;
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchRmsNormBf16(norm, step.stream), "q_a norm");
    WEFT_ASSIGN_OR_RETURN(const CudaActivations qb_in,
                          QuantizeRows(step, qa, t, s_.q_lora_rank, w_.q_b.int8()));
    WEFT_RETURN_IF_ERROR(
        RunLinear(step, qb_in, t, w_.q_b, DeviceBuffer(), q_out, "q_b projection"));
  }
  k::RopeParams rope;
  rope.x = q;
  rope.positions = step.positions;
  rope.tokens = t;
  rope.heads = s_.num_heads;
  rope.token_stride = int64_t{s_.num_heads} * s_.qk_head_dim();
  rope.head_stride = s_.qk_head_dim();
  rope.offset = s_.qk_nope_head_dim;
  rope.rotary_dim = s_.qk_rope_head_dim;
  rope.inv_freq = w_.inv_freq;
  rope.attention_scaling = attention_scaling_;
  rope.interleaved = s_.rope_interleave;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchRope(rope, step.stream), "q rope");
  return absl::OkStatus();
}

absl::Status CudaMlaAttention::Forward(const CudaStep& step, const CudaActivations& h,
                                       const k::PagedKvCacheView& kv, float* residual) const {
  const int64_t t = step.shape.tokens;
  const int64_t heads = s_.num_heads, nope = s_.qk_nope_head_dim, rope = s_.qk_rope_head_dim;
  const int64_t qk = s_.qk_head_dim(), lora = s_.kv_lora_rank, vd = s_.v_head_dim;
  const int64_t row = s_.latent_row();
  const size_t mark = step.scratch->Mark();
  auto* q = step.scratch->Take<__nv_bfloat16>(t * heads * qk);
  WEFT_RETURN_IF_ERROR(Queries(step, h, q));

  // The new latent rows [c | k_rope]: normalized, rotated, into the cache.
  auto* latent = step.scratch->Take<__nv_bfloat16>(t * row);
  LinearOutput latent_out;
  latent_out.bf16 = latent;
  WEFT_RETURN_IF_ERROR(RunLinear(step, h, t, w_.kv_a, w_.kv_a_bias, latent_out, "kv_a projection"));
  k::RmsNormBf16Params norm;
  norm.x = latent;
  norm.tokens = t;
  norm.heads = 1;
  norm.token_stride = row;
  norm.dim = static_cast<int32_t>(lora);
  norm.weight = w_.kv_a_norm.as<__nv_bfloat16>();
  norm.eps = s_.rms_norm_eps;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchRmsNormBf16(norm, step.stream), "kv_a norm");
  k::RopeParams rot;
  rot.x = latent;
  rot.positions = step.positions;
  rot.tokens = t;
  rot.heads = 1;
  rot.token_stride = row;
  rot.head_stride = static_cast<int32_t>(row);
  rot.offset = static_cast<int32_t>(lora);
  rot.rotary_dim = static_cast<int32_t>(rope);
  rot.inv_freq = w_.inv_freq;
  rot.attention_scaling = attention_scaling_;
  rot.interleaved = s_.rope_interleave;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchRope(rot, step.stream), "k rope");
  k::WriteKvParams write;
  write.k_new = latent;
  write.k_token_stride = row;
  write.slots = step.slots;
  write.tokens = t;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchWriteKv(kv, write, step.stream), "latent KV write");

  // Absorbed queries [t, heads, lora | rope]: q_nope[h] W_UK[h] per head,
  // then the rotated rope part copied beside it.
  auto* q_abs = step.scratch->Take<__nv_bfloat16>(t * heads * row);
  const auto* kv_b = w_.kv_b.as<__nv_bfloat16>();
  k::BatchedGemmParams absorb;
  absorb.x = q;
  absorb.ldx = heads * qk;
  absorb.x_batch_stride = qk;
  absorb.w = kv_b;  // W_UK[h]: [nope, lora], i.e. [k, n]
  absorb.ldw = lora;
  absorb.w_batch_stride = (nope + vd) * lora;
  absorb.w_rows_are_n = false;
  absorb.y = q_abs;
  absorb.ldy = heads * row;
  absorb.y_batch_stride = row;
  absorb.m = t;
  absorb.n = lora;
  absorb.k = nope;
  absorb.batch = heads;
  WEFT_CUBLAS_RETURN_IF_ERROR(k::LaunchBatchedGemm(step.blas, absorb, step.stream),
                              "MLA query absorption");
  if (t > 0) {
    WEFT_CUDA_RETURN_IF_ERROR(
        cudaMemcpy2DAsync(q_abs + lora, row * kBf16, q + nope, qk * kBf16, rope * kBf16, t * heads,
                          cudaMemcpyDeviceToDevice, step.stream),
        "MLA query rope copy");
  }

  // MQA over the latent rows: [t, heads, lora].
  auto* latent_attn = step.scratch->Take<__nv_bfloat16>(t * heads * lora);
  AttentionQueries queries;
  queries.q = q_abs;
  queries.token_stride = heads * row;
  queries.num_heads = s_.num_heads;
  queries.v_head_dim = s_.kv_lora_rank;
  queries.scale = s_.softmax_scale;
  WEFT_RETURN_IF_ERROR(StepAttention(step, kv, queries, latent_attn, "latent attention"));

  // Expanded per head: attn[h] = latent_attn[h] W_UV[h]^T, [t, heads, v].
  auto* attn = step.scratch->Take<__nv_bfloat16>(t * heads * vd);
  k::BatchedGemmParams expand;
  expand.x = latent_attn;
  expand.ldx = heads * lora;
  expand.x_batch_stride = lora;
  expand.w = kv_b + nope * lora;  // W_UV[h]: [v, lora], i.e. [n, k]
  expand.ldw = lora;
  expand.w_batch_stride = (nope + vd) * lora;
  expand.w_rows_are_n = true;
  expand.y = attn;
  expand.ldy = heads * vd;
  expand.y_batch_stride = vd;
  expand.m = t;
  expand.n = vd;
  expand.k = lora;
  expand.batch = heads;
  WEFT_CUBLAS_RETURN_IF_ERROR(k::LaunchBatchedGemm(step.blas, expand, step.stream),
                              "MLA value expansion");

  WEFT_ASSIGN_OR_RETURN(const CudaActivations o_in,
                        QuantizeRows(step, attn, t, heads * vd, w_.o.int8()));
  LinearOutput o_out;
  o_out.accumulate = residual;
  WEFT_RETURN_IF_ERROR(RunLinear(step, o_in, t, w_.o, w_.o_bias, o_out, "o projection"));
  step.scratch->Release(mark);
  return absl::OkStatus();
}

}  // namespace weft::engine::gpu
