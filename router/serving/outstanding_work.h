// Work the router has sent to each instance and not yet seen finish: prompt
// tokens waiting for prefill, sequences on decode. Load reports arrive once
// a second; these counts are exact and immediate, so that a burst of
// requests spreads over the instances instead of all landing on the one that
// looked idle at the last report.
#ifndef WEFT_ROUTER_SERVING_OUTSTANDING_WORK_H_
#define WEFT_ROUTER_SERVING_OUTSTANDING_WORK_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/base/mutex.h"

namespace weft::router {

struct InstanceWork {
  int64_t prefill_tokens = 0;  // prompt tokens sent to prefill, not yet prefilled
  int64_t sequences = 0;       // sequences routed to the instance, not yet done
};

class OutstandingWork {
 public:
  // Thread-safe. Every Add is matched by a Remove of the same amounts.
  void Add(absl::string_view instance_id, const InstanceWork& work);
  void Remove(absl::string_view instance_id, const InstanceWork& work);
  InstanceWork Get(absl::string_view instance_id) const;

 private:
  mutable Mutex mu_;
  absl::flat_hash_map<std::string, InstanceWork> work_ ABSL_GUARDED_BY(mu_);
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_OUTSTANDING_WORK_H_
