// Dense linear layer on the CPU (OpenBLAS SGEMM): y = x W^T (+ bias).
#ifndef WEFT_KERNELS_CPU_LINEAR_H_
#define WEFT_KERNELS_CPU_LINEAR_H_

#include <cstdint>

namespace weft::kernels::cpu {

// x: [m, k]; w: [n, k] (Hugging Face layout: out_features x in_features);
// bias: [n] or null; y: [m, n], must not alias x or w. m == 0 is a no-op.
void Linear(const float* x, int64_t m, int64_t k, const float* w, int64_t n, const float* bias,
            float* y);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_LINEAR_H_
