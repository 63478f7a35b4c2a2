// Reads checkpoint tensors into float32 for the CPU backend, checking each
// tensor's presence and shape with errors that name it.
#ifndef WEFT_COMMON_ENGINE_MODEL_WEIGHT_LOADER_H_
#define WEFT_COMMON_ENGINE_MODEL_WEIGHT_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/checkpoint/checkpoint.h"

namespace weft::engine {

class WeightLoader {
 public:
  // `checkpoint` outlives the loader.
  explicit WeightLoader(const checkpoint::Checkpoint& checkpoint) : checkpoint_(checkpoint) {}

  // The tensor `name` as float32, row-major; NotFound if absent,
  // InvalidArgument if its shape is not `shape`.
  absl::StatusOr<std::vector<float>> Load(const std::string& name,
                                          const std::vector<int64_t>& shape) const;

  // Rows of several [*, cols] tensors stacked in order (e.g. gate_proj and
  // up_proj into one gate_up matrix).
  absl::StatusOr<std::vector<float>> LoadStacked(const std::vector<std::string>& names,
                                                 const std::vector<int64_t>& rows,
                                                 int64_t cols) const;

 private:
  const checkpoint::Checkpoint& checkpoint_;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_MODEL_WEIGHT_LOADER_H_
