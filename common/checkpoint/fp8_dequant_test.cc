#include "common/checkpoint/fp8_dequant.h"

#include <cstring>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/checkpoint/dtype.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace weft::checkpoint {
namespace {

using ::testing::HasSubstr;

// A weight of rows x cols E4M3 bytes and its F32 scales, owning the storage.
struct Quantized {
  std::string weight_bytes;
  std::string scale_bytes;
  TensorView weight;
  TensorView scale;
};

Quantized Make(int64_t rows, int64_t cols, int64_t scale_rows, int64_t scale_cols) {
  Quantized q;
  q.weight_bytes.resize(rows * cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    // Cycle through the finite codes (skip the NaNs 0x7F and 0xFF).
    uint8_t code = static_cast<uint8_t>((i * 37) % 256);
    if ((code & 0x7F) == 0x7F) code = 0x38;
    q.weight_bytes[i] = static_cast<char>(code);
  }
  std::vector<float> scales(scale_rows * scale_cols);
  for (size_t k = 0; k < scales.size(); ++k) scales[k] = 0.5f + static_cast<float>(k);
  q.scale_bytes.resize(scales.size() * sizeof(float));
  std::memcpy(q.scale_bytes.data(), scales.data(), q.scale_bytes.size());
  q.weight = {"w.weight",
              DType::kF8E4M3,
              {rows, cols},
              reinterpret_cast<const uint8_t*>(q.weight_bytes.data()),
              q.weight_bytes.size()};
  q.scale = {"w.weight_scale_inv",
             DType::kF32,
             {scale_rows, scale_cols},
             reinterpret_cast<const uint8_t*>(q.scale_bytes.data()),
             q.scale_bytes.size()};
  return q;
}

TEST(Fp8DequantTest, MatchesDefinitionWithPartialBlocks) {
  const int64_t rows = 130, cols = 260;  // 2 x 3 blocks, the last ones partial.
  Quantized q = Make(rows, cols, 2, 3);
  absl::StatusOr<std::vector<float>> out = DequantizeFp8BlockwiseToVector(q.weight, q.scale, {});
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<uint16_t> bf16(rows * cols);
  ASSERT_TRUE(DequantizeFp8BlockwiseToBf16(q.weight, q.scale, {}, absl::MakeSpan(bf16)).ok());
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      const float scale = 0.5f + static_cast<float>((i / 128) * 3 + j / 128);
      const float expected =
          F8E4M3ToFloat(static_cast<uint8_t>(q.weight_bytes[i * cols + j])) * scale;
      ASSERT_EQ((*out)[i * cols + j], expected) << i << "," << j;
      ASSERT_EQ(bf16[i * cols + j], FloatToBf16(expected));
    }
  }
}

TEST(Fp8DequantTest, SmallBlocks) {
  Quantized q = Make(4, 4, 2, 2);
  std::vector<float> out(16);
  ASSERT_TRUE(DequantizeFp8Blockwise(q.weight, q.scale, {2, 2}, absl::MakeSpan(out)).ok());
  EXPECT_EQ(out[3 * 4 + 3],
            F8E4M3ToFloat(static_cast<uint8_t>(q.weight_bytes[15])) * 3.5f);  // Block (1, 1).
}

TEST(Fp8DequantTest, RejectsMismatches) {
  Quantized q = Make(130, 260, 2, 2);  // Scale should be [2, 3].
  absl::Status status = DequantizeFp8BlockwiseToVector(q.weight, q.scale, {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("'w.weight' with 'w.weight_scale_inv': scale shape [2, 2] should be "
                        "[2, 3] for weight shape [130, 260]"));
  Quantized ok = Make(8, 8, 1, 1);
  std::vector<float> small(3);
  EXPECT_THAT(
      std::string(DequantizeFp8Blockwise(ok.weight, ok.scale, {}, absl::MakeSpan(small)).message()),
      HasSubstr("output holds 3 elements, needs 64"));
  TensorView bf16_weight = ok.weight;
  bf16_weight.dtype = DType::kBF16;
  EXPECT_THAT(std::string(CheckFp8BlockShapes(bf16_weight, ok.scale, {}).message()),
              HasSubstr("weight dtype is BF16, not F8_E4M3"));
  TensorView three_d = ok.weight;
  three_d.shape = {2, 4, 8};
  EXPECT_THAT(std::string(CheckFp8BlockShapes(three_d, ok.scale, {}).message()),
              HasSubstr("must be 2-D"));
  EXPECT_FALSE(CheckFp8BlockShapes(ok.weight, ok.scale, {0, 128}).ok());
}

}  // namespace
}  // namespace weft::checkpoint
