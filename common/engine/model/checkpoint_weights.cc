#include "common/engine/model/checkpoint_weights.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/checkpoint/dtype.h"
#include "common/checkpoint/fp8_dequant.h"

namespace weft::engine {

absl::StatusOr<std::vector<float>> CheckpointWeights::Load(
    const std::string& name, const std::vector<int64_t>& shape) const {
  const checkpoint::TensorView* t = checkpoint_.Find(name);
  if (t == nullptr) {
    return absl::NotFoundError(absl::StrCat(checkpoint_.path(), ": tensor ", name, " is missing"));
  }
  if (t->shape != shape) {
    return absl::InvalidArgumentError(absl::StrCat(
        checkpoint_.path(), ": tensor ", name, " has shape [", absl::StrJoin(t->shape, ", "),
        "], expected [", absl::StrJoin(shape, ", "), "]"));
  }
  // FP8 E4M3 with block scales (official DeepSeek-V3 weights): dequantize.
  if (t->dtype == checkpoint::DType::kF8E4M3) {
    const checkpoint::TensorView* scale = checkpoint_.Find(name + "_scale_inv");
    if (scale == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(checkpoint_.path(), ": FP8 tensor ", name, " has no ", name, "_scale_inv"));
    }
    return checkpoint::DequantizeFp8BlockwiseToVector(*t, *scale, checkpoint::Fp8BlockSize{});
  }
  std::vector<float> out(static_cast<size_t>(t->num_elements()));
  if (absl::Status s = checkpoint::ConvertToFloat(t->dtype, t->data, out.size(), out.data());
      !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(checkpoint_.path(), ": tensor ", name, ": ", s.message()));
  }
  return out;
}

}  // namespace weft::engine
