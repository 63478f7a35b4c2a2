#include "kvcache/kvcache_module.h"

#include <memory>

namespace weft::kvcache {

KvCacheModule::KvCacheModule(const weft::v1::KvCacheConfig& config, prometheus::Registry& registry)
    : service_(KvCacheOptionsFromConfig(config), registry) {}

std::vector<GrpcServiceRegistration> KvCacheModule::GrpcServices() {
  return {{&service_, weft::v1::KvCache::service_full_name()}};
}

ServiceDefinition<weft::v1::KvCacheConfig> KvCacheDefinition() {
  ServiceDefinition<weft::v1::KvCacheConfig> definition;
  definition.name = "kvcache";
  definition.validate = ValidateKvCacheConfig;
  definition.make_module =
      [](const weft::v1::KvCacheConfig& config,
         prometheus::Registry& registry) -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
    return std::make_unique<KvCacheModule>(config, registry);
  };
  return definition;
}

}  // namespace weft::kvcache
