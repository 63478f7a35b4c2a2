// weft-decode's part of the shared service lifecycle: the services it serves.
#ifndef WEFT_DECODE_DECODE_MODULE_H_
#define WEFT_DECODE_DECODE_MODULE_H_

#include <vector>

#include "absl/status/status.h"
#include "common/server/service_main.h"
#include "common/server/service_module.h"
#include "decode/decode_service.h"
#include "prometheus/registry.h"
#include "proto/config.pb.h"

namespace weft::decode {

// Checks a DecodeConfig; errors name each bad field.
absl::Status ValidateDecodeConfig(const weft::v1::DecodeConfig& config);

// How weft-decode plugs into the shared lifecycle (ServiceMain).
ServiceDefinition<weft::v1::DecodeConfig> DecodeDefinition();

class DecodeModule final : public ServiceModule {
 public:
  // `config` has passed ValidateDecodeConfig. `registry` outlives the module.
  DecodeModule(const weft::v1::DecodeConfig& config, prometheus::Registry& registry);

  std::vector<GrpcServiceRegistration> GrpcServices() override;

 private:
  DecodeService service_;
};

}  // namespace weft::decode

#endif  // WEFT_DECODE_DECODE_MODULE_H_
