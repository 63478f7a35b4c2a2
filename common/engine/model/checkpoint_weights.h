// Weights read from a Hugging Face checkpoint, widened to float32 (BF16, F16,
// F32; FP8 E4M3 with block scales is dequantized), each checked for presence
// and shape with errors that name it.
#ifndef WEFT_COMMON_ENGINE_MODEL_CHECKPOINT_WEIGHTS_H_
#define WEFT_COMMON_ENGINE_MODEL_CHECKPOINT_WEIGHTS_H_

#include "common/checkpoint/checkpoint.h"
#include "common/engine/model/weight_source.h"

namespace weft::engine {

class CheckpointWeights final : public WeightSource {
 public:
  // `checkpoint` outlives this object.
  explicit CheckpointWeights(const checkpoint::Checkpoint& checkpoint) : checkpoint_(checkpoint) {}

  absl::StatusOr<std::vector<float>> Load(const std::string& name,
                                          const std::vector<int64_t>& shape) const override;

 private:
  const checkpoint::Checkpoint& checkpoint_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_CHECKPOINT_WEIGHTS_H_
