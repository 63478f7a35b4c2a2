#include "common/server/service_runner.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config/server_config.h"
#include "common/logging/log.h"
#include "common/metrics/grpc_server_metrics.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/process_metrics.h"
#include "common/server/grpc_server.h"
#include "common/server/shutdown_signal.h"
#include "common/status/status_macros.h"

namespace weft {
namespace {

absl::Status WriteReadyFile(const std::string& path, const ServingPorts& ports,
                            const std::vector<std::pair<std::string, int>>& extra_ports) {
  const std::string tmp = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "grpc_port: " << ports.grpc_port << "\nmetrics_port: " << ports.metrics_port << "\n";
    for (const auto& [name, port] : extra_ports) out << name << ": " << port << "\n";
    out << "pid: " << getpid() << "\n";
    out.close();
    if (!out) return absl::InternalError(absl::StrCat("cannot write ready file ", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ", path));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunService(const ServiceRunOptions& options, ServiceModule& module,
                        std::shared_ptr<prometheus::Registry> registry) {
  const v1::ServerConfig& config = options.server_config;
  ProcessMetrics process_metrics(*registry, options.service_name);
  GrpcServerMetrics grpc_metrics(*registry);

  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<MetricsServer> metrics_server,
                        MetricsServer::Start(config.metrics_address(), registry));

  GrpcServerOptions grpc_options;
  grpc_options.address = config.grpc_address();
  grpc_options.max_receive_message_bytes = MaxReceiveMessageBytes(config);
  grpc_options.metrics = &grpc_metrics;
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<GrpcServer> grpc_server,
                        GrpcServer::Start(grpc_options, module.GrpcServices()));

  grpc_server->SetServing(true);
  const ServingPorts ports{grpc_server->port(), metrics_server->port()};
  if (absl::Status s = module.Start(ports); !s.ok()) {
    grpc_server->Drain(absl::ZeroDuration(), absl::ZeroDuration());
    return s;
  }
  process_metrics.SetServing(true);
  // Only once serving: whoever reads the file may send traffic at once.
  if (!options.ready_file.empty()) {
    if (absl::Status s = WriteReadyFile(options.ready_file, ports, module.ExtraPorts()); !s.ok()) {
      module.Stop(absl::Now());
      return s;
    }
  }
  WEFT_LOG(INFO) << "weft-" << options.service_name << " serving: gRPC port " << grpc_server->port()
                 << ", metrics port " << metrics_server->port();

  const int signal = WaitForShutdownSignal();
  ExitOnSecondShutdownSignal();
  const absl::Duration drain = DrainTimeout(config);
  WEFT_LOG(INFO) << "signal " << signal << ": draining (deadline " << absl::FormatDuration(drain)
                 << ", not-serving grace " << absl::FormatDuration(NotServingGrace(config)) << ")";
  process_metrics.SetServing(false);
  // The metrics listener takes a while to stop (civetweb polls); stop it
  // alongside the gRPC drain so that the process exits within the deadline.
  std::thread stop_metrics([&metrics_server] { metrics_server.reset(); });
  module.Stop(absl::Now() + drain);
  grpc_server->Drain(drain, NotServingGrace(config));
  stop_metrics.join();
  grpc_server.reset();
  WEFT_LOG(INFO) << "weft-" << options.service_name << " stopped";
  return absl::OkStatus();
}

}  // namespace weft
