// Chooses the prefill and the decode instance for a sequence, by load: the
// latest load report of each healthy instance serving the model plus the
// work the router has sent it since (OutstandingWork).
//   prefill: fewest queued prompt tokens (reported waiting + outstanding);
//   decode:  fewest sequences (reported running + waiting + outstanding),
//            among those with free KV blocks for the prompt when known.
// Ties go to the instance with less outstanding work, then by id.
#ifndef WEFT_ROUTER_SERVING_INSTANCE_PICKER_H_
#define WEFT_ROUTER_SERVING_INSTANCE_PICKER_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "router/registry/instance_registry.h"
#include "router/serving/outstanding_work.h"
#include "router/serving/sequence_call.h"

namespace weft::router {

class InstancePicker {
 public:
  // Both outlive the picker.
  InstancePicker(const InstanceRegistry& registry, const OutstandingWork& work)
      : registry_(registry), work_(work) {}

  // Unavailable, naming the role, when no healthy instance serves `model`.
  absl::StatusOr<SequenceRoute> Pick(absl::string_view model, int64_t prompt_tokens) const;

 private:
  const InstanceRegistry& registry_;
  const OutstandingWork& work_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_INSTANCE_PICKER_H_
