// SiLU-gated MLP activation on the CPU: out = silu(gate) * up.
#ifndef WEFT_KERNELS_CPU_ACTIVATION_H_
#define WEFT_KERNELS_CPU_ACTIVATION_H_

#include <cstdint>

namespace weft::kernels::cpu {

// gate_up: [rows, 2 * inter], each row the gate projection then the up
// projection (the two weights concatenated at load); out: [rows, inter].
void SiluAndMul(const float* gate_up, int64_t rows, int64_t inter, float* out);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_ACTIVATION_H_
