#include "common/engine/cuda/device_weight_source.h"

#include <cuda_bf16.h>
#include <cuda_runtime_api.h>

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/engine/cuda/cuda_status.h"
#include "common/engine/cuda/device_weights.h"
#include "common/status/status_macros.h"
#include "kernels/cpu/int8_linear.h"
#include "kernels/cuda/quantize.h"
#include "kernels/cuda/random_fill.h"

namespace weft::engine::gpu {
namespace {

absl::StatusOr<int64_t> Count(const std::string& name, const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d <= 0) return absl::InvalidArgumentError(absl::StrCat("tensor ", name, ": bad shape"));
    count *= d;
  }
  return count;
}

// FNV-1a, as RandomWeights: a stable per-name seed.
uint64_t StableHash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// RandomWeights' rule for a tensor: a constant, or a standard deviation.
kernels::gpu::RandomFillParams FillFor(const std::string& name, const std::vector<int64_t>& shape,
                                       uint64_t seed) {
  kernels::gpu::RandomFillParams p;
  p.seed = seed ^ StableHash(name);
  if (absl::EndsWith(name, "norm.weight")) {
    p.constant = 1.0f;
  } else if (absl::EndsWith(name, ".bias")) {
    p.constant = 0.0f;
  } else if (absl::EndsWith(name, "e_score_correction_bias")) {
    p.stddev = 0.01f;
  } else if (absl::StrContains(name, "embed_tokens")) {
    p.stddev = 1.0f;
  } else {
    p.stddev = 1.0f / std::sqrt(static_cast<float>(shape.back()));
  }
  return p;
}

absl::Status Fill(kernels::gpu::RandomFillParams p) {
  WEFT_CUDA_RETURN_IF_ERROR(kernels::gpu::LaunchRandomFill(p, nullptr), "random weights");
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<DeviceBuffer> UploadedWeights::Bf16(const std::string& name,
                                                   const std::vector<int64_t>& shape) const {
  WEFT_ASSIGN_OR_RETURN(std::vector<float> values, source_.Load(name, shape));
  return UploadBf16(values);
}

absl::StatusOr<DeviceBuffer> UploadedWeights::Float32(const std::string& name,
                                                      const std::vector<int64_t>& shape) const {
  WEFT_ASSIGN_OR_RETURN(std::vector<float> values, source_.Load(name, shape));
  return DeviceBuffer::From(values);
}

absl::StatusOr<DeviceBuffer> UploadedWeights::StackedBf16(const std::vector<std::string>& names,
                                                          const std::vector<int64_t>& rows,
                                                          int64_t cols) const {
  // One part at a time: the host holds one part in float32 plus the bf16 copy.
  std::vector<uint16_t> stacked;
  for (size_t i = 0; i < names.size(); ++i) {
    WEFT_ASSIGN_OR_RETURN(std::vector<float> part, source_.Load(names[i], {rows[i], cols}));
    const std::vector<uint16_t> bf16 = ToBf16(part);
    stacked.insert(stacked.end(), bf16.begin(), bf16.end());
  }
  return DeviceBuffer::From(stacked);
}

absl::StatusOr<DeviceLinearWeight> UploadedWeights::StackedInt8(
    const std::vector<std::string>& names, const std::vector<int64_t>& rows, int64_t cols) const {
  std::vector<int8_t> values;
  std::vector<float> scales;
  for (size_t i = 0; i < names.size(); ++i) {
    WEFT_ASSIGN_OR_RETURN(std::vector<float> part, source_.Load(names[i], {rows[i], cols}));
    const kernels::cpu::Int8Weight q =
        kernels::cpu::QuantizeWeightPerChannel(part.data(), rows[i], cols);
    values.insert(values.end(), q.values.begin(), q.values.end());
    scales.insert(scales.end(), q.scales.begin(), q.scales.end());
  }
  DeviceLinearWeight w;
  w.rows = static_cast<int64_t>(scales.size());
  w.k = cols;
  WEFT_ASSIGN_OR_RETURN(w.values, DeviceBuffer::From(values));
  WEFT_ASSIGN_OR_RETURN(w.scales, DeviceBuffer::From(scales));
  return w;
}

absl::StatusOr<DeviceBuffer> DeviceRandomWeights::Bf16(const std::string& name,
                                                       const std::vector<int64_t>& shape) const {
  WEFT_ASSIGN_OR_RETURN(const int64_t count, Count(name, shape));
  WEFT_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::Allocate(count * sizeof(__nv_bfloat16)));
  kernels::gpu::RandomFillParams p = FillFor(name, shape, seed_);
  p.out_bf16 = buffer.as<__nv_bfloat16>();
  p.count = count;
  WEFT_RETURN_IF_ERROR(Fill(p));
  return buffer;
}

absl::StatusOr<DeviceBuffer> DeviceRandomWeights::Float32(const std::string& name,
                                                          const std::vector<int64_t>& shape) const {
  WEFT_ASSIGN_OR_RETURN(const int64_t count, Count(name, shape));
  WEFT_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::Allocate(count * sizeof(float)));
  kernels::gpu::RandomFillParams p = FillFor(name, shape, seed_);
  p.out_f32 = buffer.as<float>();
  p.count = count;
  WEFT_RETURN_IF_ERROR(Fill(p));
  return buffer;
}

absl::StatusOr<DeviceBuffer> DeviceRandomWeights::StackedBf16(const std::vector<std::string>& names,
                                                              const std::vector<int64_t>& rows,
                                                              int64_t cols) const {
  int64_t total = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    WEFT_ASSIGN_OR_RETURN(const int64_t count, Count(names[i], {rows[i], cols}));
    total += count;
  }
  WEFT_ASSIGN_OR_RETURN(DeviceBuffer buffer, DeviceBuffer::Allocate(total * sizeof(__nv_bfloat16)));
  int64_t offset = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    kernels::gpu::RandomFillParams p = FillFor(names[i], {rows[i], cols}, seed_);
    p.out_bf16 = buffer.as<__nv_bfloat16>() + offset;
    p.count = rows[i] * cols;
    WEFT_RETURN_IF_ERROR(Fill(p));
    offset += p.count;
  }
  WEFT_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize(), "random weights");
  return buffer;
}

absl::StatusOr<DeviceLinearWeight> DeviceRandomWeights::StackedInt8(
    const std::vector<std::string>& names, const std::vector<int64_t>& rows, int64_t cols) const {
  // The bf16 values, then each row quantized in place of them (the bf16
  // copy is freed on return).
  WEFT_ASSIGN_OR_RETURN(DeviceBuffer bf16, StackedBf16(names, rows, cols));
  DeviceLinearWeight w;
  w.k = cols;
  for (int64_t r : rows) w.rows += r;
  WEFT_ASSIGN_OR_RETURN(w.values, DeviceBuffer::Allocate(w.rows * cols));
  WEFT_ASSIGN_OR_RETURN(w.scales, DeviceBuffer::Allocate(w.rows * sizeof(float)));
  kernels::gpu::QuantizeParams q;
  q.x = bf16.as<__nv_bfloat16>();
  q.ldx = cols;
  q.rows = w.rows;
  q.cols = static_cast<int32_t>(cols);
  q.q = w.values.as<int8_t>();
  q.ldq = cols;
  q.scales = w.scales.as<float>();
  WEFT_CUDA_RETURN_IF_ERROR(kernels::gpu::LaunchQuantizePerToken(q, nullptr), "INT8 weights");
  WEFT_CUDA_RETURN_IF_ERROR(cudaDeviceSynchronize(), "INT8 weights");
  return w;
}

}  // namespace weft::engine::gpu
