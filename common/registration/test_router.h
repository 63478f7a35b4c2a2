// For tests: the router's real control plane (RouterControlService over its
// own InstanceRegistry) served by an in-process gRPC server on loopback, so
// that registering instances can be observed in its registry.
#ifndef WEFT_COMMON_REGISTRATION_TEST_ROUTER_H_
#define WEFT_COMMON_REGISTRATION_TEST_ROUTER_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "router/registry/instance_registry.h"
#include "router/registry/router_control_service.h"

namespace weft::registration {

class TestRouter {
 public:
  // Serves on 127.0.0.1:`port` (0: a free port), telling instances to
  // heartbeat every `heartbeat_interval`. Nothing expires on its own: the
  // heartbeat timeout is a minute.
  explicit TestRouter(int port = 0, absl::Duration heartbeat_interval = absl::Milliseconds(50))
      : service_(&registry_,
                 router::RouterControlService::Options{.heartbeat_interval = heartbeat_interval}) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(absl::StrCat("127.0.0.1:", port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~TestRouter() {
    if (server_ != nullptr) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    }
  }
  TestRouter(const TestRouter&) = delete;
  TestRouter& operator=(const TestRouter&) = delete;

  // False if the server could not be started (e.g. the port is taken).
  bool ok() const { return server_ != nullptr && port_ > 0; }
  int port() const { return port_; }
  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }
  router::InstanceRegistry& registry() { return registry_; }
  bool Has(const std::string& instance_id) const { return registry_.Get(instance_id).has_value(); }

 private:
  router::InstanceRegistry registry_{
      router::InstanceRegistry::Options{.heartbeat_timeout = absl::Seconds(60)}};
  router::RouterControlService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

}  // namespace weft::registration

#endif  // WEFT_COMMON_REGISTRATION_TEST_ROUTER_H_
