#include "kvcache/kvcache_module.h"

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

}  // namespace weft::kvcache
