// An owned linear-layer weight in the precision the model was loaded with:
// float32, or INT8 W8A8 (quantized here at load, symmetric per output
// channel; activations are quantized per token at run time).
#ifndef WEFT_COMMON_ENGINE_MODEL_LINEAR_WEIGHT_H_
#define WEFT_COMMON_ENGINE_MODEL_LINEAR_WEIGHT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "kernels/cpu/int8_linear.h"
#include "kernels/cpu/weight_ref.h"

namespace weft::engine {

enum class WeightPrecision {
  kFloat32,  // the checkpoint's values (bf16/f16/fp8 widened to float32)
  kInt8,     // W8A8
};

class LinearWeight {
 public:
  LinearWeight() = default;
  // `w` is [n, k] row-major.
  LinearWeight(std::vector<float> w, int64_t n, int64_t k, WeightPrecision precision);

  kernels::cpu::WeightRef ref() const;
  int64_t n() const { return n_; }
  int64_t k() const { return k_; }

  // y: [m, n] = x: [m, k] W^T (+ bias).
  void Forward(const float* x, int64_t m, const float* bias, float* y) const {
    kernels::cpu::MatMul(x, m, ref(), bias, y);
  }

 private:
  int64_t n_ = 0;
  int64_t k_ = 0;
  std::vector<float> f32_;
  std::optional<kernels::cpu::Int8Weight> int8_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_LINEAR_WEIGHT_H_
