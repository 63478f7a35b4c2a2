// The control plane of weft-router: the weft.v1.Router gRPC service through
// which prefill and decode instances join, report their load and leave. It
// is a thin RPC edge over InstanceRegistry:
//  - RegisterInstance validates and records the descriptor (INVALID_ARGUMENT
//    naming the bad field) and tells the instance how often to heartbeat;
//  - Heartbeat records the load (NOT_FOUND for an unknown or expired id: the
//    instance must register again; INVALID_ARGUMENT for an empty id);
//  - DeregisterInstance removes the instance (NOT_FOUND if unknown).
// All handlers complete inline on the gRPC callback thread; none blocks.
#ifndef WEFT_ROUTER_REGISTRY_ROUTER_CONTROL_SERVICE_H_
#define WEFT_ROUTER_REGISTRY_ROUTER_CONTROL_SERVICE_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/router.grpc.pb.h"
#include "router/registry/instance_registry.h"

namespace weft::router {

class RouterControlService final : public weft::v1::Router::CallbackService {
 public:
  struct Options {
    // Returned to registering instances; the registry's heartbeat_timeout
    // should be a few times this.
    absl::Duration heartbeat_interval = absl::Seconds(1);
    // The time recorded for registrations and heartbeats.
    std::function<absl::Time()> clock = [] { return absl::Now(); };
  };

  // `registry` must outlive the service.
  RouterControlService(InstanceRegistry* registry, Options options);

  grpc::ServerUnaryReactor* RegisterInstance(grpc::CallbackServerContext* context,
                                             const weft::v1::RegisterInstanceRequest* request,
                                             weft::v1::RegisterInstanceResponse* response) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* context,
                                      const weft::v1::HeartbeatRequest* request,
                                      weft::v1::HeartbeatResponse* response) override;
  grpc::ServerUnaryReactor* DeregisterInstance(
      grpc::CallbackServerContext* context, const weft::v1::DeregisterInstanceRequest* request,
      weft::v1::DeregisterInstanceResponse* response) override;

 private:
  InstanceRegistry* const registry_;
  const Options options_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_REGISTRY_ROUTER_CONTROL_SERVICE_H_
