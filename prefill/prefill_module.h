// weft-prefill's part of the shared service lifecycle: it loads the model
// into an engine and serves weft.v1.Prefill on it, pushing KV to decode
// instances (shared memory on the same host, gRPC otherwise: AutoKvSender),
// with the engine's metrics. With a router_address it registers with the
// router once serving, heartbeats its load and deregisters when draining
// begins.
#ifndef WEFT_PREFILL_PREFILL_MODULE_H_
#define WEFT_PREFILL_PREFILL_MODULE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/engine/serving/engine_instance.h"
#include "common/engine/serving/engine_metrics.h"
#include "common/kv_transfer/auto_kv_sender.h"
#include "common/kv_transfer/kvcache_client.h"
#include "common/registration/instance_descriptor.h"
#include "common/registration/router_registration.h"
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
  // `config` has passed ValidatePrefillConfig; `registry` outlives the
  // module. Errors: the model could not be loaded.
  static absl::StatusOr<std::unique_ptr<PrefillModule>> Create(
      const weft::v1::PrefillConfig& config, prometheus::Registry& registry);

  std::vector<GrpcServiceRegistration> GrpcServices() override;
  // Starts registering with the router (if configured); never blocks on it.
  absl::Status Start(const ServingPorts& ports) override;
  // Deregisters from the router by `deadline` (best effort).
  void Stop(absl::Time deadline) override;

 private:
  PrefillModule(std::unique_ptr<engine::EngineInstance> engine,
                const PrefillServiceOptions& options, prometheus::Registry& registry,
                const std::string& kvcache_address,
                registration::RegistrationConfig registration_config);

  std::unique_ptr<engine::EngineInstance> engine_;
  engine::EngineMetrics metrics_;
  kv_transfer::AutoKvSender sender_;
  std::unique_ptr<kv_transfer::KvCacheClient> kvcache_;  // null without a pool
  PrefillService service_;
  const registration::RegistrationConfig registration_config_;
  // Null until Start, and without a router. Declared after service_: it
  // reads the service's load, so it stops first.
  std::unique_ptr<registration::RouterRegistration> registration_;
};

}  // namespace weft::prefill

#endif  // WEFT_PREFILL_PREFILL_MODULE_H_
