#include "decode/decode_module.h"

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

}  // namespace weft::decode
