// A borrowed linear-layer weight in either precision the CPU backend runs:
// float32, or INT8 W8A8 (per-channel weight scales, per-token dynamic
// activation scales). MatMul dispatches on it, so layers and the MoE kernel
// are written once for both.
#ifndef WEFT_KERNELS_CPU_WEIGHT_REF_H_
#define WEFT_KERNELS_CPU_WEIGHT_REF_H_

#include <cstdint>

#include "kernels/cpu/int8_linear.h"

namespace weft::kernels::cpu {

struct WeightRef {
  const float* f32 = nullptr;        // [n, k], or null when int8 is set
  const Int8Weight* int8 = nullptr;  // or null when f32 is set
  int64_t n = 0;                     // output features
  int64_t k = 0;                     // input features
};

// y: [m, n] = x: [m, k] times w^T (+ bias: [n] or null).
void MatMul(const float* x, int64_t m, const WeightRef& w, const float* bias, float* y);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_WEIGHT_REF_H_
