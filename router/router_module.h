// weft-router's part of the shared service lifecycle: the control plane
// (weft.v1.Router: instances register and heartbeat), the public OpenAI API
// and the internal /health, /ready, /metrics listener, over the instance
// registry, the load poller of static instances and the request pipeline.
#ifndef WEFT_ROUTER_ROUTER_MODULE_H_
#define WEFT_ROUTER_ROUTER_MODULE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/base/task_runner.h"
#include "common/server/service_main.h"
#include "common/server/service_module.h"
#include "prometheus/registry.h"
#include "proto/config.pb.h"
#include "router/http/http_server.h"
#include "router/registry/instance_registry.h"
#include "router/registry/load_poller.h"
#include "router/registry/router_control_service.h"
#include "router/serving/api_keys.h"
#include "router/serving/backend_stubs.h"
#include "router/serving/instance_picker.h"
#include "router/serving/internal_endpoints.h"
#include "router/serving/live_work.h"
#include "router/serving/openai_frontend.h"
#include "router/serving/outstanding_work.h"
#include "router/serving/prefix_index.h"
#include "router/serving/readiness_probe.h"
#include "router/serving/router_metrics.h"
#include "router/serving/served_model.h"

namespace weft::router {

// Checks a RouterConfig; errors name each bad field.
absl::Status ValidateRouterConfig(const weft::v1::RouterConfig& config);

// How weft-router plugs into the shared lifecycle (ServiceMain).
ServiceDefinition<weft::v1::RouterConfig> RouterDefinition();

class RouterModule final : public ServiceModule {
 public:
  // `config` has passed ValidateRouterConfig; `registry` outlives the module.
  // Errors: a model's tokenizer, config or chat template cannot be loaded;
  // an API key entry is invalid (ApiKeys::FromConfig).
  static absl::StatusOr<std::unique_ptr<RouterModule>> Create(const weft::v1::RouterConfig& config,
                                                              prometheus::Registry& registry);
  ~RouterModule() override;

  std::vector<GrpcServiceRegistration> GrpcServices() override;
  absl::Status Start(const ServingPorts& ports) override;
  std::vector<std::pair<std::string, int>> ExtraPorts() const override;
  void Stop(absl::Time deadline) override;

 private:
  RouterModule(const weft::v1::RouterConfig& config, prometheus::Registry& registry,
               std::vector<std::shared_ptr<const ServedModel>> models, ApiKeys api_keys);

  const weft::v1::RouterConfig config_;
  LiveWork live_;  // outlives everything that counts in it
  InstanceRegistry instances_;
  RouterControlService control_;
  LoadPoller poller_;
  BackendStubs stubs_;
  OutstandingWork work_;
  PrefixIndex prefixes_;
  InstancePicker picker_;
  RouterMetrics metrics_;
  TaskRunner workers_;
  OpenAiFrontend frontend_;
  ReadinessProbe probe_;
  InternalEndpoints internal_;
  std::unique_ptr<http::HttpServer> public_server_;
  std::unique_ptr<http::HttpServer> internal_server_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_ROUTER_MODULE_H_
