// Block-wise FP8 dequantization, for the official DeepSeek-V3 weights: each
// quantized linear weight W [rows, cols] is stored as F8_E4M3 next to
// `<name>_scale_inv` S [ceil(rows / block_rows), ceil(cols / block_cols)] F32,
// and
//   W[i][j] = fp8_e4m3(w[i][j]) * S[i / block_rows][j / block_cols].
// (DeepSeek-V3 uses 128 x 128 blocks: quantization_config.weight_block_size.)
//
// Pure functions of their arguments: thread-safe. Inputs are borrowed views;
// outputs are caller-provided spans of exactly rows * cols elements.
#ifndef WEFT_COMMON_CHECKPOINT_FP8_DEQUANT_H_
#define WEFT_COMMON_CHECKPOINT_FP8_DEQUANT_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "common/checkpoint/safetensors.h"

namespace weft::checkpoint {

struct Fp8BlockSize {
  int64_t rows = 128;
  int64_t cols = 128;
};

// Checks that `weight` is a 2-D F8_E4M3 tensor and `scale_inv` a F32 tensor
// of shape [ceil(rows / block.rows), ceil(cols / block.cols)].
// InvalidArgument naming both tensors otherwise.
absl::Status CheckFp8BlockShapes(const TensorView& weight, const TensorView& scale_inv,
                                 Fp8BlockSize block);

// Dequantizes into `out` (row-major, rows * cols floats). Errors: the shape
// checks above, or `out` of the wrong size.
absl::Status DequantizeFp8Blockwise(const TensorView& weight, const TensorView& scale_inv,
                                    Fp8BlockSize block, absl::Span<float> out);

// As above, rounding each product to bfloat16 (round-to-nearest-even).
absl::Status DequantizeFp8BlockwiseToBf16(const TensorView& weight, const TensorView& scale_inv,
                                          Fp8BlockSize block, absl::Span<uint16_t> out);

// Convenience: allocates the float output.
absl::StatusOr<std::vector<float>> DequantizeFp8BlockwiseToVector(const TensorView& weight,
                                                                  const TensorView& scale_inv,
                                                                  Fp8BlockSize block);

}  // namespace weft::checkpoint

#endif  // WEFT_COMMON_CHECKPOINT_FP8_DEQUANT_H_
