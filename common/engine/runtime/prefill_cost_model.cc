#include "common/engine/runtime/prefill_cost_model.h"

#include <algorithm>

namespace weft::engine {

void PrefillCostModel::Add(int64_t tokens, double seconds) {
  if (tokens <= 0 || !(seconds > 0)) return;
  const double x = static_cast<double>(tokens);
  w_ = forgetting_ * w_ + 1;
  x_ = forgetting_ * x_ + x;
  y_ = forgetting_ * y_ + seconds;
  xx_ = forgetting_ * xx_ + x * x;
  xy_ = forgetting_ * xy_ + x * seconds;
  const double mean_x = x_ / w_;
  const double mean_y = y_ / w_;
  const double var = xx_ / w_ - mean_x * mean_x;
  // Sizes too alike to separate overhead from per-token cost: nothing yet.
  if (var <= 1e-6 * std::max(1.0, mean_x * mean_x)) return;
  double slope = (xy_ / w_ - mean_x * mean_y) / var;
  double intercept = mean_y - slope * mean_x;
  if (slope <= 0) return;  // noise; keep the last fit
  if (intercept < 0) {     // no negative overhead: through the origin
    intercept = 0;
    slope = xy_ / xx_;
  }
  overhead_seconds_ = intercept;
  seconds_per_token_ = slope;
}

}  // namespace weft::engine
