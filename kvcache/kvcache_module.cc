#include "kvcache/kvcache_module.h"

#include <memory>

#include "common/config/service_config.h"

namespace weft::kvcache {

absl::Status ValidateKvCacheConfig(const weft::v1::KvCacheConfig& config) {
  return ValidateServiceServerConfig(config);
}

KvCacheModule::KvCacheModule(const weft::v1::KvCacheConfig& /*config*/,
                             prometheus::Registry& /*registry*/) {}

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
