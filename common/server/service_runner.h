// The lifecycle shared by every weft service process: start /metrics and the
// gRPC server, report readiness, wait for SIGTERM/SIGINT, drain.
#ifndef WEFT_COMMON_SERVER_SERVICE_RUNNER_H_
#define WEFT_COMMON_SERVER_SERVICE_RUNNER_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "common/server/service_module.h"
#include "prometheus/registry.h"
#include "proto/config.pb.h"

namespace weft {

struct ServiceRunOptions {
  std::string service_name;              // "router", "prefill", ...
  weft::v1::ServerConfig server_config;  // validated
  // Written (atomically) once both listeners are up:
  //   grpc_port: <port>\nmetrics_port: <port>\npid: <pid>\n
  // Optional; lets tests and scripts use port 0.
  std::string ready_file;
};

// Serves `module` until SIGTERM or SIGINT, then drains within the configured
// deadline. Requires BlockShutdownSignals() to have been called before any
// thread started. Returns OK after a clean drain, or the start-up error.
absl::Status RunService(const ServiceRunOptions& options, ServiceModule& module,
                        std::shared_ptr<prometheus::Registry> registry);

}  // namespace weft

#endif  // WEFT_COMMON_SERVER_SERVICE_RUNNER_H_
