#include "common/engine/cuda/cuda_feed_forward.h"

#include <utility>

#include "common/engine/cuda/cuda_status.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/grouped_gemm.h"
#include "kernels/cuda/moe_combine.h"
#include "kernels/cuda/moe_permute.h"
#include "kernels/cuda/moe_routing.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

size_t CudaDenseMlp::ScratchBytes(const StepShape& s) const {
  return ScratchArena::Bytes(s.tokens * 2 * w_.inter, sizeof(__nv_bfloat16)) +
         ScratchArena::Bytes(s.tokens * w_.inter, sizeof(__nv_bfloat16));
}

absl::Status CudaDenseMlp::Forward(const CudaStep& step, const __nv_bfloat16* h,
                                   float* residual) const {
  const int64_t t = step.shape.tokens;
  const size_t mark = step.scratch->Mark();
  auto* gate_up = step.scratch->Take<__nv_bfloat16>(t * 2 * w_.inter);
  auto* act = step.scratch->Take<__nv_bfloat16>(t * w_.inter);

  k::GemmParams up;
  up.x = h;
  up.ldx = w_.hidden;
  up.w = w_.gate_up.as<__nv_bfloat16>();
  up.y = gate_up;
  up.ldy = 2 * w_.inter;
  up.m = t;
  up.n = 2 * w_.inter;
  up.k = w_.hidden;
  WEFT_CUBLAS_RETURN_IF_ERROR(k::LaunchGemm(step.blas, up, step.stream), "gate_up projection");

  k::SiluAndMulParams silu;
  silu.gate_up = gate_up;
  silu.out = act;
  silu.rows = t;
  silu.inter = static_cast<int32_t>(w_.inter);
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchSiluAndMul(silu, step.stream), "silu_and_mul");

  k::GemmParams down;
  down.x = act;
  down.ldx = w_.inter;
  down.w = w_.down.as<__nv_bfloat16>();
  down.y = residual;
  down.ldy = w_.hidden;
  down.output = k::GemmOutput::kFloat32;
  down.m = t;
  down.n = w_.hidden;
  down.k = w_.inter;
  down.beta = 1.0f;
  WEFT_CUBLAS_RETURN_IF_ERROR(k::LaunchGemm(step.blas, down, step.stream), "down projection");
  step.scratch->Release(mark);
  return absl::OkStatus();
}

CudaMoeBlock::CudaMoeBlock(CudaMoeWeights weights, CudaMoeRouting routing)
    : w_(std::move(weights)), routing_(std::move(routing)) {
  if (w_.shared.has_value()) shared_.emplace(std::move(*w_.shared));
  w_.shared.reset();
}

size_t CudaMoeBlock::ScratchBytes(const StepShape& s) const {
  const int64_t pairs = s.tokens * routing_.top_k;
  size_t bytes = ScratchArena::Bytes(s.tokens * w_.num_experts, sizeof(float)) +  // logits
                 ScratchArena::Bytes(pairs, sizeof(int32_t)) +                    // ids
                 ScratchArena::Bytes(pairs, sizeof(float)) +                      // weights
                 ScratchArena::Bytes(w_.num_experts + 1, sizeof(int32_t)) +       // offsets
                 2 * ScratchArena::Bytes(pairs, sizeof(int32_t)) +  // row_token, pair_row
                 ScratchArena::Bytes(
                     static_cast<int64_t>(k::MoePermuteWorkspaceBytes(w_.num_experts, pairs)), 1) +
                 ScratchArena::Bytes(pairs * w_.inter, sizeof(__nv_bfloat16)) +  // act
                 ScratchArena::Bytes(pairs * w_.hidden, sizeof(__nv_bfloat16));  // expert out
  if (shared_.has_value()) bytes += shared_->ScratchBytes(s);
  return bytes;
}

absl::Status CudaMoeBlock::Forward(const CudaStep& step, const __nv_bfloat16* h,
                                   float* residual) const {
  const int64_t t = step.shape.tokens;
  const int32_t top_k = routing_.top_k;
  const int64_t pairs = t * top_k;
  const size_t mark = step.scratch->Mark();
  auto* logits = step.scratch->Take<float>(t * w_.num_experts);
  auto* ids = step.scratch->Take<int32_t>(pairs);
  auto* weights = step.scratch->Take<float>(pairs);
  auto* offsets = step.scratch->Take<int32_t>(w_.num_experts + 1);
  auto* row_token = step.scratch->Take<int32_t>(pairs);
  auto* pair_row = step.scratch->Take<int32_t>(pairs);
  const size_t permute_bytes = k::MoePermuteWorkspaceBytes(w_.num_experts, pairs);
  void* permute_workspace = step.scratch->Take<char>(static_cast<int64_t>(permute_bytes));
  auto* act = step.scratch->Take<__nv_bfloat16>(pairs * w_.inter);
  auto* expert_out = step.scratch->Take<__nv_bfloat16>(pairs * w_.hidden);

  k::GemmParams router;
  router.x = h;
  router.ldx = w_.hidden;
  router.w = w_.router.as<__nv_bfloat16>();
  router.y = logits;
  router.ldy = w_.num_experts;
  router.output = k::GemmOutput::kFloat32;
  router.m = t;
  router.n = w_.num_experts;
  router.k = w_.hidden;
  WEFT_CUBLAS_RETURN_IF_ERROR(k::LaunchGemm(step.blas, router, step.stream), "router");

  k::MoeRoutingParams route;
  route.logits = logits;
  route.tokens = t;
  route.num_experts = w_.num_experts;
  route.top_k = top_k;
  route.normalize = routing_.normalize;
  if (routing_.correction_bias.has_value()) {
    route.correction_bias = routing_.correction_bias->as<float>();
    route.n_group = routing_.n_group;
    route.topk_group = routing_.topk_group;
    route.routed_scaling_factor = routing_.routed_scaling_factor;
  }
  route.ids = ids;
  route.weights = weights;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchMoeRouting(route, step.stream), "MoE routing");

  k::MoePermuteParams permute;
  permute.ids = ids;
  permute.tokens = t;
  permute.top_k = top_k;
  permute.num_experts = w_.num_experts;
  permute.expert_offsets = offsets;
  permute.row_token = row_token;
  permute.pair_row = pair_row;
  permute.workspace = permute_workspace;
  permute.workspace_bytes = permute_bytes;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchMoePermute(permute, step.stream), "MoE permute");

  k::GroupedGemmParams up;
  up.x = h;
  up.lda = w_.hidden;
  up.a_rows = row_token;
  up.w = w_.gate_up.as<__nv_bfloat16>();
  up.expert_offsets = offsets;
  up.num_experts = w_.num_experts;
  up.max_rows = pairs;
  up.n = static_cast<int32_t>(2 * w_.inter);
  up.k = static_cast<int32_t>(w_.hidden);
  up.silu_and_mul = true;
  up.out = act;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchGroupedGemm(up, step.stream), "expert gate_up");

  k::GroupedGemmParams down;
  down.x = act;
  down.lda = w_.inter;
  down.w = w_.down.as<__nv_bfloat16>();
  down.expert_offsets = offsets;
  down.num_experts = w_.num_experts;
  down.max_rows = pairs;
  down.n = static_cast<int32_t>(w_.hidden);
  down.k = static_cast<int32_t>(w_.inter);
  down.out = expert_out;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchGroupedGemm(down, step.stream), "expert down");

  k::MoeCombineParams combine;
  combine.expert_out = expert_out;
  combine.pair_row = pair_row;
  combine.weights = weights;
  combine.tokens = t;
  combine.top_k = top_k;
  combine.hidden = static_cast<int32_t>(w_.hidden);
  combine.residual = residual;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchMoeCombine(combine, step.stream), "MoE combine");

  if (shared_.has_value()) {
    if (absl::Status s = shared_->Forward(step, h, residual); !s.ok()) return s;
  }
  step.scratch->Release(mark);
  return absl::OkStatus();
}

}  // namespace weft::engine::gpu
