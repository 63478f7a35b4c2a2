// What a service binary plugs into the shared lifecycle (service_main.h): its
// gRPC services, and what else it runs beside them (HTTP listeners,
// registration with the router), started once the gRPC server serves and
// stopped when draining begins. Implemented once per service (router,
// prefill, ...).
#ifndef WEFT_COMMON_SERVER_SERVICE_MODULE_H_
#define WEFT_COMMON_SERVER_SERVICE_MODULE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/server/grpc_server.h"

namespace weft {

// Where the lifecycle's own listeners are bound (useful with port 0).
struct ServingPorts {
  int grpc_port = 0;
  int metrics_port = 0;
};

class ServiceModule {
 public:
  virtual ~ServiceModule() = default;

  // The gRPC services to serve. Called once, before the server starts; the
  // services must live as long as the module.
  virtual std::vector<GrpcServiceRegistration> GrpcServices() = 0;

  // Called once the gRPC server serves, before the ready file is written:
  // starts what else the service runs. An error stops the process as a
  // start-up failure (Stop is not called then).
  virtual absl::Status Start(const ServingPorts& /*ports*/) { return absl::OkStatus(); }

  // Extra "name: port" lines for the ready file (e.g. {"http_port", 8080}),
  // asked once after Start succeeded.
  virtual std::vector<std::pair<std::string, int>> ExtraPorts() const { return {}; }

  // Called once when draining begins, before the gRPC server drains (only if
  // Start succeeded): stop taking new work and finish what is in flight by
  // `deadline`. Blocks until done.
  virtual void Stop(absl::Time /*deadline*/) {}
};

}  // namespace weft

#endif  // WEFT_COMMON_SERVER_SERVICE_MODULE_H_
