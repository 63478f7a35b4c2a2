#include "kernels/cpu/activation.h"

#include <cmath>

namespace weft::kernels::cpu {

void SiluAndMul(const float* gate_up, int64_t rows, int64_t inter, float* out) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* gate = gate_up + r * 2 * inter;
    const float* up = gate + inter;
    float* dst = out + r * inter;
    for (int64_t i = 0; i < inter; ++i) {
      const float g = gate[i];
      dst[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
  }
}

}  // namespace weft::kernels::cpu
