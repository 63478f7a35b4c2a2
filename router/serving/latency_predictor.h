// Predicts the latency a new sequence would see on an instance, from the
// instance's last load report and the work the router has sent it since
// (Mooncake-style early rejection needs a prediction before admission):
//
//   TTFT on a prefill instance = the instance's fitted step overhead +
//       (prompt tokens queued there + the new prompt's tokens not cached) x
//       its fitted time per token (or / its measured rate, before a fit).
//       Queued tokens are the larger of what the instance reported and what
//       this router has outstanding there (the report lags; other routers'
//       work is only in the report).
//   TPOT on a decode instance = its measured decode step time at the batch
//       size it would have with the sequence added (every running sequence
//       gets one token per step): interpolated between the batch sizes it
//       has measured, extrapolated past the largest along the least-squares
//       line of all of them (never below the largest measured time).
//
// No measurement yet (a fresh instance): no prediction.
#ifndef WEFT_ROUTER_SERVING_LATENCY_PREDICTOR_H_
#define WEFT_ROUTER_SERVING_LATENCY_PREDICTOR_H_

#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "proto/types.pb.h"
#include "router/serving/outstanding_work.h"

namespace weft::router {

std::optional<absl::Duration> PredictTtft(const weft::v1::LoadReport& load,
                                          const InstanceWork& outstanding,
                                          int64_t uncached_prompt_tokens);

std::optional<absl::Duration> PredictTpot(const weft::v1::LoadReport& load,
                                          const InstanceWork& outstanding);

// The decode step time at `batch_size` from the report's measurements
// (decode_step_times; recent_step_seconds when there are none).
std::optional<double> StepSecondsAt(const weft::v1::LoadReport& load, double batch_size);

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_LATENCY_PREDICTOR_H_
