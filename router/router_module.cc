#include "router/router_module.h"

#include <memory>

#include "common/config/service_config.h"

namespace weft::router {

absl::Status ValidateRouterConfig(const weft::v1::RouterConfig& config) {
  return ValidateServiceServerConfig(config);
}

RouterModule::RouterModule(const weft::v1::RouterConfig& /*config*/,
                           prometheus::Registry& /*registry*/) {}

std::vector<GrpcServiceRegistration> RouterModule::GrpcServices() {
  return {{&service_, weft::v1::Router::service_full_name()}};
}

ServiceDefinition<weft::v1::RouterConfig> RouterDefinition() {
  ServiceDefinition<weft::v1::RouterConfig> definition;
  definition.name = "router";
  definition.validate = ValidateRouterConfig;
  definition.make_module =
      [](const weft::v1::RouterConfig& config,
         prometheus::Registry& registry) -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
    return std::make_unique<RouterModule>(config, registry);
  };
  return definition;
}

}  // namespace weft::router
