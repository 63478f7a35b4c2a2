#include "common/server/grpc_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging/log.h"

namespace weft {
namespace {

// Process-wide gRPC settings; EnableDefaultHealthCheckService is not
// thread-safe, so it happens exactly once, before the first builder.
void InitGrpcOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  });
}

}  // namespace

absl::StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcServerOptions& options, const std::vector<GrpcServiceRegistration>& services) {
  InitGrpcOnce();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.address, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  // gRPC sets SO_REUSEPORT by default, which lets a second server silently
  // share a port that is already in use; a busy port must be an error.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  std::vector<std::string> names;
  for (const GrpcServiceRegistration& registration : services) {
    if (registration.service == nullptr || registration.full_name.empty()) {
      return absl::InvalidArgumentError("GrpcServer: service registration without service or name");
    }
    builder.RegisterService(registration.service);
    names.push_back(registration.full_name);
    if (options.metrics != nullptr) options.metrics->RegisterService(registration.full_name);
  }
  if (options.metrics != nullptr) {
    options.metrics->RegisterService("grpc.reflection.v1alpha.ServerReflection");
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> creators;
    creators.push_back(options.metrics->MakeInterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(creators));
  }
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    if (server != nullptr) server->Shutdown();
    return absl::UnavailableError(absl::StrCat("gRPC server cannot listen on ", options.address,
                                               " (address in use, not local, or malformed)"));
  }
  auto result = std::unique_ptr<GrpcServer>(new GrpcServer(std::move(server), port, names));
  result->SetServing(false);
  return result;
}

GrpcServer::GrpcServer(std::unique_ptr<grpc::Server> server, int port,
                       std::vector<std::string> names)
    : port_(port), service_names_(std::move(names)), server_(std::move(server)) {}

GrpcServer::~GrpcServer() { Drain(absl::ZeroDuration()); }

void GrpcServer::SetServing(bool serving) {
  MutexLock lock(&mu_);
  if (draining_) return;
  grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus("", serving);
  for (const std::string& name : service_names_) health->SetServingStatus(name, serving);
}

void GrpcServer::Drain(absl::Duration timeout, absl::Duration not_serving_grace) {
  const absl::Time start = absl::Now();
  bool first = false;
  {
    MutexLock lock(&mu_);
    first = !draining_;
    draining_ = true;
    if (first) {
      if (grpc::HealthCheckServiceInterface* health = server_->GetHealthCheckService()) {
        health->Shutdown();  // NOT_SERVING for every service, and it stays so.
      }
    }
  }
  if (!first) {
    stopped_.WaitForNotification();
    return;
  }
  const absl::Time deadline = start + timeout;
  absl::SleepFor(std::min(not_serving_grace, timeout));
  server_->Shutdown(absl::ToChronoTime(deadline));
  server_->Wait();
  stopped_.Notify();
  WEFT_LOG(INFO) << "gRPC server on port " << port_ << " drained in "
                 << absl::FormatDuration(absl::Now() - start);
}

}  // namespace weft
