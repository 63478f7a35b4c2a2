// /ready: whether the router can serve right now, proven by a real one-token
// generation of every served model through the whole pipeline (ReserveKv,
// Prefill with the KV push, Generate). Results are cached for `ttl` so that
// frequent probes do not each cost a generation; probes arriving while one
// runs wait for its result.
#ifndef WEFT_ROUTER_SERVING_READINESS_PROBE_H_
#define WEFT_ROUTER_SERVING_READINESS_PROBE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "router/serving/request_session.h"
#include "router/serving/served_model.h"

namespace weft::router {

class ReadinessProbe {
 public:
  // Everything `context` points to outlives the probe.
  ReadinessProbe(std::vector<std::shared_ptr<const ServedModel>> models, SessionContext context,
                 absl::Duration ttl = absl::Seconds(1), absl::Duration timeout = absl::Seconds(30));

  // Calls `done` (on some thread, possibly this one) with OK when every model
  // generated a token, else the first failure naming the model.
  void Check(std::function<void(absl::Status)> done);

 private:
  void Finish(absl::Status status);

  const std::vector<std::shared_ptr<const ServedModel>> models_;
  const SessionContext context_;
  const absl::Duration ttl_;
  const absl::Duration timeout_;

  Mutex mu_;
  bool running_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time checked_at_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Status last_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void(absl::Status)>> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_READINESS_PROBE_H_
