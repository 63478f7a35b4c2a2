#include "kernels/cpu/int8_dot.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace weft::kernels::cpu {
namespace {

TEST(Int8Dot, MatchesThePortableSumForEveryLengthAndExtremes) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> value(-127, 127);
  for (int64_t k : {0, 1, 15, 16, 31, 32, 33, 64, 100, 1000, 4097}) {
    std::vector<int8_t> a(k), b(k);
    for (int64_t i = 0; i < k; ++i) {
      a[i] = static_cast<int8_t>(value(rng));
      b[i] = static_cast<int8_t>(value(rng));
    }
    EXPECT_EQ(Int8Dot(a.data(), b.data(), k), Int8DotPortable(a.data(), b.data(), k)) << k;
    std::vector<int8_t> hi(k, 127), lo(k, -127);
    EXPECT_EQ(Int8Dot(hi.data(), lo.data(), k), -127 * 127 * static_cast<int32_t>(k)) << k;
    EXPECT_EQ(Int8Dot(lo.data(), lo.data(), k), 127 * 127 * static_cast<int32_t>(k)) << k;
  }
}

}  // namespace
}  // namespace weft::kernels::cpu
