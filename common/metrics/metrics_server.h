// Serves a Prometheus registry as text exposition on http://<address>/metrics.
#ifndef WEFT_COMMON_METRICS_METRICS_SERVER_H_
#define WEFT_COMMON_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace weft {

class MetricsServer {
 public:
  // Starts listening on `address` ("127.0.0.1:0" picks a free port) and
  // serving `registry`. The registry is shared because prometheus-cpp's
  // exposer keeps only a weak reference to it; the server holds a strong one
  // so that it outlives every scrape. Unavailable if the address cannot be
  // bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& address, std::shared_ptr<prometheus::Registry> registry);

  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The bound TCP port.
  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer,
                std::shared_ptr<prometheus::Registry> registry, int port);

  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  int port_;
};

}  // namespace weft

#endif  // WEFT_COMMON_METRICS_METRICS_SERVER_H_
