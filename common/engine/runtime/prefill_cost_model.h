// The cost of a prefill step as measured: seconds = overhead + tokens x
// seconds_per_token, fitted by least squares over recent steps (older steps
// weigh less, by `forgetting` per step). A rate alone (tokens / seconds of
// each step) overstates the cost of long prompts when short steps, whose
// time is mostly fixed overhead, dominate the measurements.
#ifndef WEFT_COMMON_ENGINE_RUNTIME_PREFILL_COST_MODEL_H_
#define WEFT_COMMON_ENGINE_RUNTIME_PREFILL_COST_MODEL_H_

#include <cstdint>

namespace weft::engine {

class PrefillCostModel {
 public:
  explicit PrefillCostModel(double forgetting = 0.98) : forgetting_(forgetting) {}

  void Add(int64_t tokens, double seconds);

  // Whether steps of at least two different sizes were measured.
  bool fitted() const { return seconds_per_token_ > 0; }
  double overhead_seconds() const { return overhead_seconds_; }
  double seconds_per_token() const { return seconds_per_token_; }

 private:
  const double forgetting_;
  double w_ = 0, x_ = 0, y_ = 0, xx_ = 0, xy_ = 0;  // weighted sums
  double overhead_seconds_ = 0;
  double seconds_per_token_ = 0;
};

}  // namespace weft::engine

#endif  // WEFT_COMMON_ENGINE_RUNTIME_PREFILL_COST_MODEL_H_
