#include "common/checkpoint/fp8_dequant.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/checkpoint/dtype.h"
#include "common/status/status_macros.h"

namespace weft::checkpoint {
namespace {

const std::array<float, 256>& E4M3Table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t;
    for (int i = 0; i < 256; ++i) t[i] = F8E4M3ToFloat(static_cast<uint8_t>(i));
    return t;
  }();
  return table;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

absl::Status Mismatch(const TensorView& weight, const TensorView& scale_inv,
                      absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("fp8 dequantization of '", weight.name, "' with '",
                                                 scale_inv.name, "': ", what));
}

// Calls emit(index, value) for every element in row-major order.
template <typename Emit>
void Dequantize(const TensorView& weight, const TensorView& scale_inv, Fp8BlockSize block,
                Emit emit) {
  const std::array<float, 256>& table = E4M3Table();
  const int64_t rows = weight.shape[0];
  const int64_t cols = weight.shape[1];
  const int64_t scale_cols = scale_inv.shape[1];
  for (int64_t i = 0; i < rows; ++i) {
    const uint8_t* w_row = weight.data + i * cols;
    const uint8_t* s_row = scale_inv.data + (i / block.rows) * scale_cols * sizeof(float);
    for (int64_t jb = 0; jb < scale_cols; ++jb) {
      float scale;
      std::memcpy(&scale, s_row + jb * sizeof(float), sizeof(float));
      const int64_t j_end = std::min(cols, (jb + 1) * block.cols);
      for (int64_t j = jb * block.cols; j < j_end; ++j) {
        emit(i * cols + j, table[w_row[j]] * scale);
      }
    }
  }
}

}  // namespace

absl::Status CheckFp8BlockShapes(const TensorView& weight, const TensorView& scale_inv,
                                 Fp8BlockSize block) {
  if (block.rows <= 0 || block.cols <= 0) {
    return Mismatch(weight, scale_inv, "block sizes must be positive");
  }
  if (weight.dtype != DType::kF8E4M3) {
    return Mismatch(weight, scale_inv,
                    absl::StrCat("weight dtype is ", DTypeName(weight.dtype), ", not F8_E4M3"));
  }
  if (scale_inv.dtype != DType::kF32) {
    return Mismatch(weight, scale_inv,
                    absl::StrCat("scale dtype is ", DTypeName(scale_inv.dtype), ", not F32"));
  }
  if (weight.shape.size() != 2) {
    return Mismatch(weight, scale_inv,
                    absl::StrCat("weight must be 2-D, has shape ", weight.ShapeString()));
  }
  const std::vector<int64_t> expected = {CeilDiv(weight.shape[0], block.rows),
                                         CeilDiv(weight.shape[1], block.cols)};
  if (scale_inv.shape != expected) {
    return Mismatch(
        weight, scale_inv,
        absl::StrCat("scale shape ", scale_inv.ShapeString(), " should be ",
                     ShapeToString(expected), " for weight shape ", weight.ShapeString(), " and ",
                     block.rows, "x", block.cols, " blocks"));
  }
  if (weight.size_bytes != static_cast<size_t>(weight.num_elements()) ||
      scale_inv.size_bytes != static_cast<size_t>(scale_inv.num_elements()) * sizeof(float)) {
    return Mismatch(weight, scale_inv, "byte sizes do not match the shapes");
  }
  return absl::OkStatus();
}

absl::Status DequantizeFp8Blockwise(const TensorView& weight, const TensorView& scale_inv,
                                    Fp8BlockSize block, absl::Span<float> out) {
  WEFT_RETURN_IF_ERROR(CheckFp8BlockShapes(weight, scale_inv, block));
  if (out.size() != static_cast<size_t>(weight.num_elements())) {
    return Mismatch(
        weight, scale_inv,
        absl::StrCat("output holds ", out.size(), " elements, needs ", weight.num_elements()));
  }
  Dequantize(weight, scale_inv, block, [&](int64_t k, float v) { out[k] = v; });
  return absl::OkStatus();
}

absl::Status DequantizeFp8BlockwiseToBf16(const TensorView& weight, const TensorView& scale_inv,
                                          Fp8BlockSize block, absl::Span<uint16_t> out) {
  WEFT_RETURN_IF_ERROR(CheckFp8BlockShapes(weight, scale_inv, block));
  if (out.size() != static_cast<size_t>(weight.num_elements())) {
    return Mismatch(
        weight, scale_inv,
        absl::StrCat("output holds ", out.size(), " elements, needs ", weight.num_elements()));
  }
  Dequantize(weight, scale_inv, block, [&](int64_t k, float v) { out[k] = FloatToBf16(v); });
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> DequantizeFp8BlockwiseToVector(const TensorView& weight,
                                                                  const TensorView& scale_inv,
                                                                  Fp8BlockSize block) {
  WEFT_RETURN_IF_ERROR(CheckFp8BlockShapes(weight, scale_inv, block));
  std::vector<float> out(static_cast<size_t>(weight.num_elements()));
  WEFT_RETURN_IF_ERROR(DequantizeFp8Blockwise(weight, scale_inv, block, absl::MakeSpan(out)));
  return out;
}

}  // namespace weft::checkpoint
