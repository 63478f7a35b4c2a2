// weft-decode's part of the shared service lifecycle: it loads the model
// into an engine and serves weft.v1.Decode on it, with the engine's metrics.
// With a router_address it registers with the router once serving,
// heartbeats its load and deregisters when draining begins.
#ifndef WEFT_DECODE_DECODE_MODULE_H_
#define WEFT_DECODE_DECODE_MODULE_H_

#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/engine/serving/engine_instance.h"
#include "common/engine/serving/engine_metrics.h"
#include "common/registration/instance_descriptor.h"
#include "common/registration/router_registration.h"
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
  // Starts registering with the router (if configured); never blocks on it.
  absl::Status Start(const ServingPorts& ports) override;
  // Deregisters from the router by `deadline` (best effort).
  void Stop(absl::Time deadline) override;

 private:
  DecodeModule(std::unique_ptr<engine::EngineInstance> engine, const DecodeServiceOptions& options,
               prometheus::Registry& registry,
               registration::RegistrationConfig registration_config);

  std::unique_ptr<engine::EngineInstance> engine_;
  engine::EngineMetrics metrics_;
  DecodeService service_;
  const registration::RegistrationConfig registration_config_;
  // Null until Start, and without a router. Declared after service_: it
  // reads the service's load, so it stops first.
  std::unique_ptr<registration::RouterRegistration> registration_;
};

}  // namespace weft::decode

#endif  // WEFT_DECODE_DECODE_MODULE_H_
