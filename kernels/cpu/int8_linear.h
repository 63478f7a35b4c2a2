// INT8 W8A8 linear layer on the CPU: weights quantized once (symmetric, per
// output channel), activations quantized per token at run time (symmetric,
// dynamic), int32 accumulation, dequantization (per-token x per-channel
// scale) applied to the accumulator as the epilogue.
#ifndef WEFT_KERNELS_CPU_INT8_LINEAR_H_
#define WEFT_KERNELS_CPU_INT8_LINEAR_H_

#include <cstdint>
#include <vector>

namespace weft::kernels::cpu {

struct Int8Weight {
  std::vector<int8_t> values;  // [n, k]
  std::vector<float> scales;   // [n]: w[j, :] ~= values[j, :] * scales[j]
  int64_t n = 0;
  int64_t k = 0;
};

// Quantizes w: [n, k] (Hugging Face layout). A zero row gets scale 1.
Int8Weight QuantizeWeightPerChannel(const float* w, int64_t n, int64_t k);

// Quantizes each row of x: [m, k] to int8 with its own scale; q: [m, k],
// scales: [m].
void QuantizeActivationsPerToken(const float* x, int64_t m, int64_t k, int8_t* q, float* scales);

// y: [m, n] = dequant(int32 (quant(x) . W^T)) (+ bias).
void Int8Linear(const float* x, int64_t m, const Int8Weight& w, const float* bias, float* y);

}  // namespace weft::kernels::cpu

#endif  // WEFT_KERNELS_CPU_INT8_LINEAR_H_
