// A gRPC server interceptor that exports per-method RPC metrics:
//   weft_grpc_server_started_total{grpc_method}
//   weft_grpc_server_handled_total{grpc_method, grpc_code}
//   weft_grpc_server_handling_seconds{grpc_method}   (histogram)
// grpc_method is "/package.Service/Method" for methods this binary knows
// (from the generated descriptor pool, plus grpc.health.v1) and "unknown"
// otherwise, so a client cannot create unbounded label values.
#ifndef WEFT_COMMON_METRICS_GRPC_SERVER_METRICS_H_
#define WEFT_COMMON_METRICS_GRPC_SERVER_METRICS_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace weft {

class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // A factory for grpc::ServerBuilder::experimental().SetInterceptorCreators.
  // `this` must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  // The label value for a method path (see above). Thread-safe.
  static std::string MethodLabel(absl::string_view method);

  // Records one finished RPC. Thread-safe.
  void RecordStarted(const std::string& method_label);
  void RecordHandled(const std::string& method_label, int grpc_code, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

}  // namespace weft

#endif  // WEFT_COMMON_METRICS_GRPC_SERVER_METRICS_H_
