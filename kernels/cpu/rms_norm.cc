#include "kernels/cpu/rms_norm.h"

#include <cmath>

namespace weft::kernels::cpu {

void RmsNorm(const float* x, const float* weight, int64_t rows, int64_t dim, float eps,
             float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * dim;
    float* dst = out + r * dim;
    // Accumulate in double: the mean of squares over thousands of elements.
    double sum_sq = 0.0;
    for (int64_t i = 0; i < dim; ++i) sum_sq += static_cast<double>(row[i]) * row[i];
    const float inv = static_cast<float>(1.0 / std::sqrt(sum_sq / dim + eps));
    for (int64_t i = 0; i < dim; ++i) dst[i] = row[i] * inv * weight[i];
  }
}

void AddRmsNorm(float* residual, const float* delta, const float* weight, int64_t rows, int64_t dim,
                float eps, float* out) {
  for (int64_t i = 0; i < rows * dim; ++i) residual[i] += delta[i];
  RmsNorm(residual, weight, rows, dim, eps, out);
}

}  // namespace weft::kernels::cpu
