// A running gRPC server with what every weft server has: grpc.health.v1,
// server reflection, per-method metrics, a message size limit, and a drain
// that reports NOT_SERVING, stops accepting and lets in-flight calls finish
// until a deadline.
#ifndef WEFT_COMMON_SERVER_GRPC_SERVER_H_
#define WEFT_COMMON_SERVER_GRPC_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/base/mutex.h"
#include "common/base/notification.h"
#include "common/metrics/grpc_server_metrics.h"

namespace weft {

// A service to register, with its full name ("weft.v1.Router") so that
// health checks can ask about it by name.
struct GrpcServiceRegistration {
  grpc::Service* service = nullptr;  // not owned; outlives the server
  std::string full_name;
};

struct GrpcServerOptions {
  std::string address;  // "host:port"; port 0 picks one
  int max_receive_message_bytes = 4 << 20;
  // Optional; outlives the server. Start() registers the services with it.
  GrpcServerMetrics* metrics = nullptr;
};

class GrpcServer {
 public:
  // Builds and starts the server. Health status starts NOT_SERVING for every
  // service and for "" (the whole server); call SetServing(true) once ready.
  // Unavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<GrpcServer>> Start(
      const GrpcServerOptions& options, const std::vector<GrpcServiceRegistration>& services);

  // Drains with a zero deadline if Drain() was not called.
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  int port() const { return port_; }

  // Sets the health status of every registered service and of "". Ignored
  // once draining has begun. Thread-safe.
  void SetServing(bool serving);

  // Reports NOT_SERVING for good and keeps accepting calls for
  // `not_serving_grace` (so that health-checking load balancers see the
  // status and stop sending), then stops accepting, lets in-flight calls
  // finish and cancels those still running when `timeout` (counted from the
  // call, grace included) runs out. Returns once the server has stopped.
  // Thread-safe and idempotent: concurrent and later calls wait for the
  // first one to finish. Must not be called from an RPC handler.
  void Drain(absl::Duration timeout, absl::Duration not_serving_grace = absl::ZeroDuration());

 private:
  GrpcServer(std::unique_ptr<grpc::Server> server, int port, std::vector<std::string> names);

  // Constant after construction.
  const int port_;
  const std::vector<std::string> service_names_;
  // Thread-safe itself; the pointer is constant after construction.
  const std::unique_ptr<grpc::Server> server_;

  Mutex mu_;
  // Set by the first Drain(); SetServing is ignored from then on.
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  Notification stopped_;
};

}  // namespace weft

#endif  // WEFT_COMMON_SERVER_GRPC_SERVER_H_
