#include "kernels/cpu/weight_ref.h"

#include "kernels/cpu/linear.h"

namespace weft::kernels::cpu {

void MatMul(const float* x, int64_t m, const WeightRef& w, const float* bias, float* y) {
  if (w.int8 != nullptr) {
    Int8Linear(x, m, *w.int8, bias, y);
  } else {
    Linear(x, m, w.k, w.f32, w.n, bias, y);
  }
}

}  // namespace weft::kernels::cpu
