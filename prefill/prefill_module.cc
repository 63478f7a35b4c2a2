#include "prefill/prefill_module.h"

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

}  // namespace weft::prefill
