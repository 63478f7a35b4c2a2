// RouterControlService: each RPC is one registry call, answered inline.
#include "router/registry/router_control_service.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/logging/log.h"
#include "common/status/grpc_status.h"

namespace weft::router {
namespace {

grpc::ServerUnaryReactor* Finish(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace

RouterControlService::RouterControlService(InstanceRegistry* registry, Options options)
    : registry_(registry), options_(std::move(options)) {}

grpc::ServerUnaryReactor* RouterControlService::RegisterInstance(
    grpc::CallbackServerContext* context, const weft::v1::RegisterInstanceRequest* request,
    weft::v1::RegisterInstanceResponse* response) {
  if (!request->has_instance()) {
    return Finish(context, absl::InvalidArgumentError("instance is required"));
  }
  const weft::v1::InstanceDescriptor& instance = request->instance();
  absl::Status status = registry_->Register(instance, options_.clock());
  if (!status.ok()) return Finish(context, status);
  WEFT_LOG(INFO) << "registered " << weft::v1::InstanceRole_Name(instance.role()) << " instance "
                 << instance.instance_id() << " at " << instance.grpc_address() << " serving "
                 << instance.model();
  const int64_t interval_ms = absl::ToInt64Milliseconds(options_.heartbeat_interval);
  response->set_heartbeat_interval_ms(
      static_cast<uint32_t>(std::clamp<int64_t>(interval_ms, 1, UINT32_MAX)));
  return Finish(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* RouterControlService::Heartbeat(
    grpc::CallbackServerContext* context, const weft::v1::HeartbeatRequest* request,
    weft::v1::HeartbeatResponse* /*response*/) {
  if (request->instance_id().empty()) {
    return Finish(context, absl::InvalidArgumentError("instance_id is empty"));
  }
  return Finish(context,
                registry_->Heartbeat(request->instance_id(), request->load(), options_.clock()));
}

grpc::ServerUnaryReactor* RouterControlService::DeregisterInstance(
    grpc::CallbackServerContext* context, const weft::v1::DeregisterInstanceRequest* request,
    weft::v1::DeregisterInstanceResponse* /*response*/) {
  if (request->instance_id().empty()) {
    return Finish(context, absl::InvalidArgumentError("instance_id is empty"));
  }
  absl::Status status = registry_->Deregister(request->instance_id());
  if (status.ok()) WEFT_LOG(INFO) << "deregistered instance " << request->instance_id();
  return Finish(context, status);
}

}  // namespace weft::router
