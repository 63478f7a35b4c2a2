// Chooses the prefill and the decode instance for a sequence, and decides
// whether to admit it at all (SLO-aware admission, as Mooncake's early
// rejection): from the latest load report of each healthy instance serving
// the model, the work the router has sent it since (OutstandingWork), and
// which prompt prefixes are cached where (PrefixIndex).
//
//   prefill: the smallest predicted TTFT (LatencyPredictor), counting the
//            prompt's blocks the instance holds or can load from the kvcache
//            pool as not to be computed; ties to the instance holding more
//            of the prefix locally. An instance not measured yet is
//            predicted with its peers' mean prefill rate.
//   decode:  among those with free KV blocks for the prompt (when known),
//            the smallest predicted TPOT with the sequence added; an
//            instance not measured yet is predicted with a measured peer's
//            step times at its own batch size.
//
// TTFT depends only on the prefill instance and TPOT only on the decode
// instance, so these two choices are the pair with the most headroom
// against both targets. When a target is set and even that pair is
// predicted to miss it, the request is refused at once (ResourceExhausted,
// with how long to wait before retrying) instead of queued to miss it.
// Without a prediction (nothing measured anywhere yet) a request is admitted,
// and so is one predicted to miss on an idle instance (the miss is not the
// load's doing; refusing it would also stop the measurements that correct
// the prediction).
#ifndef WEFT_ROUTER_SERVING_INSTANCE_PICKER_H_
#define WEFT_ROUTER_SERVING_INSTANCE_PICKER_H_

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "router/registry/instance_registry.h"
#include "router/serving/outstanding_work.h"
#include "router/serving/prefix_index.h"
#include "router/serving/sequence_call.h"
#include "router/serving/slo_targets.h"

namespace weft::router {

struct PickRequest {
  absl::string_view model;
  absl::string_view tenant;
  absl::Span<const uint32_t> prompt;
  SloTargets slo;
};

struct RouteDecision {
  SequenceRoute route;
  std::optional<absl::Duration> predicted_ttft;
  std::optional<absl::Duration> predicted_tpot;
  int64_t predicted_cached_tokens = 0;  // prompt tokens expected from a prefix cache
};

// Why a request was refused: which target, and when a retry may be admitted.
struct SloRejection {
  const char* target = "";  // "ttft" or "tpot"
  absl::Duration retry_after;
};

class InstancePicker {
 public:
  // All three outlive the picker; `prefixes` may be null (no prefix routing).
  InstancePicker(const InstanceRegistry& registry, const OutstandingWork& work,
                 PrefixIndex* prefixes)
      : registry_(registry), work_(work), prefixes_(prefixes) {}

  // Unavailable, naming the role, when no healthy instance serves the
  // model. ResourceExhausted when a target would be missed; then
  // `*rejection` (if given) says which and when to retry.
  // On success the chosen prefill instance is recorded as holding the
  // prompt's blocks.
  absl::StatusOr<RouteDecision> Pick(const PickRequest& request,
                                     SloRejection* rejection = nullptr) const;

 private:
  const InstanceRegistry& registry_;
  const OutstandingWork& work_;
  PrefixIndex* const prefixes_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_INSTANCE_PICKER_H_
