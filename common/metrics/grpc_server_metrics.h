// A gRPC server interceptor that exports per-method RPC metrics:
//   weft_grpc_server_started_total{grpc_method}
//   weft_grpc_server_handled_total{grpc_method, grpc_code}
//   weft_grpc_server_handling_seconds{grpc_method}   (histogram)
// grpc_method is "/package.Service/Method" for the methods of the services
// registered with RegisterService (and grpc.health.v1), "unknown" otherwise,
// so a client cannot create label values. An RPC that ends without sending
// a status (cancelled, or cut off by a drain) counts as CANCELLED.
#ifndef WEFT_COMMON_METRICS_GRPC_SERVER_METRICS_H_
#define WEFT_COMMON_METRICS_GRPC_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace weft {

class GrpcServerMetrics {
 public:
  // The metric handles of one method label, resolved once.
  struct MethodMetrics {
    std::string label;
    prometheus::Counter* started = nullptr;
    prometheus::Histogram* handling_seconds = nullptr;
    // By status code 0..16, created on first use.
    std::array<std::atomic<prometheus::Counter*>, 17> handled{};
  };

  // `registry` outlives this object.
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // Adds the methods of the service with this full name ("weft.v1.Router"),
  // looked up in the generated descriptor pool; unknown names are ignored.
  // Call for every service before the server starts: the method table is
  // read without a lock once RPCs flow.
  void RegisterService(absl::string_view full_name);

  // A factory for grpc::ServerBuilder::experimental().SetInterceptorCreators.
  // `this` must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  // The handles for a method path; "unknown" for paths not registered.
  // Thread-safe once registration is over.
  MethodMetrics& ForMethod(absl::string_view path);

  // Records the end of an RPC. Thread-safe.
  void RecordHandled(MethodMetrics& method, int grpc_code, double seconds);

 private:
  MethodMetrics& AddMethod(const std::string& label);

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
  // Written during registration only (see RegisterService).
  absl::flat_hash_map<std::string, std::unique_ptr<MethodMetrics>> methods_;
  MethodMetrics* unknown_;
};

}  // namespace weft

#endif  // WEFT_COMMON_METRICS_GRPC_SERVER_METRICS_H_
