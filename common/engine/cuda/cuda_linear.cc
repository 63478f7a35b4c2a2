#include "common/engine/cuda/cuda_linear.h"

#include "absl/strings/str_cat.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/status/status_macros.h"
#include "kernels/cuda/activation.h"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/grouped_gemm.h"
#include "kernels/cuda/quantize.h"

namespace weft::engine::gpu {

namespace k = kernels::gpu;

namespace {

// bf16 projections added into the float32 residual (o_proj, down_proj) run
// on weft's kernels up to this many rows: split-K fills the card where
// cuBLAS's kernels leave it idle (BENCHMARKS.md run 4: o_proj 1.25-1.57x
// faster at M <= 16, 0.74x at 64). bf16 projections with bf16 outputs stay
// on cuBLAS (faster at every M measured); INT8 ones always run on weft's
// kernels.
constexpr int64_t kMaxRowsForOwnBf16Accumulate = 16;

bool OwnKernels(const DeviceLinearWeight& w, int64_t rows, bool accumulate) {
  // (INT8 weights have these sizes, checked at load; bf16 ones may not.)
  const bool shapes_fit = w.k % 8 == 0 && w.rows % 16 == 0;
  return w.int8() || (accumulate && rows <= kMaxRowsForOwnBf16Accumulate && shapes_fit);
}

absl::Status NeedsInt8Input(const CudaActivations& x, const char* what) {
  if (x.q == nullptr || x.q_scales == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": an INT8 weight needs the input's INT8 quantization"));
  }
  return absl::OkStatus();
}

}  // namespace

k::GroupedGemmParams LinearGemmParams(const DeviceLinearWeight& w, int32_t groups,
                                      const CudaActivations& x, int64_t rows) {
  k::GroupedGemmParams p;
  p.lda = w.k;
  p.w = w.values.data();
  p.num_experts = groups;
  p.max_rows = rows;
  p.n = static_cast<int32_t>(w.rows / groups);
  p.k = static_cast<int32_t>(w.k);
  if (w.int8()) {
    p.x = x.q;
    p.operands = k::GemmOperands::kInt8;
    p.x_scales = x.q_scales;
    p.w_scales = w.scales.as<float>();
  } else {
    p.x = x.bf16;
  }
  return p;
}

absl::Status RunLinear(const CudaStep& step, const CudaActivations& x, int64_t rows,
                       const DeviceLinearWeight& w, const DeviceBuffer& bias, LinearOutput out,
                       const char* what) {
  if (OwnKernels(w, rows, out.accumulate != nullptr)) {
    if (w.int8()) WEFT_RETURN_IF_ERROR(NeedsInt8Input(x, what));
    k::GroupedGemmParams p = LinearGemmParams(w, 1, x, rows);
    p.bias = bias.as<__nv_bfloat16>();
    p.out = out.bf16;
    p.out_f32 = out.accumulate;
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchGroupedGemm(p, step.stream), what);
    return absl::OkStatus();
  }
  k::GemmParams p;
  p.x = x.bf16;
  p.ldx = w.k;
  p.w = w.values.as<__nv_bfloat16>();
  p.m = rows;
  p.n = w.rows;
  p.k = w.k;
  p.ldy = w.rows;
  p.bias = bias.as<__nv_bfloat16>();
  if (out.accumulate != nullptr) {
    p.y = out.accumulate;
    p.output = k::GemmOutput::kFloat32;
    p.beta = 1.0f;
  } else {
    p.y = out.bf16;
  }
  WEFT_CUBLAS_RETURN_IF_ERROR(k::LaunchGemm(step.blas, p, step.stream), what);
  return absl::OkStatus();
}

size_t GatedUpScratchBytes(int64_t rows, const DeviceLinearWeight& w) {
  return OwnKernels(w, rows, false) ? 0 : ScratchArena::Bytes(rows * w.rows, sizeof(__nv_bfloat16));
}

absl::Status RunGatedUp(const CudaStep& step, const CudaActivations& x, int64_t rows,
                        const DeviceLinearWeight& w, __nv_bfloat16* act) {
  if (OwnKernels(w, rows, false)) {
    if (w.int8()) WEFT_RETURN_IF_ERROR(NeedsInt8Input(x, "gate_up projection"));
    k::GroupedGemmParams p = LinearGemmParams(w, 1, x, rows);
    p.silu_and_mul = true;
    p.out = act;
    WEFT_CUDA_RETURN_IF_ERROR(k::LaunchGroupedGemm(p, step.stream), "gate_up projection");
    return absl::OkStatus();
  }
  const size_t mark = step.scratch->Mark();
  auto* gate_up = step.scratch->Take<__nv_bfloat16>(rows * w.rows);
  LinearOutput out;
  out.bf16 = gate_up;
  WEFT_RETURN_IF_ERROR(RunLinear(step, x, rows, w, DeviceBuffer(), out, "gate_up projection"));
  k::SiluAndMulParams silu;
  silu.gate_up = gate_up;
  silu.out = act;
  silu.rows = rows;
  silu.inter = static_cast<int32_t>(w.rows / 2);
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchSiluAndMul(silu, step.stream), "silu_and_mul");
  step.scratch->Release(mark);
  return absl::OkStatus();
}

size_t QuantizeScratchBytes(int64_t rows, int64_t cols, bool int8) {
  if (!int8) return 0;
  return ScratchArena::Bytes(rows * cols, sizeof(int8_t)) +
         ScratchArena::Bytes(rows, sizeof(float));
}

absl::StatusOr<CudaActivations> QuantizeRows(const CudaStep& step, const __nv_bfloat16* x,
                                             int64_t rows, int64_t cols, bool int8) {
  CudaActivations a;
  a.bf16 = x;
  if (!int8) return a;
  auto* q = step.scratch->Take<int8_t>(rows * cols);
  auto* scales = step.scratch->Take<float>(rows);
  k::QuantizeParams p;
  p.x = x;
  p.ldx = cols;
  p.rows = rows;
  p.cols = static_cast<int32_t>(cols);
  p.q = q;
  p.ldq = cols;
  p.scales = scales;
  WEFT_CUDA_RETURN_IF_ERROR(k::LaunchQuantizePerToken(p, step.stream), "activation quantization");
  a.q = q;
  a.q_scales = scales;
  return a;
}

}  // namespace weft::engine::gpu
