// Each service binary as a real process: started on ephemeral ports, probed
// with a real gRPC health check and a real /metrics scrape, asked an RPC that
// is not built yet, then stopped with SIGTERM and observed to drain and exit
// cleanly within its deadline. Also: bad configs and busy ports fail fast
// with a precise message and the documented exit status.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/testing/http_get.h"
#include "common/testing/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/decode.grpc.pb.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "proto/kvcache.grpc.pb.h"
#include "proto/prefill.grpc.pb.h"
#include "proto/router.grpc.pb.h"

namespace weft {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using testutil::Subprocess;

constexpr int kDrainTimeoutMs = 1500;

struct ServiceCase {
  std::string name;          // "router"
  std::string binary;        // runfiles path
  std::string grpc_service;  // "weft.v1.Router"
  // Calls one RPC with an empty request; returns its status.
  std::function<grpc::Status(std::shared_ptr<grpc::Channel>, grpc::ClientContext*)> call_rpc;
  // What call_rpc returns (UNIMPLEMENTED for an RPC a later issue brings),
  // and its grpc_code label.
  grpc::StatusCode expected_code = grpc::StatusCode::UNIMPLEMENTED;
  std::string expected_code_label = "UNIMPLEMENTED";
  // Config lines the service requires besides the server block.
  std::string extra_config;
};

std::ostream& operator<<(std::ostream& os, const ServiceCase& c) { return os << c.name; }

template <typename Stub, typename Request, typename Response>
grpc::Status CallUnary(std::shared_ptr<grpc::Channel> channel, grpc::ClientContext* ctx,
                       grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*)) {
  Stub stub(channel);
  Request request;
  Response response;
  return (stub.*method)(ctx, request, &response);
}

// Prefill and decode serve the tiny fixture model.
constexpr char kEngineConfig[] =
    "engine {\n  model_dir: \"tests/data/models/tiny-llama\"\n  kv_blocks: 64\n}\n";

// The router loads the model's tokenizer; its HTTP listeners take any port.
constexpr char kRouterConfig[] =
    "http_address: \"127.0.0.1:0\"\ninternal_http_address: \"127.0.0.1:0\"\n"
    "models { model_dir: \"tests/data/models/tiny-llama\" }\n";

std::string TmpDir() { return std::getenv("TEST_TMPDIR"); }

std::string WriteConfig(const std::string& name, const std::string& text) {
  const std::string path = absl::StrCat(TmpDir(), "/", name, ".textproto");
  std::ofstream(path) << text;
  return path;
}

std::string ServerBlock(const std::string& grpc_address, const std::string& metrics_address) {
  return absl::StrCat("server {\n  grpc_address: \"", grpc_address, "\"\n  metrics_address: \"",
                      metrics_address, "\"\n  drain_timeout_ms: ", kDrainTimeoutMs, "\n}\n");
}

class ServiceProcessTest : public ::testing::TestWithParam<ServiceCase> {
 protected:
  std::unique_ptr<Subprocess> Launch(const std::string& config_path, const std::string& tag) {
    ready_file_ = absl::StrCat(TmpDir(), "/", GetParam().name, "-", tag, ".ready");
    std::remove(ready_file_.c_str());
    auto process = Subprocess::Start(
        {GetParam().binary, "--config=" + config_path, "--ready_file=" + ready_file_},
        absl::StrCat(TmpDir(), "/", GetParam().name, "-", tag, ".log"));
    EXPECT_TRUE(process.ok()) << process.status();
    return process.ok() ? std::move(*process) : nullptr;
  }

  std::string ready_file_;
};

HealthCheckResponse::ServingStatus Check(Health::Stub& stub, const std::string& service) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub.Check(&ctx, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

TEST_P(ServiceProcessTest, ServesHealthAndMetricsThenDrainsOnSigterm) {
  const ServiceCase& c = GetParam();
  auto process = Launch(
      WriteConfig(c.name, ServerBlock("127.0.0.1:0", "127.0.0.1:0") + c.extra_config), "lifecycle");
  ASSERT_NE(process, nullptr);
  auto ready = testutil::WaitForReadyFile(ready_file_, *process, absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->pid, process->pid());

  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", ready->grpc_port),
                                     grpc::InsecureChannelCredentials());
  auto health = Health::NewStub(channel);
  EXPECT_EQ(Check(*health, ""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check(*health, c.grpc_service), HealthCheckResponse::SERVING);

  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    const grpc::Status status = c.call_rpc(channel, &ctx);
    EXPECT_EQ(status.error_code(), c.expected_code) << status.error_message();
  }

  auto metrics = testutil::HttpGet("127.0.0.1", ready->metrics_port, "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->status_code, 200);
  EXPECT_THAT(metrics->body, HasSubstr(absl::StrCat("weft_build_info{service=\"", c.name, "\"")));
  EXPECT_THAT(metrics->body, HasSubstr(absl::StrCat("weft_serving{service=\"", c.name, "\"} 1")));
  EXPECT_THAT(metrics->body, HasSubstr(absl::StrCat("grpc_code=\"", c.expected_code_label, "\"")));
  EXPECT_THAT(metrics->body, HasSubstr("grpc_method=\"/grpc.health.v1.Health/Check\""));

  // An open Watch is an in-flight call: after SIGTERM it must see
  // NOT_SERVING, and the process must still exit within the drain deadline.
  grpc::ClientContext watch_ctx;
  HealthCheckRequest watch_request;
  auto watch = health->Watch(&watch_ctx, watch_request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  const absl::Time sigterm_at = absl::Now();
  ASSERT_TRUE(process->Signal(SIGTERM).ok());
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);

  auto wait_status = process->Wait(absl::Milliseconds(kDrainTimeoutMs) + absl::Seconds(10));
  ASSERT_TRUE(wait_status.ok()) << wait_status.status() << "\n" << process->Log();
  const absl::Duration took = absl::Now() - sigterm_at;
  EXPECT_TRUE(WIFEXITED(*wait_status)) << process->Log();
  EXPECT_EQ(WEXITSTATUS(*wait_status), 0) << process->Log();
  // The deadline plus scheduling slack on a loaded 2-core CI machine.
  EXPECT_LT(took, absl::Milliseconds(kDrainTimeoutMs) + absl::Seconds(2));
  while (watch->Read(&update)) {
  }
  watch->Finish();
  const std::string log = process->Log();
  EXPECT_THAT(log, HasSubstr("draining"));
  EXPECT_THAT(log, HasSubstr(absl::StrCat("weft-", c.name, " stopped")));
}

TEST_P(ServiceProcessTest, InvalidConfigExitsWithPreciseError) {
  const ServiceCase& c = GetParam();
  const std::string path =
      WriteConfig(c.name + "-bad", "server {\n  grpc_address: \"127.0.0.1:0\"\n}\n");
  auto process = Launch(path, "badconfig");
  ASSERT_NE(process, nullptr);
  auto status = process->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(WEXITSTATUS(*status), 2) << process->Log();
  EXPECT_THAT(process->Log(), HasSubstr("server.metrics_address is required"));
  EXPECT_THAT(process->Log(), HasSubstr("server.drain_timeout_ms is required"));

  const std::string unknown = WriteConfig(c.name + "-unknown", "sever { }\n");
  process = Launch(unknown, "unknownfield");
  ASSERT_NE(process, nullptr);
  status = process->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  EXPECT_THAT(process->Log(), HasSubstr("unknown.textproto:1:7: Message type"));
  EXPECT_THAT(process->Log(), HasSubstr("has no field named \"sever\""));
}

TEST_P(ServiceProcessTest, BusyPortExitsWithStartFailure) {
  const ServiceCase& c = GetParam();
  auto first = Launch(
      WriteConfig(c.name + "-first", ServerBlock("127.0.0.1:0", "127.0.0.1:0") + c.extra_config),
      "first");
  ASSERT_NE(first, nullptr);
  auto ready = testutil::WaitForReadyFile(ready_file_, *first, absl::Seconds(30));
  ASSERT_TRUE(ready.ok()) << ready.status();

  auto second =
      Launch(WriteConfig(c.name + "-second",
                         ServerBlock(absl::StrCat("127.0.0.1:", ready->grpc_port), "127.0.0.1:0") +
                             c.extra_config),
             "second");
  ASSERT_NE(second, nullptr);
  auto status = second->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(WEXITSTATUS(*status), 1) << second->Log();
  EXPECT_THAT(second->Log(), HasSubstr("cannot listen on 127.0.0.1:"));
  ASSERT_TRUE(first->Signal(SIGINT).ok());
  status = first->Wait(absl::Seconds(30));
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(WEXITSTATUS(*status), 0) << first->Log();
}

INSTANTIATE_TEST_SUITE_P(
    AllServices, ServiceProcessTest,
    ::testing::Values(
        ServiceCase{"router", "router/weft-router", "weft.v1.Router",
                    [](auto channel, grpc::ClientContext* ctx) {
                      return CallUnary(channel, ctx, &v1::Router::Stub::RegisterInstance);
                    },
                    // Built: an empty request lacks its instance.
                    grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", kRouterConfig},
        ServiceCase{"prefill", "prefill/weft-prefill", "weft.v1.Prefill",
                    [](auto channel, grpc::ClientContext* ctx) {
                      return CallUnary(channel, ctx, &v1::Prefill::Stub::Prefill);
                    },
                    // Built: an empty request lacks its request id.
                    grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", kEngineConfig},
        ServiceCase{"decode", "decode/weft-decode", "weft.v1.Decode",
                    [](auto channel, grpc::ClientContext* ctx) {
                      return CallUnary(channel, ctx, &v1::Decode::Stub::ReserveKv);
                    },
                    grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT", kEngineConfig},
        ServiceCase{"kvcache", "kvcache/weft-kvcache", "weft.v1.KvCache",
                    [](auto channel, grpc::ClientContext* ctx) {
                      return CallUnary(channel, ctx, &v1::KvCache::Stub::LookupPrefix);
                    },
                    // Built: an empty request lacks its model.
                    grpc::StatusCode::INVALID_ARGUMENT, "INVALID_ARGUMENT",
                    "capacity_bytes: 1048576\n"}),
    [](const ::testing::TestParamInfo<ServiceCase>& info) { return info.param.name; });

}  // namespace
}  // namespace weft
