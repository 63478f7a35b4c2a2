// weft-prefill's part of the shared service lifecycle: the services it serves.
#ifndef WEFT_PREFILL_PREFILL_MODULE_H_
#define WEFT_PREFILL_PREFILL_MODULE_H_

#include <vector>

#include "absl/status/status.h"
#include "common/server/service_main.h"
#include "common/server/service_module.h"
#include "prefill/prefill_service.h"
#include "prometheus/registry.h"
#include "proto/config.pb.h"

namespace weft::prefill {

// Checks a PrefillConfig; errors name each bad field.
absl::Status ValidatePrefillConfig(const weft::v1::PrefillConfig& config);

// How weft-prefill plugs into the shared lifecycle (ServiceMain).
ServiceDefinition<weft::v1::PrefillConfig> PrefillDefinition();

class PrefillModule final : public ServiceModule {
 public:
  // `config` has passed ValidatePrefillConfig. `registry` outlives the module.
  PrefillModule(const weft::v1::PrefillConfig& config, prometheus::Registry& registry);

  std::vector<GrpcServiceRegistration> GrpcServices() override;

 private:
  PrefillService service_;
};

}  // namespace weft::prefill

#endif  // WEFT_PREFILL_PREFILL_MODULE_H_
