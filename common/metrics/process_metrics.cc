#include "common/metrics/process_metrics.h"

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace weft {

ProcessMetrics::ProcessMetrics(prometheus::Registry& registry, const std::string& service)
    : serving_(prometheus::BuildGauge()
                   .Name("weft_serving")
                   .Help("1 while the process serves requests, 0 while starting or draining")
                   .Register(registry)
                   .Add({{"service", service}})) {
  prometheus::BuildGauge()
      .Name("weft_build_info")
      .Help("Build information; always 1")
      .Register(registry)
      .Add({{"service", service}, {"version", kWeftVersion}})
      .Set(1);
  prometheus::BuildGauge()
      .Name("weft_process_start_time_seconds")
      .Help("Start time of the process since the Unix epoch, in seconds")
      .Register(registry)
      .Add({{"service", service}})
      .Set(absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch()));
  serving_.Set(0);
}

}  // namespace weft
