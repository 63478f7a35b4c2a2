// RMSNorm on the CPU: out = x / sqrt(mean(x^2) + eps) * weight, per row.
// Also the fused residual form used between decoder sub-layers.
#ifndef WEFT_KERNELS_CPU_RMS_NORM_H_
#define WEFT_KERNELS_CPU_RMS_NORM_H_

#include <cstdint>

namespace weft::kernels::cpu {

// x, out: [rows, dim] row-major (out may alias x); weight: [dim].
void RmsNorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps, float* out);

// residual += delta; out = RmsNorm(residual). residual, delta, out: [rows, dim];
// out may alias delta, not residual.
void AddRmsNorm(float* residual, const float* delta, const float* weight, int64_t rows, int64_t dim,
                float eps, float* out);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_RMS_NORM_H_
