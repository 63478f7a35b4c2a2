#include "common/engine/cuda/cuda_feed_forward.h"

#include <algorithm>
#include <utility>

#include "common/engine/cuda/cuda_linear.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/status/status_macros.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/grouped_gemm.h"
#include "kernels/cuda/moe_combine.h"
#include "kernels/cuda/moe_permute.h"
#include "kernels/cuda/moe_routing.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

size_t CudaDenseMlp::ScratchBytes(const StepShape& s) const {
  return ScratchArena::Bytes(s.tokens * w_.inter, sizeof(__nv_bfloat16)) +
         std::max(GatedUpScratchBytes(s.tokens, w_.gate_up),
                  QuantizeScratchBytes(s.tokens, w_.inter, w_.down.int8()));
}

absl::Status CudaDenseMlp::Forward(const CudaStep& step, const CudaActivations& h,
                                   float* residual) const {
  const int64_t t = step.shape.tokens;
  const size_t mark = step.scratch->Mark();
  auto* act = step.scratch->Take<__nv_bfloat16>(t * w_.inter);
  WEFT_RETURN_IF_ERROR(RunGatedUp(step, h, t, w_.gate_up, act));
  WEFT_ASSIGN_OR_RETURN(const CudaActivations down_in,
                        QuantizeRows(step, act, t, w_.inter, w_.down.int8()));
  LinearOutput out;
  out.accumulate = residual;
  WEFT_RETURN_IF_ERROR(
      RunLinear(step, down_in, t, w_.down, DeviceBuffer(), out, "down projection"));
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
                 QuantizeScratchBytes(pairs, w_.inter, w_.down.int8()) +
                 ScratchArena::Bytes(pairs * w_.hidden, sizeof(__nv_bfloat16));  // expert out
  if (shared_.has_value()) bytes += shared_->ScratchBytes(s);
  return bytes;
}

absl::Status CudaMoeBlock::Forward(const CudaStep& step, const CudaActivations& h,
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
  // (the INT8 copy of act, if any, is taken after these)

  k::GemmParams router;
  router.x = h.bf16;
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

  k::GroupedGemmParams up = LinearGemmParams(w_.gate_up, w_.num_experts, h, pairs);
  up.expert_offsets = offsets;
  up.a_rows = row_token;
  up.silu_and_mul = true;
  up.out = act;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchGroupedGemm(up, step.stream), "expert gate_up");

  WEFT_ASSIGN_OR_RETURN(const CudaActivations down_in,
                        QuantizeRows(step, act, pairs, w_.inter, w_.down.int8()));
  k::GroupedGemmParams down = LinearGemmParams(w_.down, w_.num_experts, down_in, pairs);
  down.expert_offsets = offsets;
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
