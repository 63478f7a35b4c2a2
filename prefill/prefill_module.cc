#include "prefill/prefill_module.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/config/service_config.h"
#include "common/status/status_macros.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace weft::prefill {

absl::Status ValidatePrefillConfig(const weft::v1::PrefillConfig& config) {
  std::vector<std::string> errors;
  engine::CheckEngineServiceConfig(config, &errors);
  registration::CheckRegistrationConfig(registration::RegistrationConfigOf(config), &errors);
  if (config.kv_transfer_timeout_ms() > 3'600'000) {
    errors.push_back(absl::StrCat("kv_transfer_timeout_ms ", config.kv_transfer_timeout_ms(),
                                  " exceeds 3600000"));
  }
  return engine::ConfigErrors(errors);
}

absl::StatusOr<std::unique_ptr<PrefillModule>> PrefillModule::Create(
    const weft::v1::PrefillConfig& config, prometheus::Registry& registry) {
  WEFT_ASSIGN_OR_RETURN(std::unique_ptr<engine::EngineInstance> engine,
                        engine::CreateEngineInstance(config.engine()));
  PrefillServiceOptions options;
  if (config.kv_transfer_timeout_ms() > 0) {
    options.kv_transfer_timeout = absl::Milliseconds(config.kv_transfer_timeout_ms());
  }
  return std::unique_ptr<PrefillModule>(
      new PrefillModule(std::move(engine), options, registry, config.kvcache_address(),
                        registration::RegistrationConfigOf(config)));
}

PrefillModule::PrefillModule(std::unique_ptr<engine::EngineInstance> engine,
                             const PrefillServiceOptions& options, prometheus::Registry& registry,
                             const std::string& kvcache_address,
                             registration::RegistrationConfig registration_config)
    : engine_(std::move(engine)),
      metrics_(registry, "prefill", engine_->model_name,
               [loop = engine_->loop.get()] { return loop->load(); }),
      kvcache_(kvcache_address.empty()
                   ? nullptr
                   : std::make_unique<kv_transfer::KvCacheClient>(
                         grpc::CreateChannel(kvcache_address, grpc::InsecureChannelCredentials()),
                         engine_->model_name)),
      service_(*engine_, sender_, options, registry, kvcache_.get()),
      registration_config_(std::move(registration_config)) {}

std::vector<GrpcServiceRegistration> PrefillModule::GrpcServices() {
  return {{&service_, weft::v1::Prefill::service_full_name()}};
}

absl::Status PrefillModule::Start(const ServingPorts& ports) {
  if (registration_config_.router_address.empty()) return absl::OkStatus();
  registration_ = std::make_unique<registration::RouterRegistration>(
      registration_config_.router_address,
      registration::MakeInstanceDescriptor(registration_config_, ports,
                                           weft::v1::INSTANCE_ROLE_PREFILL, engine_->model_name,
                                           static_cast<uint32_t>(engine_->block_size)),
      [this] { return service_.CurrentLoad(); });
  registration_->Start();
  return absl::OkStatus();
}

void PrefillModule::Stop(absl::Time deadline) {
  if (registration_ != nullptr) registration_->Stop(deadline);
}

ServiceDefinition<weft::v1::PrefillConfig> PrefillDefinition() {
  ServiceDefinition<weft::v1::PrefillConfig> definition;
  definition.name = "prefill";
  definition.validate = ValidatePrefillConfig;
  definition.make_module =
      [](const weft::v1::PrefillConfig& config,
         prometheus::Registry& registry) -> absl::StatusOr<std::unique_ptr<ServiceModule>> {
    WEFT_ASSIGN_OR_RETURN(std::unique_ptr<PrefillModule> module,
                          PrefillModule::Create(config, registry));
    return std::unique_ptr<ServiceModule>(std::move(module));
  };
  return definition;
}

}  // namespace weft::prefill
