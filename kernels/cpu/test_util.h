// Helpers for CPU operator tests: seeded random data and relative error.
#ifndef WEFT_KERNELS_CPU_TEST_UTIL_H_
#define WEFT_KERNELS_CPU_TEST_UTIL_H_

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace weft::kernels::cpu::test_util {

inline std::vector<float> RandomVector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// ||out - ref|| / ||ref|| (0 when both are zero).
template <typename A, typename B>
double RelativeError(const std::vector<A>& out, const std::vector<B>& ref) {
  double err = 0.0, norm = 0.0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = static_cast<double>(out[i]) - static_cast<double>(ref[i]);
    err += d * d;
    norm += static_cast<double>(ref[i]) * static_cast<double>(ref[i]);
  }
  return norm == 0.0 ? std::sqrt(err) : std::sqrt(err / norm);
}

}  // namespace weft::kernels::cpu::test_util

#endif  // WEFT_KERNELS_CPU_TEST_UTIL_H_
