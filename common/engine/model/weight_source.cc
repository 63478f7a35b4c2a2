#include "common/engine/model/weight_source.h"

namespace weft::engine {

absl::StatusOr<std::vector<float>> WeightSource::LoadStacked(const std::vector<std::string>& names,
                                                             const std::vector<int64_t>& rows,
                                                             int64_t cols) const {
  std::vector<float> out;
  for (size_t i = 0; i < names.size(); ++i) {
    absl::StatusOr<std::vector<float>> part = Load(names[i], {rows[i], cols});
    if (!part.ok()) return part.status();
    out.insert(out.end(), part->begin(), part->end());
  }
  return out;
}

}  // namespace weft::engine
