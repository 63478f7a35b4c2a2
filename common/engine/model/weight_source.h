// Where a model's weights come from, as float32 tensors by Hugging Face name:
// a checkpoint on disk (checkpoint_weights.h) or seeded random values for
// any config (random_weights.h, the dummy-weights mode).
#ifndef WEFT_COMMON_ENGINE_MODEL_WEIGHT_SOURCE_H_
#define WEFT_COMMON_ENGINE_MODEL_WEIGHT_SOURCE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace weft::engine {

class WeightSource {
 public:
  virtual ~WeightSource() = default;

  // The tensor `name` as float32, row-major; NotFound if absent,
  // InvalidArgument if its shape is not `shape`. Thread-compatible.
  virtual absl::StatusOr<std::vector<float>> Load(const std::string& name,
                                                  const std::vector<int64_t>& shape) const = 0;

  // Rows of several [*, cols] tensors stacked in order (e.g. gate_proj and
  // up_proj into one gate_up matrix).
  absl::StatusOr<std::vector<float>> LoadStacked(const std::vector<std::string>& names,
                                                 const std::vector<int64_t>& rows,
                                                 int64_t cols) const;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_WEIGHT_SOURCE_H_
