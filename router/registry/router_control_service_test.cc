// RouterControlService over real gRPC on loopback, called through the
// generated weft.v1.Router stub.
#include "router/registry/router_control_service.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/base/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/router.grpc.pb.h"

namespace weft::router {
namespace {

using ::testing::HasSubstr;

class RouterControlServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port, 0);
    stub_ = weft::v1::Router::NewStub(
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }

  grpc::Status Register(const weft::v1::InstanceDescriptor& instance,
                        weft::v1::RegisterInstanceResponse* response) {
    weft::v1::RegisterInstanceRequest request;
    *request.mutable_instance() = instance;
    grpc::ClientContext context;
    return stub_->RegisterInstance(&context, request, response);
  }

  grpc::Status Heartbeat(const std::string& id, uint32_t running) {
    weft::v1::HeartbeatRequest request;
    request.set_instance_id(id);
    request.mutable_load()->set_running_sequences(running);
    weft::v1::HeartbeatResponse response;
    grpc::ClientContext context;
    return stub_->Heartbeat(&context, request, &response);
  }

  grpc::Status Deregister(const std::string& id) {
    weft::v1::DeregisterInstanceRequest request;
    request.set_instance_id(id);
    weft::v1::DeregisterInstanceResponse response;
    grpc::ClientContext context;
    return stub_->DeregisterInstance(&context, request, &response);
  }

  static weft::v1::InstanceDescriptor Decode(const std::string& id) {
    weft::v1::InstanceDescriptor instance;
    instance.set_instance_id(id);
    instance.set_role(weft::v1::INSTANCE_ROLE_DECODE);
    instance.set_grpc_address("127.0.0.1:7001");
    instance.set_model("llama");
    return instance;
  }

  // The service's clock; read on gRPC's threads.
  absl::Time Now() {
    MutexLock lock(&clock_mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    MutexLock lock(&clock_mu_);
    now_ += d;
  }

  Mutex clock_mu_;
  absl::Time now_ ABSL_GUARDED_BY(clock_mu_) = absl::FromUnixSeconds(1'000'000);
  InstanceRegistry registry_{InstanceRegistry::Options{.heartbeat_timeout = absl::Seconds(3)}};
  RouterControlService service_{
      &registry_, RouterControlService::Options{.heartbeat_interval = absl::Milliseconds(1500),
                                                .clock = [this] { return Now(); }}};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<weft::v1::Router::Stub> stub_;
};

TEST_F(RouterControlServiceTest, RegisterHeartbeatDeregister) {
  weft::v1::RegisterInstanceResponse response;
  ASSERT_TRUE(Register(Decode("d1"), &response).ok());
  EXPECT_EQ(response.heartbeat_interval_ms(), 1500u);
  ASSERT_TRUE(registry_.Get("d1").has_value());
  EXPECT_EQ(registry_.Get("d1")->last_seen, Now());

  Advance(absl::Seconds(1));
  ASSERT_TRUE(Heartbeat("d1", 5).ok());
  EXPECT_EQ(registry_.Get("d1")->load.running_sequences(), 5u);
  EXPECT_EQ(registry_.Get("d1")->last_seen, Now());

  ASSERT_TRUE(Deregister("d1").ok());
  EXPECT_FALSE(registry_.Get("d1").has_value());
  EXPECT_EQ(Deregister("d1").error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(RouterControlServiceTest, UnknownOrExpiredIdIsNotFound) {
  grpc::Status status = Heartbeat("ghost", 1);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("ghost"));

  weft::v1::RegisterInstanceResponse response;
  ASSERT_TRUE(Register(Decode("d1"), &response).ok());
  Advance(absl::Seconds(10));
  registry_.Expire(Now());
  EXPECT_EQ(Heartbeat("d1", 1).error_code(), grpc::StatusCode::NOT_FOUND);
  // It rejoins by registering again.
  ASSERT_TRUE(Register(Decode("d1"), &response).ok());
  EXPECT_TRUE(Heartbeat("d1", 1).ok());

  EXPECT_EQ(Heartbeat("", 1).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Deregister("").error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(RouterControlServiceTest, BadDescriptorIsInvalidArgumentNamingTheField) {
  weft::v1::RegisterInstanceResponse response;

  weft::v1::RegisterInstanceRequest empty;
  grpc::ClientContext context;
  grpc::Status status = stub_->RegisterInstance(&context, empty, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("instance"));

  weft::v1::InstanceDescriptor no_model = Decode("d1");
  no_model.clear_model();
  status = Register(no_model, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("model"));

  weft::v1::InstanceDescriptor bad_address = Decode("d1");
  bad_address.set_grpc_address("localhost");
  status = Register(bad_address, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("grpc_address"));

  weft::v1::InstanceDescriptor router_role = Decode("d1");
  router_role.set_role(weft::v1::INSTANCE_ROLE_ROUTER);
  status = Register(router_role, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("role"));

  EXPECT_EQ(registry_.size(), 0u);
}

}  // namespace
}  // namespace weft::router
