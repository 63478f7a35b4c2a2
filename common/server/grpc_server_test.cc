#include "common/server/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "absl/time/clock.h"
#include "common/metrics/grpc_server_metrics.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/router.grpc.pb.h"

namespace weft {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

// The generated base answers every RPC with UNIMPLEMENTED.
class RouterService final : public v1::Router::CallbackService {};

class GrpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    metrics_ = std::make_unique<GrpcServerMetrics>(*registry_);
    GrpcServerOptions options;
    options.address = "127.0.0.1:0";
    options.metrics = metrics_.get();
    auto server = GrpcServer::Start(options, {{&service_, "weft.v1.Router"}});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()),
                                   grpc::InsecureChannelCredentials());
    health_ = Health::NewStub(channel_);
  }

  HealthCheckResponse::ServingStatus Check(const std::string& service,
                                           grpc::StatusCode* code = nullptr) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = health_->Check(&ctx, request, &response);
    if (code != nullptr) *code = status.error_code();
    return response.status();
  }

  std::string Scrape() { return prometheus::TextSerializer().Serialize(registry_->Collect()); }

  RouterService service_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<GrpcServerMetrics> metrics_;
  std::unique_ptr<GrpcServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<Health::Stub> health_;
};

TEST_F(GrpcServerTest, HealthFollowsServingState) {
  EXPECT_EQ(Check(""), HealthCheckResponse::NOT_SERVING);
  server_->SetServing(true);
  EXPECT_EQ(Check(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check("weft.v1.Router"), HealthCheckResponse::SERVING);
  grpc::StatusCode code;
  Check("weft.v1.NoSuchService", &code);
  EXPECT_EQ(code, grpc::StatusCode::NOT_FOUND);
}

TEST_F(GrpcServerTest, UnbuiltRpcsAnswerUnimplementedAndAreCounted) {
  server_->SetServing(true);
  auto stub = v1::Router::NewStub(channel_);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::HeartbeatRequest request;
  v1::HeartbeatResponse response;
  EXPECT_EQ(stub->Heartbeat(&ctx, request, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  const std::string text = Scrape();
  EXPECT_THAT(text, HasSubstr("weft_grpc_server_handled_total{grpc_code=\"UNIMPLEMENTED\","
                              "grpc_method=\"/weft.v1.Router/Heartbeat\"} 1"));
  EXPECT_THAT(text, HasSubstr("weft_grpc_server_handling_seconds_count{grpc_method="
                              "\"/weft.v1.Router/Heartbeat\"} 1"));
}

TEST_F(GrpcServerTest, DrainReportsNotServingToWatchersAndStopsWithinDeadline) {
  server_->SetServing(true);
  grpc::ClientContext ctx;
  HealthCheckRequest request;
  auto reader = health_->Watch(&ctx, request);
  HealthCheckResponse update;
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  // The open Watch call is in flight: the drain waits for it until the
  // deadline, then cancels it.
  const absl::Duration deadline = absl::Milliseconds(500);
  const absl::Time start = absl::Now();
  std::thread drain([&] { server_->Drain(deadline); });
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  drain.join();
  EXPECT_LT(absl::Now() - start, deadline + absl::Seconds(5));
  while (reader->Read(&update)) {
  }
  reader->Finish();

  // Once drained, SetServing cannot bring it back and new calls fail.
  server_->SetServing(true);
  grpc::StatusCode code;
  Check("", &code);
  EXPECT_NE(code, grpc::StatusCode::OK);
}

TEST_F(GrpcServerTest, NewProbesSeeNotServingDuringTheGrace) {
  server_->SetServing(true);
  grpc::ClientContext ctx;
  HealthCheckRequest request;
  auto reader = health_->Watch(&ctx, request);
  HealthCheckResponse update;
  ASSERT_TRUE(reader->Read(&update));
  // A long grace: the server still accepts calls and answers NOT_SERVING.
  std::thread drain([&] { server_->Drain(absl::Seconds(20), absl::Seconds(3)); });
  ASSERT_TRUE(reader->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  grpc::StatusCode code;
  EXPECT_EQ(Check("", &code), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(code, grpc::StatusCode::OK);
  EXPECT_EQ(Check("weft.v1.Router", &code), HealthCheckResponse::NOT_SERVING);
  // The client ends its Watch, so nothing is left in flight after the grace.
  ctx.TryCancel();
  while (reader->Read(&update)) {
  }
  reader->Finish();
  // A second Drain waits for the first instead of starting another.
  server_->Drain(absl::ZeroDuration());
  drain.join();
}

TEST(GrpcServerStart, BusyPortIsUnavailable) {
  RouterService service;
  GrpcServerOptions options;
  options.address = "127.0.0.1:0";
  auto first = GrpcServer::Start(options, {{&service, "weft.v1.Router"}});
  ASSERT_TRUE(first.ok());
  RouterService other;
  options.address = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = GrpcServer::Start(options, {{&other, "weft.v1.Router"}});
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr("cannot listen on 127.0.0.1:"));
}

}  // namespace
}  // namespace weft
