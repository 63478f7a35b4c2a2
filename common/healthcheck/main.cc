// weft-healthcheck: asks a gRPC server for its grpc.health.v1 status.
//
//   weft-healthcheck --address=127.0.0.1:50051 [--service=weft.v1.Router]
//                    [--timeout_ms=2000] [--wait_ms=0]
//
// Prints "<address> <service or (server)>: SERVING" and exits 0 when the
// status is SERVING; exits 1 for any other status or error. With --wait_ms,
// retries until SERVING or the wait runs out.
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"

ABSL_FLAG(std::string, address, "", "host:port of the gRPC server");
ABSL_FLAG(std::string, service, "", "Service to ask about; empty means the whole server");
ABSL_FLAG(int, timeout_ms, 2000, "Deadline of each check");
ABSL_FLAG(int, wait_ms, 0, "Keep retrying until SERVING for up to this long");

namespace {

using ::grpc::health::v1::HealthCheckResponse;

std::string CheckOnce(grpc::health::v1::Health::Stub& stub, const std::string& service,
                      int timeout_ms, bool* serving) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  const grpc::Status status = stub.Check(&ctx, request, &response);
  *serving = status.ok() && response.status() == HealthCheckResponse::SERVING;
  if (!status.ok())
    return "error " + std::to_string(status.error_code()) + ": " + status.error_message();
  return HealthCheckResponse::ServingStatus_Name(response.status());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("weft-healthcheck --address=host:port [--service=NAME]");
  absl::ParseCommandLine(argc, argv);
  const std::string address = absl::GetFlag(FLAGS_address);
  if (address.empty()) {
    std::fprintf(stderr, "weft-healthcheck: --address is required\n");
    return 2;
  }
  const std::string service = absl::GetFlag(FLAGS_service);
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  const absl::Time give_up = absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_wait_ms));
  bool serving = false;
  std::string result;
  while (true) {
    result = CheckOnce(*stub, service, absl::GetFlag(FLAGS_timeout_ms), &serving);
    if (serving || absl::Now() >= give_up) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::printf("%s %s: %s\n", address.c_str(), service.empty() ? "(server)" : service.c_str(),
              result.c_str());
  return serving ? 0 : 1;
}
