// Dummy weights: seeded random values for every tensor a config needs, so a
// model of any published shape (e.g. Qwen3-30B-A3B) can be built and timed
// without downloading its checkpoint. Deterministic: the same seed and
// tensor name give the same values in every run. The text such a model
// writes is meaningless; the work it does is the real model's.
#ifndef WEFT_COMMON_ENGINE_MODEL_RANDOM_WEIGHTS_H_
#define WEFT_COMMON_ENGINE_MODEL_RANDOM_WEIGHTS_H_

#include <cstdint>

#include "common/engine/model/weight_source.h"

namespace weft::engine {

class RandomWeights final : public WeightSource {
 public:
  explicit RandomWeights(uint64_t seed) : seed_(seed) {}

  // Norm weights are 1, biases 0, DeepSeek's correction bias ~N(0, 0.01),
  // embeddings ~N(0, 1), every other matrix ~N(0, 1/in_features) so that
  // activations keep their scale through the layers.
  absl::StatusOr<std::vector<float>> Load(const std::string& name,
                                          const std::vector<int64_t>& shape) const override;

 private:
  uint64_t seed_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_RANDOM_WEIGHTS_H_
