// weft-decode's part of the shared service lifecycle: it loads the model
// into an engine and serves weft.v1.Decode on it, with the engine's metrics.
#ifndef WEFT_DECODE_DECODE_MODULE_H_
#define WEFT_DECODE_DECODE_MODULE_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/engine/serving/engine_instance.h"
#include "common/engine/serving/engine_metrics.h"
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
  // `config` has passed ValidateDecodeConfig; `registry` outlives the
  // module. Errors: the model could not be loaded.
  static absl::StatusOr<std::unique_ptr<DecodeModule>> Create(const weft::v1::DecodeConfig& config,
                                                              prometheus::Registry& registry);

  std::vector<GrpcServiceRegistration> GrpcServices() override;

 private:
  DecodeModule(std::unique_ptr<engine::EngineInstance> engine, const DecodeServiceOptions& options,
               prometheus::Registry& registry);

  std::unique_ptr<engine::EngineInstance> engine_;
  engine::EngineMetrics metrics_;
  DecodeService service_;
};

}  // namespace weft::decode

#endif  // WEFT_DECODE_DECODE_MODULE_H_
