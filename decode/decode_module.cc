#include "decode/decode_module.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/config/service_config.h"
#include "common/status/status_macros.h"

namespace weft::decode {

absl::Status ValidateDecodeConfig(const weft::v1::DecodeConfig& config) {
  std::vector<std::string> errors;
  engine::CheckEngineServiceConfig(config, &errors);
  registration::CheckRegistrationConfig(registration::RegistrationConfigOf(config), &errors);
  if (config.reservation_timeout_ms() > 3'600'000) {
    errors.push_back(absl::StrCat("reservation_timeout_ms ", config.reservation_timeout_ms(),
                                  " exceeds 3600000"));
  }
  return engine::ConfigErrors(errors);
}

absl::StatusOr<std::unique_ptr<DecodeModule>> DecodeModule::Create(
    const weft::v1::DecodeConfig& config, prometheus::Registry& registry) {
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<engine::EngineInstance> engine,
                        engine::CreateEngineInstance(config.engine()));
  DecodeServiceOptions options;
  if (config.reservation_timeout_ms() > 0) {
    options.reservation_timeout = absl::Milliseconds(config.reservation_timeout_ms());
  }
  return std::unique_ptr<DecodeModule>(new DecodeModule(
      std::move(engine), options, registry, registration::RegistrationConfigOf(config)));
}

DecodeModule::DecodeModule(std::unique_ptr<engine::EngineInstance> engine,
                           const DecodeServiceOptions& options, prometheus::Registry& registry,
                           registration::RegistrationConfig registration_config)
    : engine_(std::move(engine)),
      metrics_(registry, "decode", engine_->model_name,
               [loop = engine_->loop.get()] { return loop->load(); }),
      service_(*engine_, options, registry),
      registration_config_(std::move(registration_config)) {}

std::vector<GrpcServiceRegistration> DecodeModule::GrpcServices() {
  return {{&service_, weft::v1::Decode::service_full_name()}};
}

absl::Status DecodeModule::Start(const ServingPorts& ports) {
  if (registration_config_.router_address.empty()) return absl::OkStatus();
  registration_ = std::make_unique<registration::RouterRegistration>(
      registration_config_.router_address,
      registration::MakeInstanceDescriptor(registration_config_, ports,
                                           weft::v1::INSTANCE_ROLE_DECODE, engine_->model_name,
                                           static_cast<uint32_t>(engine_->block_size)),
      [this] { return service_.CurrentLoad(); });
  registration_->Start();
  return absl::OkStatus();
}

void DecodeModule::Stop(absl::Time deadline) {
  if (registration_ != nullptr) registration_->Stop(deadline);
}

ServiceDefinition<weft::v1::DecodeConfig> DecodeDefinition() {
  ServiceDefinition<weft::v1::DecodeConfig> definition;
  definition.name = "decode";
  definition.validate = ValidateDecodeConfig;
  definition.make_module =
      [](const weft::v1::DecodeConfig& config,
         prometheus::Registry& registry) -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<DecodeModule> module,
                          DecodeModule::Create(config, registry));
    return std::unique_ptr<ServiceModule>(std::move(module));
  };
  return definition;
}

}  // namespace weft::decode
