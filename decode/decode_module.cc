#include "decode/decode_module.h"

#include <memory>

#include "common/config/service_config.h"

namespace weft::decode {

absl::Status ValidateDecodeConfig(const weft::v1::DecodeConfig& config) {
  return ValidateServiceServerConfig(config);
}

DecodeModule::DecodeModule(const weft::v1::DecodeConfig& /*config*/,
                           prometheus::Registry& /*registry*/) {}

std::vector<GrpcServiceRegistration> DecodeModule::GrpcServices() {
  return {{&service_, weft::v1::Decode::service_full_name()}};
}

ServiceDefinition<weft::v1::DecodeConfig> DecodeDefinition() {
  ServiceDefinition<weft::v1::DecodeConfig> definition;
  definition.name = "decode";
  definition.validate = ValidateDecodeConfig;
  definition.make_module =
      [](const weft::v1::DecodeConfig& config,
         prometheus::Registry& registry) -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
    return std::make_unique<DecodeModule>(config, registry);
  };
  return definition;
}

}  // namespace weft::decode
