// What a service binary plugs into the shared lifecycle (service_main.h): its
// gRPC services. Implemented once per service (router, prefill, ...).
#ifndef WEFT_COMMON_SERVER_SERVICE_MODULE_H_
#define WEFT_COMMON_SERVER_SERVICE_MODULE_H_

#include <vector>

#include "common/server/grpc_server.h"

namespace weft {

class ServiceModule {
 public:
  virtual ~ServiceModule() = default;

  // The gRPC services to serve. Called once, before the server starts; the
  // services must live as long as the module.
  virtual std::vector<GrpcServiceRegistration> GrpcServices() = 0;
};

}  // namespace weft

#endif  // WEFT_COMMON_SERVER_SERVICE_MODULE_H_
