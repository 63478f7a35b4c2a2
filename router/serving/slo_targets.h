// The latency targets a request is admitted against: the router's default,
// overridden field by field by its model's, overridden by its API key's.
#ifndef WEFT_ROUTER_SERVING_SLO_TARGETS_H_
#define WEFT_ROUTER_SERVING_SLO_TARGETS_H_

#include <optional>

#include "absl/time/time.h"
#include "proto/config.pb.h"

namespace weft::router {

struct SloTargets {
  std::optional<absl::Duration> ttft;  // none: not a criterion
  std::optional<absl::Duration> tpot;

  bool any() const { return ttft.has_value() || tpot.has_value(); }
};

// `key` may be null (no API keys configured).
SloTargets ResolveSlo(const weft::v1::SloConfig& router_default, const weft::v1::SloConfig& model,
                      const weft::v1::SloConfig* key);

// Which targets a finished request met. A target that is not set is met; so
// is TPOT when the request has no TPOT (fewer than two tokens). TTFT is missed
// when a target is set and no token was sent.
struct SloAttainment {
  bool ttft;
  bool tpot;
  bool all() const { return ttft && tpot; }
};
SloAttainment CheckSlo(const SloTargets& targets, std::optional<absl::Duration> ttft,
                       std::optional<absl::Duration> tpot);

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_SLO_TARGETS_H_
