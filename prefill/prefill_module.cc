#include "prefill/prefill_module.h"

#include <memory>

#include "common/config/service_config.h"

namespace weft::prefill {

absl::Status ValidatePrefillConfig(const weft::v1::PrefillConfig& config) {
  return ValidateServiceServerConfig(config);
}

PrefillModule::PrefillModule(const weft::v1::PrefillConfig& /*config*/,
                             prometheus::Registry& /*registry*/) {}

std::vector<GrpcServiceRegistration> PrefillModule::GrpcServices() {
  return {{&service_, weft::v1::Prefill::service_full_name()}};
}

ServiceDefinition<weft::v1::PrefillConfig> PrefillDefinition() {
  ServiceDefinition<weft::v1::PrefillConfig> definition;
  definition.name = "prefill";
  definition.validate = ValidatePrefillConfig;
  definition.make_module =
      [](const weft::v1::PrefillConfig& config,
         prometheus::Registry& registry) -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
    return std::make_unique<PrefillModule>(config, registry);
  };
  return definition;
}

}  // namespace weft::prefill
