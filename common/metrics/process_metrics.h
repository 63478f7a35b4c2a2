// Metrics every weft process exports: build info, start time, serving state.
#ifndef WEFT_COMMON_METRICS_PROCESS_METRICS_H_
#define WEFT_COMMON_METRICS_PROCESS_METRICS_H_

#include <string>

#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace weft {

// The version string in weft_build_info.
inline constexpr char kWeftVersion[] = "0.1.0";

class ProcessMetrics {
 public:
  // Registers in `registry`:
  //   weft_build_info{service,version} 1
  //   weft_process_start_time_seconds{service}
  //   weft_serving{service}            1 while serving, 0 before and while draining
  ProcessMetrics(prometheus::Registry& registry, const std::string& service);

  // Thread-safe.
  void SetServing(bool serving) { serving_.Set(serving ? 1 : 0); }

 private:
  prometheus::Gauge& serving_;
};

}  // namespace weft

#endif  // WEFT_COMMON_METRICS_PROCESS_METRICS_H_
