// weft-router's part of the shared service lifecycle: the services it serves.
#ifndef WEFT_ROUTER_ROUTER_MODULE_H_
#define WEFT_ROUTER_ROUTER_MODULE_H_

#include <vector>

#include "absl/status/status.h"
#include "common/server/service_main.h"
#include "common/server/service_module.h"
#include "prometheus/registry.h"
#include "proto/config.pb.h"
#include "router/router_service.h"

namespace weft::router {

// Checks a RouterConfig; errors name each bad field.
absl::Status ValidateRouterConfig(const weft::v1::RouterConfig& config);

// How weft-router plugs into the shared lifecycle (ServiceMain).
ServiceDefinition<weft::v1::RouterConfig> RouterDefinition();

class RouterModule final : public ServiceModule {
 public:
  // `config` has passed ValidateRouterConfig. `registry` outlives the module.
  RouterModule(const weft::v1::RouterConfig& config, prometheus::Registry& registry);

  std::vector<GrpcServiceRegistration> GrpcServices() override;

 private:
  RouterService service_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_ROUTER_MODULE_H_
