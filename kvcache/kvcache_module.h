// weft-kvcache's part of the shared service lifecycle: the services it serves.
#ifndef WEFT_KVCACHE_KVCACHE_MODULE_H_
#define WEFT_KVCACHE_KVCACHE_MODULE_H_

#include <vector>

#include "common/server/service_main.h"
#include "common/server/service_module.h"
#include "kvcache/kvcache_config.h"
#include "kvcache/kvcache_service.h"
#include "prometheus/registry.h"
#include "proto/config.pb.h"

namespace weft::kvcache {

// How weft-kvcache plugs into the shared lifecycle (ServiceMain).
ServiceDefinition<weft::v1::KvCacheConfig> KvCacheDefinition();

class KvCacheModule final : public ServiceModule {
 public:
  // `config` has passed ValidateKvCacheConfig. `registry` outlives the module.
  KvCacheModule(const weft::v1::KvCacheConfig& config, prometheus::Registry& registry);

  std::vector<GrpcServiceRegistration> GrpcServices() override;

 private:
  KvCacheService service_;
};

}  // namespace weft::kvcache

#endif  // WEFT_KVCACHE_KVCACHE_MODULE_H_
