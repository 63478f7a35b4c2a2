#include "router/router_module.h"

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

}  // namespace weft::router
