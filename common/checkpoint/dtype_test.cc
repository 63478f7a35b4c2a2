#include "common/checkpoint/dtype.h"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::checkpoint {
namespace {

TEST(DTypeTest, NamesAndSizesRoundTrip) {
  const std::vector<std::pair<DType, size_t>> all = {
      {DType::kBool, 1}, {DType::kU8, 1},     {DType::kI8, 1},    {DType::kI16, 2},
      {DType::kU16, 2},  {DType::kI32, 4},    {DType::kU32, 4},   {DType::kI64, 8},
      {DType::kU64, 8},  {DType::kF16, 2},    {DType::kBF16, 2},  {DType::kF32, 4},
      {DType::kF64, 8},  {DType::kF8E4M3, 1}, {DType::kF8E5M2, 1}};
  for (const auto& [dtype, size] : all) {
    EXPECT_EQ(DTypeSize(dtype), size) << DTypeName(dtype);
    EXPECT_EQ(DTypeFromName(DTypeName(dtype)), dtype);
  }
  EXPECT_EQ(DTypeName(DType::kF8E4M3), "F8_E4M3");
  EXPECT_EQ(DTypeFromName("bf16"), std::nullopt);
  EXPECT_EQ(DTypeFromName("F128"), std::nullopt);
  EXPECT_TRUE(IsFloatingPoint(DType::kBF16));
  EXPECT_FALSE(IsFloatingPoint(DType::kI32));
}

TEST(DTypeTest, Bf16ToFloat) {
  EXPECT_EQ(Bf16ToFloat(0x3F80), 1.0f);
  EXPECT_EQ(Bf16ToFloat(0xC000), -2.0f);
  EXPECT_EQ(Bf16ToFloat(0x0001), std::ldexp(1.0f, -133));  // Smallest subnormal.
  EXPECT_EQ(Bf16ToFloat(0x7F80), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(Bf16ToFloat(0x7FC0)));
  EXPECT_TRUE(std::signbit(Bf16ToFloat(0x8000)));
}

TEST(DTypeTest, F16ToFloat) {
  EXPECT_EQ(F16ToFloat(0x3C00), 1.0f);
  EXPECT_EQ(F16ToFloat(0xC000), -2.0f);
  EXPECT_EQ(F16ToFloat(0x7BFF), 65504.0f);
  EXPECT_EQ(F16ToFloat(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(F16ToFloat(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(F16ToFloat(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(F16ToFloat(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(F16ToFloat(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(F16ToFloat(0x7E00)));
  EXPECT_TRUE(std::signbit(F16ToFloat(0x8000)));
}

TEST(DTypeTest, F8E4M3ToFloat) {
  EXPECT_EQ(F8E4M3ToFloat(0x38), 1.0f);
  EXPECT_EQ(F8E4M3ToFloat(0xB8), -1.0f);
  EXPECT_EQ(F8E4M3ToFloat(0x7E), 448.0f);  // Largest finite: no infinity.
  EXPECT_EQ(F8E4M3ToFloat(0x78), 256.0f);
  EXPECT_EQ(F8E4M3ToFloat(0x01), std::ldexp(1.0f, -9));  // Smallest subnormal.
  EXPECT_EQ(F8E4M3ToFloat(0x07), std::ldexp(7.0f, -9));
  EXPECT_EQ(F8E4M3ToFloat(0x08), std::ldexp(1.0f, -6));
  EXPECT_EQ(F8E4M3ToFloat(0x00), 0.0f);
  EXPECT_TRUE(std::isnan(F8E4M3ToFloat(0x7F)));
  EXPECT_TRUE(std::isnan(F8E4M3ToFloat(0xFF)));
  for (int i = 0; i < 256; ++i) {
    if ((i & 0x7F) == 0x7F) continue;
    EXPECT_TRUE(std::isfinite(F8E4M3ToFloat(static_cast<uint8_t>(i)))) << i;
  }
}

TEST(DTypeTest, F8E5M2ToFloat) {
  EXPECT_EQ(F8E5M2ToFloat(0x3C), 1.0f);
  EXPECT_EQ(F8E5M2ToFloat(0x7B), 57344.0f);
  EXPECT_EQ(F8E5M2ToFloat(0x01), std::ldexp(1.0f, -16));
  EXPECT_EQ(F8E5M2ToFloat(0x7C), std::numeric_limits<float>::infinity());
  EXPECT_EQ(F8E5M2ToFloat(0xFC), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(F8E5M2ToFloat(0x7D)));
  // E5M2 is the top byte of F16.
  for (int i = 0; i < 256; ++i) {
    const float a = F8E5M2ToFloat(static_cast<uint8_t>(i));
    const float b = F16ToFloat(static_cast<uint16_t>(i << 8));
    if (std::isnan(a)) {
      EXPECT_TRUE(std::isnan(b));
    } else {
      EXPECT_EQ(a, b) << i;
    }
  }
}

TEST(DTypeTest, FloatToBf16RoundsToNearestEven) {
  EXPECT_EQ(FloatToBf16(1.0f), 0x3F80);
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // Tie: down to even.
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // Tie: up to even.
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);  // Above the tie.
  EXPECT_EQ(FloatToBf16(std::bit_cast<float>(0x3F807FFFu)), 0x3F80);  // Below the tie.
  EXPECT_EQ(FloatToBf16(std::numeric_limits<float>::max()), 0x7F80);  // Overflow to inf.
  EXPECT_EQ(FloatToBf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload lies only in the low bits must not become infinity.
  EXPECT_TRUE(std::isnan(Bf16ToFloat(FloatToBf16(std::bit_cast<float>(0x7F800001u)))));
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const float f = Bf16ToFloat(static_cast<uint16_t>(bits));
    if (std::isnan(f)) continue;
    ASSERT_EQ(FloatToBf16(f), bits);
  }
}

TEST(DTypeTest, ConvertToFloat) {
  const uint16_t bf16[] = {0x3F80, 0xC000, 0x0000};
  float out[3];
  ASSERT_TRUE(ConvertToFloat(DType::kBF16, bf16, 3, out).ok());
  EXPECT_THAT(out, testing::ElementsAre(1.0f, -2.0f, 0.0f));
  const int32_t ints[] = {-3, 7, 0};
  ASSERT_TRUE(ConvertToFloat(DType::kI32, ints, 3, out).ok());
  EXPECT_THAT(out, testing::ElementsAre(-3.0f, 7.0f, 0.0f));
  // Unaligned source.
  unsigned char bytes[1 + 3 * sizeof(float)];
  const float f[] = {1.5f, -0.25f, 3.0f};
  std::memcpy(bytes + 1, f, sizeof(f));
  ASSERT_TRUE(ConvertToFloat(DType::kF32, bytes + 1, 3, out).ok());
  EXPECT_THAT(out, testing::ElementsAre(1.5f, -0.25f, 3.0f));
  EXPECT_FALSE(ConvertToFloat(static_cast<DType>(99), bf16, 1, out).ok());
}

}  // namespace
}  // namespace weft::checkpoint
