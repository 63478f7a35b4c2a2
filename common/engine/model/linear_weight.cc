#include "common/engine/model/linear_weight.h"

#include <utility>

namespace weft::engine {

LinearWeight::LinearWeight(std::vector<float> w, int64_t n, int64_t k, WeightPrecision precision)
    : n_(n), k_(k) {
  if (precision == WeightPrecision::kInt8) {
    int8_ = kernels::cpu::QuantizeWeightPerChannel(w.data(), n, k);
  } else {
    f32_ = std::move(w);
  }
}

kernels::cpu::WeightRef LinearWeight::ref() const {
  return {int8_.has_value() ? nullptr : f32_.data(), int8_.has_value() ? &*int8_ : nullptr, n_, k_};
}

}  // namespace weft::engine
