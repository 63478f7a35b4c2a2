// The internal listener's handler, kept off the public API:
//   GET /health   200 while the process runs
//   GET /ready    200 once a real one-token generation of every served model
//                 succeeds through prefill and decode (ReadinessProbe), else
//                 503 with the reason
//   GET /metrics  the Prometheus text exposition of the router's registry
#ifndef WEFT_ROUTER_SERVING_INTERNAL_ENDPOINTS_H_
#define WEFT_ROUTER_SERVING_INTERNAL_ENDPOINTS_H_

#include <memory>

#include "prometheus/registry.h"
#include "router/http/http_request.h"
#include "router/http/http_responder.h"
#include "router/serving/readiness_probe.h"

namespace weft::router {

class InternalEndpoints {
 public:
  // Both outlive this object.
  InternalEndpoints(prometheus::Registry& registry, ReadinessProbe& probe)
      : registry_(registry), probe_(probe) {}

  void Handle(http::HttpRequest request, std::shared_ptr<http::HttpResponder> responder);

 private:
  prometheus::Registry& registry_;
  ReadinessProbe& probe_;
};

}  // namespace weft::router

#endif  // WEFT_ROUTER_SERVING_INTERNAL_ENDPOINTS_H_
