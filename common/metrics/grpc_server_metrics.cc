#include "common/metrics/grpc_server_metrics.h"

#include <grpcpp/support/interceptor.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace weft {
namespace {

// Codes 0..16 as names, as grpc-ecosystem exporters label them.
const char* CodeName(int code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  return kNames[code];
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return kBuckets;
}

class MetricsInterceptor : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcServerMetrics* metrics, GrpcServerMetrics::MethodMetrics* method)
      : metrics_(metrics), method_(method), start_(std::chrono::steady_clock::now()) {
    method_->started->Increment();
  }

  ~MetricsInterceptor() override {
    if (!recorded_) Record(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      Record(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Record(int code) {
    recorded_ = true;
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    metrics_->RecordHandled(*method_, code, seconds);
  }

  GrpcServerMetrics* metrics_;
  GrpcServerMetrics::MethodMetrics* method_;
  std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;  // hooks of one RPC run one at a time
};

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics* metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, &metrics_->ForMethod(info->method()));
  }

 private:
  GrpcServerMetrics* metrics_;
};

}  // namespace

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("weft_grpc_server_started_total")
                   .Help("RPCs started on the server, by method")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("weft_grpc_server_handled_total")
                   .Help("RPCs completed on the server, by method and status code")
                   .Register(registry)),
      handling_seconds_(prometheus::BuildHistogram()
                            .Name("weft_grpc_server_handling_seconds")
                            .Help("Time from the start of an RPC to its status, by method")
                            .Register(registry)),
      unknown_(&AddMethod("unknown")) {
  // The default health service is not in the generated pool.
  AddMethod("/grpc.health.v1.Health/Check");
  AddMethod("/grpc.health.v1.Health/Watch");
}

GrpcServerMetrics::MethodMetrics& GrpcServerMetrics::AddMethod(const std::string& label) {
  auto& slot = methods_[label];
  if (slot == nullptr) {
    slot = std::make_unique<MethodMetrics>();
    slot->label = label;
    slot->started = &started_.Add({{"grpc_method", label}});
    slot->handling_seconds = &handling_seconds_.Add({{"grpc_method", label}}, LatencyBuckets());
  }
  return *slot;
}

void GrpcServerMetrics::RegisterService(absl::string_view full_name) {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(std::string(full_name));
  if (service == nullptr) return;
  for (int i = 0; i < service->method_count(); ++i) {
    AddMethod(absl::StrCat("/", service->full_name(), "/", service->method(i)->name()));
  }
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::MakeInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(this);
}

GrpcServerMetrics::MethodMetrics& GrpcServerMetrics::ForMethod(absl::string_view path) {
  auto it = methods_.find(path);
  return it == methods_.end() ? *unknown_ : *it->second;
}

void GrpcServerMetrics::RecordHandled(MethodMetrics& method, int grpc_code, double seconds) {
  if (grpc_code < 0 || grpc_code > 16) grpc_code = grpc::StatusCode::UNKNOWN;
  prometheus::Counter* counter = method.handled[grpc_code].load(std::memory_order_acquire);
  if (counter == nullptr) {
    // Family::Add returns the same child for the same labels, so a race here
    // stores the same pointer twice.
    counter = &handled_.Add({{"grpc_method", method.label}, {"grpc_code", CodeName(grpc_code)}});
    method.handled[grpc_code].store(counter, std::memory_order_release);
  }
  counter->Increment();
  method.handling_seconds->Observe(seconds);
}

}  // namespace weft
